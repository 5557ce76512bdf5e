"""The BPF allow-list on its own: a forked child with it installed computes, but reaches nothing else."""

from __future__ import annotations

import ctypes
import json
import os

import pytest

from scillm.integrations.codeworld.sandbox.seccomp import (
    SeccompUnavailableError,
    allowed_syscalls,
    build_filter,
)


def _probe_in_child() -> dict[str, str]:
    filt = build_filter()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(r)
        out: dict[str, str] = {}
        try:
            filt.install()
            import socket
            import threading

            out["compute"] = str(sum(i * i for i in range(1000)))
            with open(os.devnull, "rb") as f:
                out["open"] = "ok" if f.read() == b"" else "no"
            libc = ctypes.CDLL(None, use_errno=True)
            out["shmget"] = "allowed" if libc.shmget(0, 4096, 0o1600) >= 0 else f"errno {ctypes.get_errno()}"
            out["prlimit_self"] = "ok" if libc.prlimit(0, 7, None, ctypes.create_string_buffer(16)) == 0 else "no"
            for name, action in (
                ("thread", lambda: threading.Thread(target=print).start()),
                ("fork", os.fork),
                ("exec", lambda: os.execv("/bin/true", ["true"])),
                ("socket", socket.socket),
                ("kill", lambda: os.kill(os.getppid(), 0)),
                ("setpriority", lambda: os.setpriority(os.PRIO_PROCESS, 0, 5)),
                ("prlimit_parent", lambda: __import__("resource").prlimit(os.getppid(), 7)),
            ):
                try:
                    action()
                    out[name] = "allowed"
                except OSError as exc:
                    out[name] = f"errno {exc.errno}"
                except RuntimeError:
                    out[name] = "refused"
        finally:
            os.write(w, json.dumps(out).encode())
            os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 4096):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return dict(json.loads(data))


def test_allow_list_computes_but_denies_processes_threads_exec_sockets_signals_and_others_limits() -> None:
    out = _probe_in_child()
    assert out == {"compute": "332833500", "open": "ok", "shmget": "errno 1", "prlimit_self": "ok",
                   "thread": "refused", "fork": "errno 1", "exec": "errno 1", "socket": "errno 1",
                   "kill": "errno 1", "setpriority": "errno 1", "prlimit_parent": "errno 1"}


def test_both_architectures_assemble_and_unknown_ones_are_refused() -> None:
    assert build_filter("x86_64").count > 100 and build_filter("aarch64").count > 100
    assert "rt_sigqueueinfo" not in allowed_syscalls() and "io_uring_setup" not in allowed_syscalls()
    with pytest.raises(SeccompUnavailableError, match="riscv"):
        build_filter("riscv64")
