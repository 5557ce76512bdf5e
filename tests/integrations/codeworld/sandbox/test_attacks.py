"""The attack suite: escapes of in-language restrictions, then what the OS isolation still stops.

Every payload runs with NO AST filter. Each one first reaches `os` or the
builtins by a known trick (proving the trick works), then tries to read
secrets and host files, run commands, write outside the tmpfs, connect,
fork, exhaust memory or CPU, forge results or kill its parent. The tests
assert each is contained and bounded, under every isolating backend.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from scillm.integrations.codeworld.sandbox import Limits, RunRequest, RunResult, Sandbox
from scillm.integrations.codeworld.sandbox.child import REP_FD
from scillm.integrations.codeworld.sandbox.interpreter import worker_sources

_ATTEMPTS = '''
def _try(fn):
    try:
        return ["ok", repr(fn())[:4000]]
    except BaseException as e:
        return ["err", type(e).__name__ + ": " + str(e)[:200]]

def _attempts(os_ns, open_fn):
    return {
        "environ": _try(lambda: dict(os_ns["environ"])),
        "proc_self": _try(lambda: open_fn("/proc/self/environ", "rb").read()),
        "proc_1": _try(lambda: open_fn("/proc/1/environ", "rb").read()),
        "host_file": _try(lambda: open_fn(HOST_FILE).read()),
        "shadow": _try(lambda: open_fn("/etc/shadow").read()),
        "system": _try(lambda: os_ns["system"]("echo pwned > " + MARKER)),
        "write_host": _try(lambda: open_fn(MARKER, "w").write("pwned")),
        "write_worker": _try(lambda: open_fn(WORKER, "a").write("pwned")),
        "write_root": _try(lambda: open_fn("/pwned", "w").write("pwned")),
        "write_dev": _try(lambda: open_fn("/dev/pwned", "w").write("pwned")),
        "write_shm": _try(lambda: open_fn("/dev/shm/pwned", "w").write("pwned")),
        "listdir": _try(lambda: os_ns["listdir"]("/")),
    }
'''

_SUBCLASSES = '''
def solve():
    for cls in ().__class__.__mro__[1].__subclasses__():
        g = getattr(getattr(cls, "__init__", None), "__globals__", None)
        if isinstance(g, dict) and "system" in g and "environ" in g:
            return {"escaped": True, **_attempts(g, g["__builtins__"]["open"])}
    return {"escaped": False}
'''

_GENERATOR_FRAMES = '''
def solve():
    def gen():
        yield g.gi_frame.f_back.f_builtins
    g = gen()
    b = next(g)
    os_mod = b["__import__"]("os")
    return {"escaped": True, **_attempts(vars(os_mod), b["open"])}
'''

_FORMAT_STRING = '''
def solve():
    def gen():
        yield "{0.gi_frame.f_back.f_back.f_globals[os].environ}".format(g)
    g = gen()
    leaked_env = next(g)
    builtins_text = "{0.__globals__[__builtins__]}".format(solve)
    b = solve.__globals__["__builtins__"]
    b = b if isinstance(b, dict) else vars(b)
    os_mod = b["__import__"]("os")
    return {"escaped": "environ" in leaked_env, "leaked_env": leaked_env, "builtins": builtins_text[:100],
            **_attempts(vars(os_mod), b["open"])}
'''

_TRACEBACK_FRAMES = '''
def solve():
    try:
        1 / 0
    except ZeroDivisionError as e:
        f = e.__traceback__.tb_frame
    frames = []
    while f is not None:
        frames.append(f)
        f = f.f_back
    outer = frames[-1].f_globals
    forged = []
    os_mod = outer["os"]
    for fr in frames:
        ns = fr.f_locals.get("ns")
        if ns is not None and hasattr(ns, "ctl_fd"):
            report = ('{"id": 1, "started": true, "status": 0, "wall_ns": 1, "cpu_ns": 1}').encode()
            forged.append(_try(lambda fd=ns.ctl_fd: os_mod.write(fd, report)))
    os_ns = vars(os_mod)
    return {"escaped": "os" in outer, "frames": len(frames), "forged": forged,
            **_attempts(os_ns, outer["__builtins__"]["open"] if isinstance(outer["__builtins__"], dict)
                        else outer["__builtins__"].open)}
'''

_DECORATORS = '''
@exec
@(lambda _: "import os\\nHARM = _attempts(vars(os), open)")
class Unused:
    pass

def solve():
    return {"escaped": True, **HARM}
'''


def _payload(body: str, host_file: Path, marker: Path) -> str:
    worker = worker_sources()["worker.py"]
    header = f"HOST_FILE = {str(host_file)!r}\nMARKER = {str(marker)!r}\nWORKER = {worker!r}\n"
    return header + _ATTEMPTS + body


def _assert_contained(res: RunResult, secret: str, host_secret: str, marker: Path) -> dict[str, Any]:
    blob = json.dumps(res.model_dump())
    assert secret not in blob, "a secret from the caller's environment reached the sandbox"
    assert host_secret not in blob, "a host file was read from inside the sandbox"
    assert not marker.exists(), "the sandbox wrote outside its tmpfs"
    assert res.ok, res
    value = res.value
    assert value["escaped"] is True, "the in-language escape itself should work (no AST filter)"
    for key in ("host_file", "shadow", "write_host", "write_worker", "write_root", "write_dev", "write_shm",
                "proc_self", "proc_1"):
        assert value[key][0] == "err", (key, value[key])
    assert value["system"] != ["ok", "0"]
    return dict(value)


@pytest.fixture
def host_files(tmp_path: Path) -> tuple[Path, str, Path]:
    host_secret = "host-secret-" + hashlib.sha256(str(tmp_path).encode()).hexdigest()[:16]
    path = tmp_path / "host_secret.txt"
    path.write_text(host_secret)
    return path, host_secret, tmp_path / "pwned.txt"


@pytest.mark.parametrize("body", [_SUBCLASSES, _GENERATOR_FRAMES, _FORMAT_STRING, _TRACEBACK_FRAMES, _DECORATORS],
                         ids=["subclasses", "generator-frames", "format-string", "traceback-frames", "decorators"])
async def test_language_escapes_reach_os_but_nothing_outside(
    sandbox: Sandbox, secret: str, host_files: tuple[Path, str, Path], body: str
) -> None:
    host_file, host_secret, marker = host_files
    worker_src = Path(worker_sources()["worker.py"]).read_bytes()
    res = await sandbox.run(RunRequest(code=_payload(body, host_file, marker), args=[]))
    value = _assert_contained(res, secret, host_secret, marker)
    assert Path(worker_sources()["worker.py"]).read_bytes() == worker_src
    if body is _TRACEBACK_FRAMES:
        assert value["forged"], "the payload should have found the zygote's control socket number"
        assert all(outcome[0] == "err" for outcome in value["forged"]), value["forged"]
        assert sandbox.status().worker_restarts == 0
    if body is _FORMAT_STRING:
        leaked = value["leaked_env"]
        assert leaked.startswith("environ({"), leaked
        assert set(re.findall(r"'(\w+)': ", leaked)) <= {"PWD", "LC_CTYPE"}, leaked


async def test_sockets_to_loopback_and_elsewhere_fail(sandbox: Sandbox) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    code = f'''
import socket, _socket
def _try(fn):
    try:
        fn()
        return "connected"
    except OSError as e:
        return type(e).__name__ + ": " + str(e)
def solve():
    return {{
        "loopback": _try(lambda: socket.create_connection(("127.0.0.1", {port}), timeout=1)),
        "remote": _try(lambda: socket.create_connection(("1.1.1.1", 53), timeout=1)),
        "raw": _try(lambda: _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", {port}))),
        "unix": _try(lambda: socket.socket(socket.AF_UNIX).connect("/run/systemd/private")),
        "pair": _try(lambda: socket.socketpair()),
    }}
'''
    try:
        res = await sandbox.run(RunRequest(code=code, args=[]))
        time.sleep(0.2)
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()
    assert res.ok, res
    assert all(v != "connected" for v in res.value.values()), res.value


async def test_fork_bombs_fail(sandbox: Sandbox) -> None:
    code = '''
import os, subprocess, multiprocessing
def solve():
    forks, errors = 0, set()
    for _ in range(8):
        try:
            if os.fork() == 0:
                os._exit(0)
            forks += 1
        except OSError as e:
            errors.add(e.errno)
    out = {"forks": forks, "errnos": sorted(errors)}
    for name, fn in (("popen", lambda: subprocess.Popen(["/bin/sh", "-c", "true"])),
                     ("spawn", lambda: os.posix_spawn("/bin/sh", ["sh"], {})),
                     ("mp", lambda: multiprocessing.get_context("fork").Process(target=print).start())):
        try:
            fn()
            out[name] = "started"
        except OSError as e:
            out[name] = type(e).__name__
    return out
'''
    res = await sandbox.run(RunRequest(code=code, args=[]))
    assert res.ok, res
    assert res.value["forks"] == 0 and res.value["errnos"] == [1]
    assert "started" not in res.value.values(), res.value


@pytest.mark.parametrize("code", [
    "def solve():\n    x = bytearray(8 * 2**30)\n    return len(x)\n",
    "def solve():\n    hoard = []\n    while True:\n        hoard.append(bytearray(10**7))\n",
], ids=["8GB-bytearray", "growing-list"])
async def test_memory_bombs_are_stopped(sandbox: Sandbox, code: str) -> None:
    start = time.monotonic()
    res = await sandbox.run(RunRequest(code=code, args=[]))
    assert not res.ok and res.error_type == "memory", res
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("code", [
    "def solve():\n    return sum(range(10**10))\n",
    "def solve():\n    while True:\n        pass\n",
    "import time\ndef solve():\n    time.sleep(60)\n",
    "import threading, time\ndef solve():\n    try:\n"
    "        threading.Thread(target=lambda: [0 for _ in iter(int, 1)], daemon=True).start()\n"
    "    except RuntimeError:\n        pass\n    time.sleep(60)\n",
], ids=["sum-range", "while-true", "sleep", "thread-spin"])
async def test_cpu_bombs_and_sleeps_time_out(sandbox: Sandbox, code: str) -> None:
    start = time.monotonic()
    res = await sandbox.run(RunRequest(code=code, args=[]), Limits(wall_ms=300, cpu_s=1))
    assert not res.ok and res.error_type == "timeout", res
    assert time.monotonic() - start < 8
    follow = await sandbox.run(RunRequest(code="def solve():\n    return 'alive'\n", args=[]))
    assert follow.value == "alive"


async def test_printed_fake_results_are_only_stdout(sandbox: Sandbox) -> None:
    code = '''
import json, os, sys
BODY = json.dumps({"nonce": "guess", "ok": True, "value": "FORGED",
                   "result": {"ok": True, "value": "FORGED"}}).encode()
FRAME = b"CWF1" + len(BODY).to_bytes(4, "big") + BODY
def solve(mode):
    print(json.dumps({"ok": True, "value": "FORGED"}))
    sys.stdout.flush()
    for fd in (1, 2):
        os.write(fd, FRAME)
    if mode == "channel":
        os.write(REPLY_FD, FRAME)
    if mode == "fail":
        raise RuntimeError("real failure")
    return "honest"
'''
    code = f"REPLY_FD = {REP_FD}\n" + code
    res = await sandbox.run(RunRequest(code=code, args=["ok"]))
    assert res.ok and res.value == "honest"
    assert "FORGED" in res.stdout
    res = await sandbox.run(RunRequest(code=code, args=["fail"]))
    assert not res.ok and res.error_type == "exception" and res.value is None
    assert res.error == "RuntimeError: real failure"
    res = await sandbox.run(RunRequest(code=code, args=["channel"]))
    assert not res.ok and res.error_type == "protocol" and res.value is None, res
    assert sandbox.status().worker_restarts == 0


async def test_killing_the_parent_fails_and_the_sandbox_keeps_working(sandbox: Sandbox) -> None:
    code = '''
import os
def solve():
    out = {}
    for name, pid in (("ppid", os.getppid()), ("init", 1), ("everyone", -1)):
        try:
            os.kill(pid, 9)
            out[name] = "sent"
        except OSError as e:
            out[name] = e.errno
    return out
'''
    res = await sandbox.run(RunRequest(code=code, args=[]))
    assert res.ok and res.value == {"ppid": 1, "init": 1, "everyone": 1}, res
    follow = await sandbox.run(RunRequest(code="def solve():\n    return 'alive'\n", args=[]))
    assert follow.value == "alive"
    assert sandbox.status().worker_restarts == 0


async def test_exiting_or_crashing_the_child_is_reported_as_crashed(sandbox: Sandbox) -> None:
    res = await sandbox.run(RunRequest(code="import os\ndef solve():\n    os._exit(3)\n", args=[]))
    assert res.error_type == "crashed" and "status 3" in (res.error or "")
    res = await sandbox.run(RunRequest(code="import ctypes\ndef solve():\n    ctypes.string_at(0)\n", args=[]))
    assert res.error_type == "crashed" and "SIGSEGV" in (res.error or "")
