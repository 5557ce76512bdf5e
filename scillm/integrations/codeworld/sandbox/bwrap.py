"""Bubblewrap command line for the warm worker: the strongest backend.

All namespaces unshared (user, pid, net, ipc, uts, cgroup, mount), uid/gid
65534, no further user namespaces, a new session, death with the parent, an
empty environment (bwrap itself is also started with `env={}`: otherwise
`/proc/1/environ` leaked the caller's keys), a read-only root with only the
interpreter, its standard library and shared libraries, a read-only minimal
`/dev`, no `/proc`, and nothing writable at all. The zygote keeps one
capability, CAP_SYS_ADMIN inside the sandbox's own user namespace, only so
that each child can mount its own fresh tmpfs on `/tmp` in its own mount
namespace; the child drops it (and every other) before its request is read.
"""

from __future__ import annotations

import shutil
from functools import lru_cache

from scillm.integrations.codeworld.sandbox.interpreter import (
    WORKER_DIR_INSIDE,
    interpreter_files,
    worker_sources,
)
from scillm.integrations.codeworld.sandbox.probing import run_probe

MECHANISMS = [
    "bubblewrap", "user+pid+net+ipc+uts+cgroup+mount namespaces", "uid 65534", "no capabilities",
    "read-only minimal root", "fresh tmpfs per child (own mount namespace)", "empty environment", "rlimits", "no_new_privs", "seccomp",
    "wall-clock SIGKILL",
]


def command(python_args: list[str]) -> list[str]:
    """`bwrap ... python -I -S <python_args>`; raises FileNotFoundError when bwrap is missing."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise FileNotFoundError("bwrap not on PATH")
    files = interpreter_files()
    argv = [
        bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
        "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL", "--cap-add", "CAP_SYS_ADMIN",
        "--clearenv", "--hostname", "codeworld",
    ]
    for path in files.binds:
        argv += ["--ro-bind", path, path]
    for path in files.masked:
        argv += ["--tmpfs", path, "--remount-ro", path]
    for path, target in files.lib_links:
        argv += ["--symlink", target, path]
    for name, host_path in worker_sources().items():
        argv += ["--ro-bind", host_path, f"{WORKER_DIR_INSIDE}/{name}"]
    argv += [
        "--dev", "/dev", "--remount-ro", "/dev",
        "--dir", "/tmp", "--remount-ro", "/", "--chdir", "/",
        files.executable, "-I", "-S", *python_args,
    ]
    return argv


@lru_cache(maxsize=1)
def probe() -> str | None:
    """None when bubblewrap can start the interpreter here, else why not."""
    try:
        argv = command(["-c", "import json, ctypes"])
    except FileNotFoundError as exc:
        return f"{exc} (apt-get install bubblewrap)"
    return run_probe("bwrap", argv, ("uid map", "Permission denied"))


__all__ = ["MECHANISMS", "command", "probe"]
