"""The BPF filter on its own: a forked child with it installed cannot fork, exec, connect or signal."""

from __future__ import annotations

import ctypes
import json
import os

import pytest

from scillm.integrations.codeworld.sandbox.seccomp import SeccompUnavailable, build_filter


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

            box: list[int] = []
            t = threading.Thread(target=lambda: box.append(1))
            t.start()
            t.join()
            out["thread"] = "ok" if box else "no"
            libc = ctypes.CDLL(None, use_errno=True)
            out["shmget"] = "allowed" if libc.shmget(0, 4096, 0o1600) >= 0 else f"errno {ctypes.get_errno()}"
            for name, action in (
                ("fork", os.fork),
                ("exec", lambda: os.execv("/bin/true", ["true"])),
                ("socket", socket.socket),
                ("kill", lambda: os.kill(os.getppid(), 0)),
            ):
                try:
                    action()
                    out[name] = "allowed"
                except OSError as exc:
                    out[name] = f"errno {exc.errno}"
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


def test_filter_denies_process_creation_exec_sockets_and_signals_but_not_threads() -> None:
    out = _probe_in_child()
    assert out == {"thread": "ok", "fork": "errno 1", "exec": "errno 1", "socket": "errno 1", "kill": "errno 1",
                   "shmget": "errno 1"}


def test_unknown_architecture_is_refused() -> None:
    with pytest.raises(SeccompUnavailable, match="riscv"):
        build_filter("riscv64")
