"""Build a minimal read-only root and pivot into it, for the `unshare` backend.

Runs in the worker right after `unshare --user --map-root-user --mount ...`
started it, while it still holds namespace capabilities: a tmpfs root with
read-only binds of the interpreter, its standard library and shared libraries,
the worker's modules, four device nodes and an empty `/tmp` mount point; then
pivot_root, detach the host root and remount `/` read-only. The zygote keeps
its namespace capabilities (each child mounts its own tmpfs on `/tmp` in its
own mount namespace, then drops them all). Standard library only.
"""

from __future__ import annotations

import ctypes
import os
import platform
from typing import Any

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
_MNT_DETACH = 0x2
_ST_FLAGS = ((os.ST_NOSUID, _MS_NOSUID), (os.ST_NODEV, _MS_NODEV), (os.ST_NOEXEC, _MS_NOEXEC))
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom")

_libc = ctypes.CDLL(None, use_errno=True)


class RootfsError(Exception):
    """A mount, pivot or capability step failed; the message names it."""


def _check(ret: int, what: str) -> None:
    if ret != 0:
        errno = ctypes.get_errno()
        raise RootfsError(f"{what} failed: {os.strerror(errno)} (errno {errno})")


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(src and src.encode(), target.encode(), fstype and fstype.encode(),
                       ctypes.c_ulong(flags), data and data.encode()), f"mount {src} on {target}")


def _make_mountpoint(path: str, like: str) -> None:
    if os.path.isdir(like):
        os.makedirs(path, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.exists(path):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))


def _bind_ro(src: str, root: str, dest: str) -> None:
    target = root + dest
    _make_mountpoint(target, src)
    _mount(src, target, None, _MS_BIND | _MS_REC)
    locked = sum(ms for st, ms in _ST_FLAGS if os.statvfs(src).f_flag & st)
    _mount(None, target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | locked)




def enter(spec: dict[str, Any]) -> None:
    """Build the root described by `spec` (see `unshare.py`) at `spec["root"]` and pivot into it."""
    arch = platform.machine()
    if arch not in _SYS_PIVOT_ROOT:
        raise RootfsError(f"no pivot_root syscall number for {arch}")
    root = spec["root"]
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=4m,mode=0755")
    for path in spec["binds"]:
        _bind_ro(path, root, path)
    for path in spec["masked"]:
        _mount("tmpfs", root + path, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_RDONLY, "size=4k,mode=0555")
    for path, target in spec["links"]:
        os.symlink(target, root + path)
    for name, host_path in spec["worker_files"].items():
        _bind_ro(host_path, root, f"{spec['worker_dir']}/{name}")
    for dev in _DEVICES:
        if os.path.exists(dev):
            _bind_ro(dev, root, dev)
    os.makedirs(root + "/tmp", exist_ok=True)
    os.chdir(root)
    _check(_libc.syscall(_SYS_PIVOT_ROOT[arch], b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", _MNT_DETACH), "detaching the host root")
    os.chdir("/")
    _mount(None, "/", None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)


__all__ = ["RootfsError", "enter"]
