"""Hostile tenants: nothing one evaluation does reaches another evaluation, the worker or the ranking.

Each test runs a real attack under every isolating backend (bubblewrap and
the unshare fallback), one warm worker, so that the attacker and its victim
share the worker as they would in production.
"""

from __future__ import annotations

import json
import math
import platform
import secrets

import pytest

from scillm.integrations.codeworld.api import arun_items
from scillm.integrations.codeworld.sandbox import Limits, RunRequest, Sandbox

_ERRNO_PROBE = '''
import ctypes, os
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
def _sys(nr, *args):
    ctypes.set_errno(0)
    ret = _libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    return "ok" if ret >= 0 else os.strerror(ctypes.get_errno())
'''


def _victim(token: str) -> str:
    return (f"SECRET = {token!r}\n"
            "def solve(x):\n    print('stdout of', SECRET)\n    return SECRET\n")


_FRAME_WALK = '''
import gc, sys
def solve(x):
    seen = []
    f = sys._getframe()
    while f is not None:
        for value in list(f.f_locals.values()) + list(f.f_globals.values()):
            seen.append(repr(value)[:100000])
        f = f.f_back
    for obj in gc.get_objects():
        try:
            seen.append(repr(obj)[:2000])
        except Exception:
            pass
    blob = "\\n".join(seen)
    return [HALF1 in blob and (HALF1 + HALF2) in blob]
'''

_HEAP_PROBE = '''
import ctypes, os
def solve(x):
    r, w = os.pipe()
    step = 1 << 15
    center = id(x) & ~(step - 1)
    found = 0
    for addr in range(max(center - (256 << 20), step), center + (256 << 20), step):
        buf = (ctypes.c_char * step).from_address(addr)
        try:
            n = os.write(w, buf)
        except OSError:
            continue
        data = os.read(r, n)
        i = data.find(H1)
        while i >= 0:
            if data[i + len(H1): i + len(H1) + len(H2)] == H2:
                found += 1
            i = data.find(H1, i + 1)
    return found
'''


async def test_no_frame_or_heap_object_holds_an_earlier_evaluation(sandbox: Sandbox) -> None:
    token = "tok" + secrets.token_hex(12)
    half1, half2 = token[:12], token[12:]
    first = await sandbox.run(RunRequest(code=_victim(token), args=[1]))
    assert first.ok and first.value == token
    walker = f"HALF1 = {half1!r}\nHALF2 = {half2!r}\n" + _FRAME_WALK
    res = await sandbox.run(RunRequest(code=walker, args=[2]))
    assert res.ok, res
    assert res.value == [False], "an earlier evaluation's code, result or stdout was reachable"


async def test_probing_raw_memory_finds_no_other_variant(sandbox: Sandbox) -> None:
    token = "mem" + secrets.token_hex(12)
    h1, h2 = token[:10].encode(), token[10:].encode()
    assert (await sandbox.run(RunRequest(code=_victim(token), args=[1]))).ok
    probe = f"H1 = {h1!r}\nH2 = {h2!r}\n" + _HEAP_PROBE
    res = await sandbox.run(RunRequest(code=probe, args=[[0] * 10]), Limits(wall_ms=20_000, cpu_s=20))
    assert res.ok, res
    assert res.value == 0, "another variant's source or result was found in inherited memory"


_FORGER = '''
import json, os, sys
def solve(xs):
    nonce = None
    proto = None
    f = sys._getframe()
    while f is not None:
        nonce = f.f_locals.get("nonce", nonce)
        proto = f.f_globals.get("protocol", proto)
        f = f.f_back
    reply = {"nonce": nonce, "ok": True, "value": xs, "error": None, "error_type": None,
             "traceback": None, "durations_ms": [float("nan")]}
    if proto is not None and hasattr(proto, "encode_frame"):
        data = proto.encode_frame(reply)
    else:
        data = json.dumps(reply).encode()
    for fd in range(3, 10):
        try:
            os.write(fd, data)
        except OSError:
            pass
    os._exit(0)
'''

_PATCHED_CLOCK = '''
import time
def solve(xs):
    time.perf_counter_ns = lambda: 0
    time.perf_counter = lambda: 0.0
    time.monotonic = lambda: 0.0
    end = time.process_time() + 0.25
    while time.process_time() < end:
        pass
    return sorted(xs)
'''


def _ranked_item(**attackers: str) -> dict[str, object]:
    cases = [{"input": [3, 1, 2], "expected": [1, 2, 3]}, {"input": [5, 4, 4, 1], "expected": [1, 4, 4, 5]},
             {"input": [9, 0], "expected": [0, 9]}]
    variants = {"honest": "def solve(xs):\n    return sorted(xs)\n", **attackers}
    return {"task": "sort", "task_id": "sort", "context": {"code_variants": variants, "cases": cases}}


async def test_forged_replies_and_patched_clocks_cannot_win(sandbox: Sandbox) -> None:
    item = _ranked_item(forger=_FORGER, clock=_PATCHED_CLOCK)
    payload = await arun_items([item], sandbox=sandbox, repeats=1, strategy_config={"timeout_ms": 3000})
    json.dumps(payload, allow_nan=False)
    result = payload["results"][0]
    assert result["status"] == "ok", result
    assert result["best_variant"] == "honest", result["ranking"]
    rows = {r["variant_id"]: r for r in result["ranking"]}
    assert all(math.isfinite(v) for r in rows.values() for v in (r["aggregate"], *r["scores"].values()))
    clock_times = [t for t in result["timings"]["clock"] if t is not None]
    assert clock_times and min(clock_times) >= 200, "the speed score used a clock the variant patched"
    assert rows["clock"]["scores"]["speed"] < 0.1


async def test_limits_priority_and_affinity_of_the_worker_cannot_be_changed(sandbox: Sandbox) -> None:
    probe = "import os, resource\ndef solve():\n    return [resource.getrlimit(resource.RLIMIT_NOFILE)[0], " \
            "os.getpriority(os.PRIO_PROCESS, 0), sorted(os.sched_getaffinity(0))]\n"
    before = await sandbox.run(RunRequest(code=probe, args=[]))
    assert before.ok, before
    attack = '''
import os, resource
def _try(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return e.strerror
def solve():
    ppid = os.getppid()
    return {
        "prlimit": _try(lambda: resource.prlimit(ppid, resource.RLIMIT_NOFILE, (7, 7))),
        "prlimit1": _try(lambda: resource.prlimit(1, resource.RLIMIT_NOFILE, (7, 7))),
        "nice": _try(lambda: os.setpriority(os.PRIO_PROCESS, ppid, 19)),
        "nice_group": _try(lambda: os.setpriority(os.PRIO_PGRP, 0, 19)),
        "nice_user": _try(lambda: os.setpriority(os.PRIO_USER, 0, 19)),
        "affinity": _try(lambda: os.sched_setaffinity(ppid, {0})),
        "affinity_self": _try(lambda: os.sched_setaffinity(0, {0})),
        "scheduler": _try(lambda: os.sched_setscheduler(ppid, os.SCHED_IDLE, os.sched_param(0))),
    }
'''
    res = await sandbox.run(RunRequest(code=attack, args=[]))
    assert res.ok, res
    assert all(v != "ok" for v in res.value.values()), res.value
    for _ in range(3):
        after = await sandbox.run(RunRequest(code=probe, args=[]))
        assert after.ok and after.value == before.value, (before, after)
    assert sandbox.status().worker_restarts == 0


@pytest.mark.skipif(platform.machine() != "x86_64", reason="raw syscall numbers below are x86_64's")
async def test_no_signal_path_reaches_another_process(sandbox: Sandbox) -> None:
    code = _ERRNO_PROBE + '''
import fcntl, struct
SIGCONT = 18
def solve():
    ppid = os.getppid()
    info = ctypes.create_string_buffer(128)
    r, w = os.pipe()
    own = struct.pack("ii", 0, ppid)
    return {
        "rt_sigqueueinfo": _sys(129, ppid, SIGCONT, ctypes.addressof(info)),
        "rt_tgsigqueueinfo": _sys(297, ppid, ppid, SIGCONT, ctypes.addressof(info)),
        "rt_sigqueueinfo_init": _sys(129, 1, SIGCONT, ctypes.addressof(info)),
        "kill": _sys(62, ppid, SIGCONT),
        "tgkill": _sys(234, ppid, ppid, SIGCONT),
        "pidfd_open": _sys(434, ppid, 0),
        "pidfd_send_signal": _sys(424, 3, SIGCONT, 0, 0),
        "F_SETOWN": _sys(72, r, 8, ppid),
        "F_SETSIG": _sys(72, r, 10, SIGCONT),
        "F_SETOWN_EX": _sys(72, r, 15, ctypes.addressof(ctypes.create_string_buffer(own))),
        "F_NOTIFY": _sys(72, r, 1026, 0x80000000),
        "FIOSETOWN": _sys(16, r, 0x8901, ctypes.addressof(ctypes.c_int(ppid))),
        "SIOCSPGRP": _sys(16, r, 0x8902, ctypes.addressof(ctypes.c_int(ppid))),
    }
'''
    res = await sandbox.run(RunRequest(code=code, args=[]))
    assert res.ok, res
    assert all(v == "Operation not permitted" for v in res.value.values()), res.value


@pytest.mark.skipif(platform.machine() != "x86_64", reason="raw syscall numbers below are x86_64's")
async def test_io_uring_memfd_exec_raw_clone_and_scheduling_changes_are_refused(sandbox: Sandbox) -> None:
    code = _ERRNO_PROBE + '''
import _thread, time
CLONE_THREAD_FLAGS = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000
def solve():
    params = ctypes.create_string_buffer(120)
    started = 0
    for _ in range(50):
        try:
            _thread.start_new_thread(time.sleep, (5,))
            started += 1
        except RuntimeError:
            break
    return {
        "io_uring_setup": _sys(425, 8, ctypes.addressof(params)),
        "io_uring_enter": _sys(426, 0, 1, 0, 0, 0, 0),
        "io_uring_register": _sys(427, 0, 0, 0, 0),
        "clone_thread": _sys(56, CLONE_THREAD_FLAGS, 0, 0, 0, 0),
        "clone3": _sys(435, 0, 0),
        "memfd_create": _sys(319, ctypes.addressof(ctypes.create_string_buffer(b"x")), 0),
        "execveat_empty_path": _sys(322, 1, ctypes.addressof(ctypes.create_string_buffer(b"")), 0, 0, 0x1000),
        "prctl_sched_core": _sys(157, 62, 1, os.getppid(), 0, 0),
        "setpriority": _sys(141, 0, os.getppid(), 19),
        "sched_setaffinity": _sys(203, os.getppid(), 8, ctypes.addressof(ctypes.c_uint64(1))),
        "sched_setscheduler": _sys(144, os.getppid(), 5, ctypes.addressof(ctypes.c_int(0))),
        "sched_setattr": _sys(314, os.getppid(), ctypes.addressof(ctypes.create_string_buffer(56)), 0),
        "ioprio_set": _sys(251, 1, os.getppid(), (3 << 13)),
        "prlimit64_parent": _sys(302, os.getppid(), 7, ctypes.addressof(ctypes.create_string_buffer(16)), 0),
        "prlimit64_init": _sys(302, 1, 7, ctypes.addressof(ctypes.create_string_buffer(16)), 0),
        "ptrace_seize_parent": _sys(101, 0x4206, os.getppid(), 0, 0),
        "process_vm_readv_parent": _sys(310, os.getppid(), 0, 0, 0, 0, 0),
        "pidfd_open_parent": _sys(434, os.getppid(), 0),
        "vfork": _sys(58),
        "setpgid": _sys(109, 0, os.getppid()),
        "mlock2": _sys(325, 0, 1 << 20, 0),
        "personality": _sys(135, 0x0040000),
        "threads_started": started,
    }
'''
    res = await sandbox.run(RunRequest(code=code, args=[]))
    assert res.ok, res
    value = dict(res.value)
    assert value.pop("threads_started") == 0
    assert value.pop("clone3") == "Function not implemented"
    assert all(v == "Operation not permitted" for v in value.values()), value


async def test_scratch_is_fresh_and_full_size_for_every_evaluation(sandbox: Sandbox) -> None:
    leave = '''
import os
def solve():
    with open("/tmp/top", "w") as f:
        f.write("top")
    os.mkdir("/tmp/hidden")
    with open("/tmp/hidden/note", "w") as f:
        f.write("left behind")
    filled = 0
    try:
        with open("/tmp/hidden/fill", "wb") as f:
            while True:
                f.write(b"\\0" * 65536)
                filled += 1
    except OSError:
        pass
    os.chmod("/tmp/hidden", 0)
    return filled
'''
    check = '''
import os
def solve():
    listing = os.listdir("/tmp")
    with open("/tmp/big", "wb") as f:
        f.write(b"\\1" * (3 * 2**20))
    return listing
'''
    first = await sandbox.run(RunRequest(code=leave, args=[]))
    assert first.ok and first.value > 0, first
    second = await sandbox.run(RunRequest(code=check, args=[]))
    assert second.ok, second
    assert second.value == [], "files of an earlier evaluation survived in /tmp"


async def test_deep_and_non_finite_results_are_that_variants_error(sandbox: Sandbox) -> None:
    deep = "def solve(xs):\n    v = []\n    for _ in range(985):\n        v = [v]\n    return v\n"
    res = await sandbox.run(RunRequest(code=deep, args=[[1]]))
    assert not res.ok and res.error_type in ("protocol", "exception"), res
    nan = "def solve(xs):\n    return float('nan')\n"
    res = await sandbox.run(RunRequest(code=nan, args=[[1]]))
    assert not res.ok and res.value is None, res
    item = _ranked_item(deep=deep, nan=nan, inf="def solve(xs):\n    return [1e308 * 10]\n")
    payload = await arun_items([item, _ranked_item()], sandbox=sandbox, repeats=1)
    json.dumps(payload, allow_nan=False)
    assert [r["status"] for r in payload["results"]] == ["ok", "ok"]
    assert payload["results"][0]["best_variant"] == "honest"


async def test_output_is_capped_per_item_and_per_batch(sandbox: Sandbox) -> None:
    cases = [{"input": i, "expected": i} for i in range(30)]
    item = {"task": "echo", "task_id": "big", "context": {
        "code_variants": {"big": "def solve(x):\n    return 'x' * 150000\n", "honest": "def solve(x):\n    return x\n"},
        "cases": cases}}
    payload = await arun_items([item, item], sandbox=sandbox, repeats=1)
    size = len(json.dumps(payload))
    assert size < 3 * 2**20, f"a 40-byte variant produced a {size}-byte payload"
    assert all(r["best_variant"] == "honest" for r in payload["results"])


_STEALER = """
import gc, sys
def solve(xs):
    best = None
    for obj in gc.get_objects():
        if isinstance(obj, dict) and isinstance(obj.get("value"), list) and obj.get("ok") is True:
            best = obj["value"]
    f = sys._getframe()
    while f is not None:
        for name in ("result", "outcome", "reply", "value"):
            got = f.f_locals.get(name)
            if isinstance(got, dict) and isinstance(got.get("value"), list):
                best = got["value"]
        f = f.f_back
    return best
"""

_POISONER = """
import os, resource
def solve(xs):
    for fn in (lambda: resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (7, 7)),
               lambda: os.setpriority(os.PRIO_PGRP, 0, 19),
               lambda: os.sched_setaffinity(os.getppid(), {0})):
        try:
            fn()
        except OSError:
            pass
    with open("/tmp/fill", "wb") as f:
        try:
            while True:
                f.write(bytes(1 << 16))
        except OSError:
            pass
    return xs
"""


@pytest.mark.parametrize("strategy", ["all", "bandit"])
async def test_the_honest_variant_ranks_first_among_attackers(sandbox: Sandbox, strategy: str) -> None:
    item = _ranked_item(stealer=_STEALER, forger=_FORGER, clock=_PATCHED_CLOCK, poisoner=_POISONER,
                        nan="def solve(xs):\n    return float('nan')\n",
                        deep="def solve(xs):\n    v = []\n    for _ in range(985):\n        v = [v]\n    return v\n")
    payload = await arun_items([item], sandbox=sandbox, repeats=1, strategy=strategy,
                               strategy_config={"timeout_ms": 3000, "rollouts": 40, "seed": 3})
    json.dumps(payload, allow_nan=False)
    result = payload["results"][0]
    assert result["status"] == "ok" and result["best_variant"] == "honest", result["ranking"]
    rows = {r["variant_id"]: r for r in result["ranking"]}
    assert rows["honest"]["cases_passed"] == rows["honest"]["cases_run"] > 0
    assert rows["stealer"]["cases_passed"] == 0


async def test_a_lone_surrogate_result_is_that_variants_error(sandbox: Sandbox) -> None:
    code = "def solve(xs):\n    return '\\ud800'\n"
    res = await sandbox.run(RunRequest(code=code, args=[[1]]))
    assert not res.ok and res.error_type == "protocol" and "surrogate" in (res.error or ""), res
    payload = await arun_items([_ranked_item(surrogate=code)], sandbox=sandbox, repeats=1)
    json.dumps(payload, ensure_ascii=False).encode("utf-8")
    assert payload["results"][0]["best_variant"] == "honest"
