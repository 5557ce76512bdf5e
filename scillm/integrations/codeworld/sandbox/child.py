"""One evaluation child, forked from the zygote before any untrusted byte exists in its memory.

The child locks itself down while it is still trusted code: a private mount
namespace with a fresh size-capped tmpfs on `/tmp` (no earlier child's files,
no earlier child's full disk), every capability dropped, rlimits, then its
OWN request read from its own descriptor, then seccomp. The last trusted act
is the start marker (monotonic and CPU clocks) written to the zygote; from
there on everything, including the reply it writes to its own descriptor,
is untrusted, and the host treats it so. Standard library only.
"""

from __future__ import annotations

import builtins
import ctypes
import fcntl
import json
import os
import platform
import resource
import signal
import struct
import sys
import time
import traceback
from typing import Any, NoReturn, Protocol

REQ_FD, REP_FD, MARK_FD = 3, 4, 5
"""Where the child keeps its request, reply and start-marker descriptors (stdout/stderr are 1 and 2)."""

MARKER = struct.Struct("=QQ")
"""Start marker: CLOCK_MONOTONIC ns and the child's own CPU ns, taken just before untrusted code runs."""

_TRACEBACK_CAP = 8000
_ERROR_CAP = 2000
_MAX_FD = 65536
_PR_SET_PDEATHSIG, _PR_CAPBSET_DROP = 1, 24
_CLONE_NEWNS = 0x00020000
_MS_NOSUID, _MS_NODEV, _MS_REC, _MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000
_SYS_CAPSET = {"x86_64": 126, "aarch64": 91}
_CAP_VERSION_3 = 0x20080522
_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    """A lock-down step failed; the child exits without running anything."""


def _check(ret: int, what: str) -> None:
    if ret != 0:
        errno = ctypes.get_errno()
        raise SetupError(f"{what} failed: {os.strerror(errno)} (errno {errno})")


def _private_tmp(tmpfs_mb: int) -> None:
    """A new mount namespace whose /tmp is a new tmpfs: it dies with this child."""
    _check(_libc.unshare(_CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(_libc.mount(None, b"/", None, ctypes.c_ulong(_MS_REC | _MS_PRIVATE), None), "making / private")
    opts = f"size={int(tmpfs_mb)}m,mode=1777,nr_inodes=4096".encode()
    _check(_libc.mount(b"tmpfs", b"/tmp", b"tmpfs", ctypes.c_ulong(_MS_NOSUID | _MS_NODEV), opts), "mounting /tmp")
    os.chdir("/tmp")


def _drop_capabilities() -> None:
    for cap in range(64):
        if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break
    header = (ctypes.c_uint32 * 2)(_CAP_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    nr = _SYS_CAPSET.get(platform.machine())
    if nr is not None:
        _check(_libc.syscall(nr, header, data), "capset")


def _place_fds(out_fd: int, req_fd: int, rep_fd: int, mark_fd: int) -> None:
    """Move the four descriptors to fixed numbers and close every other one (the zygote's socket too)."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in (out_fd, req_fd, rep_fd, mark_fd)]
    for target, fd in zip((1, REQ_FD, REP_FD, MARK_FD), high, strict=True):
        os.dup2(fd, target)
    os.dup2(1, 2)
    os.close(0)
    os.closerange(MARK_FD + 1, _MAX_FD)


def _limit(limits: dict[str, Any]) -> None:
    mem = int(limits["memory_mb"]) * 1024 * 1024
    cpu = int(limits["cpu_s"])
    fsize = max(int(limits["tmpfs_mb"]) * 1024 * 1024, int(limits["max_output_bytes"]) + 1)
    nofile = int(limits["open_files"])
    for res, value in (
        (resource.RLIMIT_AS, (mem, mem)),
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_FSIZE, (fsize, fsize)),
        (resource.RLIMIT_NOFILE, (nofile, nofile)),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_MEMLOCK, (0, 0)),
    ):
        resource.setrlimit(res, value)


def _read_request(cap: int) -> dict[str, Any]:
    size = os.fstat(REQ_FD).st_size
    if size > cap:
        raise SetupError(f"request of {size} bytes exceeds {cap}")
    chunks, offset = [], 0
    while offset < size:
        chunk = os.pread(REQ_FD, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    os.close(REQ_FD)
    req = json.loads(b"".join(chunks))
    if not isinstance(req, dict):
        raise SetupError("request is not an object")
    return req


def _outcome(**fields: Any) -> dict[str, Any]:
    return {"ok": False, "value": None, "error": None, "error_type": None, "traceback": None,
            "durations_ms": [], **fields}


def _exception_outcome(exc: BaseException, durations: list[float]) -> dict[str, Any]:
    kind = "memory" if isinstance(exc, MemoryError) else "exception"
    try:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:_ERROR_CAP]
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-_TRACEBACK_CAP:]
    except BaseException:  # noqa: BLE001  a hostile __str__ must not turn into a crash report
        text, tb = type(exc).__name__, None
    return _outcome(error=text, error_type=kind, traceback=tb, durations_ms=durations)


def _run_user_code(req: dict[str, Any]) -> dict[str, Any]:
    durations: list[float] = []
    entry = str(req["entry"])
    try:
        namespace: dict[str, Any] = {"__name__": "__codeworld__", "__builtins__": builtins}
        exec(compile(req["code"], "<variant>", "exec"), namespace)
        func = namespace.get(entry)
        if not callable(func):
            return _outcome(error=f"NameError: no callable {entry!r} defined by the code", error_type="exception")
        args_json = json.dumps(req["args"])
        value: Any = None
        for i in range(int(req["repeats"])):
            args = json.loads(args_json)
            start = time.perf_counter_ns()
            result = func(*args) if isinstance(args, list) else func(args)
            durations.append((time.perf_counter_ns() - start) / 1e6)
            if i == 0:
                value = result
    except BaseException as exc:  # noqa: BLE001  the child reports every fault of hostile code as its result
        return _exception_outcome(exc, durations)
    try:
        json.dumps(value, allow_nan=False)
    except BaseException as exc:  # noqa: BLE001  the child reports every fault of hostile code as its result
        return _outcome(error=f"TypeError: return value of {entry}() is not finite JSON: "
                        f"{type(exc).__name__}: {str(exc)[:200]}", error_type="exception", durations_ms=durations)
    return _outcome(ok=True, value=value, durations_ms=durations)


class Filter(Protocol):
    """A compiled seccomp filter the child installs as its last trusted act."""

    def install(self) -> None: ...


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def run(fds: tuple[int, int, int, int], limits: dict[str, Any], filt: Filter, *, zygote: int,
        private_tmp: bool, scratch: str | None, request_cap: int) -> NoReturn:
    """Never returns. `fds` is (stdout, request, reply, start marker)."""
    code = 0
    try:
        if _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0 or os.getppid() != zygote:
            raise SetupError("zygote gone before the child was locked down")
        _place_fds(*fds)
        if private_tmp:
            _private_tmp(int(limits["tmpfs_mb"]))
        elif scratch is not None:
            os.chdir(scratch)
        _drop_capabilities()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        _limit(limits)
        req = _read_request(request_cap)
        cap = int(limits["max_output_bytes"])
        filt.install()
        _write_all(MARK_FD, MARKER.pack(time.monotonic_ns(), time.process_time_ns()))
        os.close(MARK_FD)
    except BaseException as exc:  # noqa: BLE001  the child reports every fault of hostile code as its result
        with_text = f"codeworld: the child could not start: {type(exc).__name__}: {exc}\n"
        try:
            os.write(2, with_text.encode("utf-8", "replace"))
        finally:
            os._exit(71)
    try:
        outcome = _run_user_code(req)
        sys.stdout.flush()
        sys.stderr.flush()
        body = json.dumps(outcome, allow_nan=False).encode()
        if len(body) > cap:
            body = json.dumps(_outcome(
                error=f"ValueError: reply of {len(body)} bytes exceeds max_output_bytes={cap}",
                error_type="exception", durations_ms=outcome["durations_ms"])).encode()
        _write_all(REP_FD, body)
    except BaseException:  # noqa: BLE001  the child reports every fault of hostile code as its result
        code = 70
    finally:
        os._exit(code)


__all__ = ["MARKER", "MARK_FD", "REP_FD", "REQ_FD", "SetupError", "run"]
