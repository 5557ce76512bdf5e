"""The warm worker inside the sandbox: forks a fresh, locked-down child per evaluation.

Run as a script (`python -I -S worker.py --req-fd N --rep-fd M --nonce X`)
inside bubblewrap or `unshare`; standard library only. The worker itself
never runs user code: it reads a request frame, forks, and the child drops
to rlimits + no_new_privs + seccomp, closes every inherited descriptor but
its result pipe, sends stdout/stderr to an unlinked file, runs the code and
exits. The worker enforces the wall clock with SIGKILL, reads the kernel's
CPU accounting, and answers on its own pipe with the request's nonce.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import ctypes
import gc
import json
import os
import resource
import select
import shutil
import signal
import sys
import time
import traceback
from typing import Any

if __package__:
    from . import protocol, seccomp
else:  # run as a script inside the sandbox, next to its sibling modules
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import protocol  # type: ignore[no-redef]
    import seccomp  # type: ignore[no-redef]

_START_GRACE_MS = 250
_TRACEBACK_CAP = 8000
_MAX_FD = 65536
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _limit_child(limits: dict[str, Any]) -> None:
    mem = int(limits["memory_mb"]) * 1024 * 1024
    cpu = int(limits["cpu_s"])
    fsize = int(limits["tmpfs_mb"]) * 1024 * 1024
    nofile = int(limits["open_files"])
    for res, value in (
        (resource.RLIMIT_AS, (mem, mem)),
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_FSIZE, (fsize, fsize)),
        (resource.RLIMIT_NOFILE, (nofile, nofile)),
        (resource.RLIMIT_CORE, (0, 0)),
    ):
        resource.setrlimit(res, value)


def _outcome(nonce: str, **fields: Any) -> dict[str, Any]:
    return {"nonce": nonce, "ok": False, "value": None, "error": None, "error_type": None,
            "traceback": None, "durations_ms": [], **fields}


def _exception_outcome(nonce: str, exc: BaseException, durations: list[float]) -> dict[str, Any]:
    kind = "memory" if isinstance(exc, MemoryError) else "exception"
    try:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-_TRACEBACK_CAP:]
    except BaseException:  # a hostile __str__ must not turn into a crash report
        text, tb = type(exc).__name__, None
    return _outcome(nonce, error=text, error_type=kind, traceback=tb, durations_ms=durations)


def _run_user_code(req: dict[str, Any], nonce: str) -> dict[str, Any]:
    durations: list[float] = []
    try:
        namespace: dict[str, Any] = {"__name__": "__codeworld__", "__builtins__": builtins}
        exec(compile(req["code"], "<variant>", "exec"), namespace)
        func = namespace.get(req["entry"])
        if not callable(func):
            return _outcome(nonce, error=f"NameError: no callable {req['entry']!r} defined by the code",
                            error_type="exception")
        args_json = json.dumps(req["args"])
        value: Any = None
        for i in range(int(req["repeats"])):
            args = json.loads(args_json)
            start = time.perf_counter_ns()
            result = func(*args) if isinstance(args, list) else func(args)
            durations.append((time.perf_counter_ns() - start) / 1e6)
            if i == 0:
                value = result
    except BaseException as exc:
        return _exception_outcome(nonce, exc, durations)
    try:
        json.dumps(value)
    except BaseException as exc:
        return _outcome(nonce, error=f"TypeError: return value of {req['entry']}() is not JSON-serialisable: "
                        f"{type(exc).__name__}", error_type="exception", durations_ms=durations)
    return _outcome(nonce, ok=True, value=value, durations_ms=durations)


def _child(req: dict[str, Any], result_w: int, out_fd: int, nonce: str, filt: seccomp.Filter,
           tmp_dir: str, parent: int) -> None:
    """Never returns: lock down, run, report on `result_w`, exit."""
    code = 0
    try:
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.dup2(result_w, 3)
        os.closerange(4, _MAX_FD)
        os.close(0)
        if _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0 or os.getppid() != parent:
            raise OSError("worker gone before the child was locked down")
        os.chdir(tmp_dir)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        _limit_child(req["limits"])
        filt.install()
        outcome = _run_user_code(req, nonce)
        sys.stdout.flush()
        sys.stderr.flush()
        cap = int(req["limits"]["max_output_bytes"])
        frame = protocol.encode_frame(outcome)
        if len(frame) > cap:
            frame = protocol.encode_frame(_outcome(
                nonce, error=f"ValueError: reply of {len(frame)} bytes exceeds max_output_bytes={cap}",
                error_type="exception", durations_ms=outcome["durations_ms"]))
        view = memoryview(frame)
        while view:
            view = view[os.write(3, view):]
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def _wipe(tmp_dir: str) -> None:
    """Remove everything a child left in the scratch directory, so the next child starts clean."""
    for entry in os.scandir(tmp_dir):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _wait_child(pid: int, result_r: int, deadline: float, cap: int) -> tuple[bytes, bool, bool, int, float]:
    """Collect the child's reply; SIGKILL it at the deadline. Returns (data, timed_out, oversized, status, cpu_ms)."""
    pidfd = os.pidfd_open(pid)
    data = bytearray()
    timed_out = oversized = False
    pipe_open = True
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            watch = [pidfd] + ([result_r] if pipe_open else [])
            ready, _, _ = select.select(watch, [], [], remaining)
            if result_r in ready:
                chunk = os.read(result_r, 65536)
                if not chunk:
                    pipe_open = False
                data += chunk
                if len(data) > cap:
                    oversized = True
                    break
            elif pidfd in ready:
                break
        if timed_out or oversized:
            os.kill(pid, signal.SIGKILL)
        _, status, usage = os.wait4(pid, 0)
        while pipe_open and not timed_out and not oversized:
            chunk = os.read(result_r, 65536)
            if not chunk:
                break
            data += chunk
            if len(data) > cap:
                oversized = True
                break
    finally:
        os.close(pidfd)
    return bytes(data), timed_out, oversized, status, (usage.ru_utime + usage.ru_stime) * 1000.0


def _classify_exit(status: int, cpu_ms: float, limits: dict[str, Any]) -> tuple[str, str]:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu_ms >= limits["cpu_s"] * 1000 * 0.9):
            return "timeout", f"CPU limit of {limits['cpu_s']} s exceeded"
        return "crashed", f"child killed by signal {signal.Signals(sig).name}"
    return "crashed", f"child exited with status {os.WEXITSTATUS(status)} without a result"


_ERROR_TYPES = (None, "exception", "timeout", "memory", "crashed", "protocol", "rejected")


def _checked_outcome(raw: dict[str, Any]) -> dict[str, Any]:
    """Keep only well-typed fields of a child's reply: the child ran untrusted code and may have written it."""
    durations = raw.get("durations_ms")
    checks = (
        isinstance(raw.get("ok"), bool),
        raw.get("error_type") in _ERROR_TYPES,
        isinstance(raw.get("error"), (str, type(None))),
        isinstance(raw.get("traceback"), (str, type(None))),
        isinstance(durations, list) and all(isinstance(d, (int, float)) for d in durations),
    )
    if not all(checks):
        raise protocol.ProtocolFault("child reply has missing or mistyped fields")
    keys = ("nonce", "ok", "value", "error", "error_type", "traceback", "durations_ms")
    return {key: raw.get(key) for key in keys}


def evaluate(req: dict[str, Any], filt: seccomp.Filter, tmp_dir: str = "/tmp") -> dict[str, Any]:
    """Run one request in a fresh child and return the RunResult fields."""
    limits = req["limits"]
    cap = int(limits["max_output_bytes"])
    child_nonce = protocol.new_nonce()
    out_path = os.path.join(tmp_dir, f".cw-out-{child_nonce}")
    out_fd = os.open(out_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.unlink(out_path)
    result_r, result_w = os.pipe()
    budget_ms = int(limits["wall_ms"]) * int(req["repeats"]) + _START_GRACE_MS
    deadline = time.monotonic() + budget_ms / 1000.0
    parent = os.getpid()
    sys.stdout.flush()  # nothing buffered in the worker may surface in a child's captured output
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(result_r)
        _child(req, result_w, out_fd, child_nonce, filt, tmp_dir, parent)
    os.close(result_w)
    try:
        data, timed_out, oversized, status, cpu_ms = _wait_child(pid, result_r, deadline, cap + 64)
        stdout = os.pread(out_fd, cap, 0).decode("utf-8", "replace")
    finally:
        os.close(result_r)
        os.close(out_fd)
        _wipe(tmp_dir)
    base = {"cpu_ms": cpu_ms, "stdout": stdout}
    if timed_out:
        return {**_outcome(child_nonce, error=f"wall-clock limit of {budget_ms} ms exceeded",
                           error_type="timeout"), **base}
    if oversized:
        return {**_outcome(child_nonce, error=f"child reply exceeds max_output_bytes={cap}",
                           error_type="protocol"), **base}
    if not data:
        kind, text = _classify_exit(status, cpu_ms, limits)
        return {**_outcome(child_nonce, error=text, error_type=kind), **base}
    try:
        length = protocol.parse_header(data[: protocol.HEADER_SIZE], cap)
        body = data[protocol.HEADER_SIZE:]
        if len(body) != length:
            raise protocol.ProtocolFault(f"child reply has {len(body)} body bytes, header says {length}")
        outcome = _checked_outcome(protocol.decode_body(body, child_nonce))
    except protocol.ProtocolFault as exc:
        return {**_outcome(child_nonce, error=f"malformed child reply: {exc}", error_type="protocol"), **base}
    return {**outcome, **base}


def _serve(req_fd: int, rep_fd: int, filt: seccomp.Filter, tmp_dir: str) -> None:
    while True:
        req = protocol.read_frame_fd(req_fd, protocol.REQUEST_CAP_BYTES)
        if req is None:
            return
        try:
            result = evaluate(req, filt, tmp_dir)
        except OSError as exc:  # fork or pipe refused: report it, keep serving
            result = _outcome("", error=f"the worker could not run a child: {exc}", error_type="crashed")
        result.pop("nonce", None)
        protocol.write_frame_fd(rep_fd, {"nonce": req["nonce"], "result": result})


def main(argv: list[str] | None = None) -> int:
    """Entry point inside the sandbox."""
    parser = argparse.ArgumentParser(prog="codeworld-worker")
    parser.add_argument("--req-fd", type=int, required=True)
    parser.add_argument("--rep-fd", type=int, required=True)
    parser.add_argument("--nonce", required=True)
    parser.add_argument("--tmp", default="/tmp", help="this worker's own scratch directory, wiped after every child")
    parser.add_argument("--preimport", default="",
                        help="comma-separated modules imported once in the worker, so children start warm")
    parser.add_argument("--rootfs", default=None, help="JSON spec: build a minimal root and pivot into it first")
    ns = parser.parse_args(argv)
    if ns.rootfs:
        if __package__:
            from . import rootfs
        else:
            import rootfs  # type: ignore[no-redef]
        rootfs.enter(json.loads(ns.rootfs))
    for name in filter(None, ns.preimport.split(",")):
        __import__(name)
    filt = seccomp.build_filter()
    gc.freeze()  # children's collections then leave the inherited heap alone: fewer copy-on-write faults
    protocol.write_frame_fd(ns.rep_fd, {"nonce": ns.nonce, "ready": True, "pid": os.getpid()})
    _serve(ns.req_fd, ns.rep_fd, filt, ns.tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
