"""The zygote inside the sandbox: forks one pristine child per evaluation and times it from outside.

Run as a script (`python -I -S worker.py --ctl-fd N --nonce X`) inside
bubblewrap or `unshare`; standard library only. The zygote never reads a
request, a case, an expected output or a result: per evaluation the host
sends it only limits and three fresh descriptors (request, reply, stdout)
over a socket; it forks, and the child reads its own request from its own
descriptor and writes its own reply to its own descriptor, which only the
host reads. So a child's memory, frames and heap hold nothing of any other
evaluation. The zygote itself runs no untrusted code: it waits for the
child's start marker, enforces the wall clock with SIGKILL from outside, reaps
the child with `wait4` for the kernel's CPU accounting, and reports wall and
CPU time measured from the marker to the child's exit. Nothing a child can
do reaches it: seccomp denies every signal path, ptrace and changes to other
processes' limits, priority or affinity, and there is no /proc.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
from typing import Any

if __package__:
    from . import child, seccomp
else:  # run as a script inside the sandbox, next to its sibling modules
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import child  # type: ignore[no-redef]
    import seccomp  # type: ignore[no-redef]

REQUEST_CAP_BYTES = 16 * 1024 * 1024
_SETUP_MS = 5000
"""Time a child may take to lock down and read its request before it counts as hung."""


def _wait(pid: int, marker_r: int, budget_ms: int) -> dict[str, Any]:
    """Wait for the start marker, then for the exit; SIGKILL past the budget. Never reads untrusted bytes."""
    pidfd = os.pidfd_open(pid)
    started: tuple[int, int] | None = None
    timed_out = False
    exited_at: int | None = None
    deadline = time.monotonic_ns() + _SETUP_MS * 1_000_000
    phase = "setup"
    try:
        marker_open = True
        while True:
            remaining = (deadline - time.monotonic_ns()) / 1e9
            if remaining <= 0:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
                break
            ready, _, _ = select.select([pidfd] + ([marker_r] if marker_open else []), [], [], remaining)
            if marker_open and marker_r in ready:
                data = os.read(marker_r, child.MARKER.size)
                marker_open = False
                if len(data) == child.MARKER.size:
                    started = child.MARKER.unpack(data)
                    phase = "run"
                    deadline = started[0] + budget_ms * 1_000_000
                continue
            if pidfd in ready:
                exited_at = time.monotonic_ns()
                break
        _, status, usage = os.wait4(pid, 0)
    finally:
        os.close(pidfd)
    cpu_ns = int((usage.ru_utime + usage.ru_stime) * 1e9)
    end = exited_at if exited_at is not None else time.monotonic_ns()
    return {
        "started": started is not None,
        "phase": phase,
        "timed_out": timed_out,
        "status": status,
        "wall_ns": end - started[0] if started else None,
        "cpu_ns": max(cpu_ns - started[1], 0) if started else cpu_ns,
    }


def evaluate(cmd: dict[str, Any], fds: list[int], filt: seccomp.Filter, *, private_tmp: bool,
             scratch_root: str | None) -> dict[str, Any]:
    """Fork one child on the host's descriptors (stdout, request, reply) and report how it ended."""
    marker_r, marker_w = os.pipe()
    scratch = tempfile.mkdtemp(dir=scratch_root) if scratch_root else None
    zygote = os.getpid()
    try:
        pid = os.fork()
        if pid == 0:
            child.run((fds[0], fds[1], fds[2], marker_w), cmd["limits"], filt, zygote=zygote,
                      private_tmp=private_tmp, scratch=scratch, request_cap=REQUEST_CAP_BYTES)
        os.close(marker_w)
        for fd in fds:
            os.close(fd)
        report = _wait(pid, marker_r, int(cmd["budget_ms"]))
    finally:
        os.close(marker_r)
        if scratch is not None:
            _remove(scratch)
    return {"id": cmd["id"], **report}


def _remove(path: str) -> None:
    """Remove a child's scratch directory even where it made subdirectories unreadable (unsandboxed only)."""
    for root, dirs, _ in os.walk(path):
        for name in dirs:
            try:
                os.chmod(os.path.join(root, name), 0o700, follow_symlinks=False)
            except OSError:
                pass
    shutil.rmtree(path, ignore_errors=True)


def _serve(ctl: socket.socket, filt: seccomp.Filter, *, private_tmp: bool, scratch_root: str | None) -> None:
    while True:
        msg, fds, _, _ = socket.recv_fds(ctl, 65536, 3)
        if not msg:
            return
        cmd = json.loads(msg)
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            ctl.send(json.dumps({"id": cmd.get("id"), "error": f"expected 3 descriptors, got {len(fds)}"}).encode())
            continue
        try:
            report = evaluate(cmd, fds, filt, private_tmp=private_tmp, scratch_root=scratch_root)
        except OSError as exc:  # fork or pipe refused: report it, keep serving
            report = {"id": cmd["id"], "error": f"the worker could not run a child: {exc}"}
        ctl.send(json.dumps(report).encode())
        del report  # the next child's frames must not see this one's timing


def main(argv: list[str] | None = None) -> int:
    """Entry point inside the sandbox."""
    parser = argparse.ArgumentParser(prog="codeworld-worker")
    parser.add_argument("--ctl-fd", type=int, required=True)
    parser.add_argument("--nonce", required=True)
    parser.add_argument("--scratch", default=None,
                        help="unsandboxed only: make a fresh directory per child here instead of a private tmpfs")
    parser.add_argument("--preimport", default="",
                        help="comma-separated modules imported once in the zygote, so children start warm")
    parser.add_argument("--rootfs", default=None, help="JSON spec: build a minimal root and pivot into it first")
    ns = parser.parse_args(argv)
    if ns.rootfs:
        if __package__:
            from . import rootfs  # noqa: PLC0415  only when a minimal root is asked for; works as package or script
        else:
            import rootfs  # type: ignore[no-redef]  # noqa: PLC0415  run as a script inside the sandbox
        rootfs.enter(json.loads(ns.rootfs))
    for name in filter(None, ns.preimport.split(",")):
        __import__(name)
    filt = seccomp.build_filter()
    ctl = socket.socket(fileno=ns.ctl_fd)
    ctl.setblocking(True)
    os.chdir("/" if ns.scratch is None else ns.scratch)
    gc.collect()
    gc.freeze()  # children's collections then leave the inherited heap alone: fewer copy-on-write faults
    ctl.send(json.dumps({"nonce": ns.nonce, "ready": True, "pid": os.getpid()}).encode())
    _serve(ctl, filt, private_tmp=ns.scratch is None, scratch_root=ns.scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
