"""Normal evaluations through the public sandbox API: values, errors, limits, no leaks, refusal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scillm.errors import InvalidRequestError, SandboxUnavailableError
from scillm.integrations.codeworld.sandbox import (
    Limits,
    RunRequest,
    Sandbox,
    available_backends,
    bwrap,
    get_sandbox,
    unsandboxed,
    unshare,
)

from .conftest import TEST_LIMITS


async def test_solve_returns_its_value_and_prints_are_captured(sandbox: Sandbox) -> None:
    code = "def solve(a, b):\n    print('adding', a, b)\n    return {'sum': a + b, 'pair': (a, b)}\n"
    res = await sandbox.run(RunRequest(code=code, args=[2, 3], repeats=3))
    assert res.ok and res.error_type is None
    assert res.value == {"sum": 5, "pair": [2, 3]}
    assert len(res.durations_ms) == 3 and all(d >= 0 for d in res.durations_ms)
    assert res.stdout == "adding 2 3\n" * 3
    assert res.cpu_ms is not None and res.cpu_ms >= 0
    assert res.backend == sandbox.name


async def test_non_list_input_is_passed_whole_and_entry_is_configurable(sandbox: Sandbox) -> None:
    code = "def score(case):\n    return sorted(case['xs'])[::-1]\n"
    res = await sandbox.run(RunRequest(code=code, entry="score", args={"xs": [3, 1, 2]}))
    assert res.ok and res.value == [3, 2, 1]


async def test_each_repeat_gets_a_fresh_copy_of_the_input(sandbox: Sandbox) -> None:
    code = "def solve(xs):\n    xs.append(0)\n    return len(xs)\n"
    res = await sandbox.run(RunRequest(code=code, args=[[1, 2]], repeats=3))
    assert res.ok and res.value == 3 and len(res.durations_ms) == 3


async def test_exception_is_reported_with_its_text(sandbox: Sandbox) -> None:
    code = "def solve(x):\n    raise ValueError(f'bad input {x}')\n"
    res = await sandbox.run(RunRequest(code=code, args=[7]))
    assert not res.ok and res.error_type == "exception"
    assert res.error == "ValueError: bad input 7"
    assert res.traceback is not None and "<variant>" in res.traceback


async def test_syntax_error_missing_entry_and_unjsonable_return(sandbox: Sandbox) -> None:
    res = await sandbox.run(RunRequest(code="def solve(:\n", args=[]))
    assert res.error_type == "exception" and res.error is not None and "SyntaxError" in res.error
    res = await sandbox.run(RunRequest(code="def other():\n    return 1\n", args=[]))
    assert res.error_type == "exception" and "solve" in (res.error or "")
    res = await sandbox.run(RunRequest(code="def solve():\n    return {1, 2}\n", args=[]))
    assert res.error_type == "exception" and "JSON" in (res.error or "")


async def test_timeouts_name_the_limit_that_ran_out(sandbox: Sandbox) -> None:
    spin = RunRequest(code="def solve():\n    while True:\n        pass\n", args=[])
    start = time.monotonic()
    res = await sandbox.run(spin, Limits(wall_ms=300, cpu_s=5))
    assert res.error_type == "timeout" and not res.ok and "wall-clock" in (res.error or "")
    res = await sandbox.run(spin, Limits(wall_ms=5000, cpu_s=1))
    assert res.error_type == "timeout" and "CPU limit" in (res.error or "")
    assert res.cpu_ms is not None and res.cpu_ms >= 500
    assert time.monotonic() - start < 10


async def test_state_does_not_leak_between_evaluations(sandbox: Sandbox) -> None:
    code = (
        "import math, os\n"
        "SEEN = []\n"
        "def solve(mark):\n"
        "    SEEN.append(mark)\n"
        "    leaked_file = os.path.exists('/tmp/state.txt')\n"
        "    with open('/tmp/state.txt', 'w') as f:\n"
        "        f.write(mark)\n"
        "    pi, math.pi = math.pi, 3.0\n"
        "    import builtins\n"
        "    had_marker = hasattr(builtins, 'MARKER')\n"
        "    builtins.MARKER = mark\n"
        "    return [len(SEEN), leaked_file, pi, had_marker]\n"
    )
    first = await sandbox.run(RunRequest(code=code, args=["one"]))
    second = await sandbox.run(RunRequest(code=code, args=["two"]))
    assert first.ok and second.ok, (first, second)
    assert first.value == second.value == [1, False, pytest.approx(3.141592653589793), False]


async def test_run_many_keeps_order(sandbox: Sandbox) -> None:
    reqs = [RunRequest(code="def solve(i):\n    return i * i\n", args=[i]) for i in range(12)]
    reqs.append(RunRequest(code="def solve(i):\n    raise KeyError(i)\n", args=[99]))
    results = await sandbox.run_many(reqs)
    assert [r.value for r in results[:-1]] == [i * i for i in range(12)]
    assert results[-1].error_type == "exception" and "KeyError" in (results[-1].error or "")
    st = sandbox.status()
    assert st.isolated and st.evaluations >= 13 and st.worker_restarts == 0


async def test_rejected_requests_never_reach_a_worker(sandbox: Sandbox) -> None:
    res = await sandbox.run(RunRequest(code="x = 1", entry="os.system", args=[]))
    assert res.error_type == "rejected" and "identifier" in (res.error or "")
    res = await sandbox.run(RunRequest(code="def solve(x):\n    return x\n", args=[{1, 2}]))
    assert res.error_type == "rejected" and "JSON" in (res.error or "")
    assert sandbox.status().evaluations == 0 and sandbox.status().live_workers == 0


async def test_huge_output_is_capped(sandbox: Sandbox) -> None:
    code = "def solve():\n    print('x' * 1_000_000)\n    return 'y' * 500_000\n"
    res = await sandbox.run(RunRequest(code=code, args=[]))
    assert not res.ok and res.error_type == "exception" and "max_output_bytes" in (res.error or "")
    assert len(res.stdout) <= TEST_LIMITS.max_output_bytes


async def test_closed_sandbox_refuses() -> None:
    sb = get_sandbox(backend="unsandboxed", allow_unsandboxed=True, limits=TEST_LIMITS, workers=1)
    res = await sb.run(RunRequest(code="def solve():\n    return 'plain'\n", args=[]))
    assert res.ok and res.value == "plain" and not sb.status().isolated
    await sb.aclose()
    with pytest.raises(InvalidRequestError, match="closed"):
        await sb.run(RunRequest(code="def solve():\n    return 1\n", args=[]))


@pytest.fixture
def nothing_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """PATH without bwrap or unshare, with the per-process probe caches reset around the test."""
    monkeypatch.setenv("PATH", str(tmp_path))
    for probe in (bwrap.probe, unshare.probe, unsandboxed.probe):
        probe.cache_clear()
    yield
    for probe in (bwrap.probe, unshare.probe, unsandboxed.probe):
        probe.cache_clear()


def test_refuses_without_an_isolating_backend_naming_the_cause(nothing_on_path: None) -> None:
    with pytest.raises(SandboxUnavailableError) as info:
        get_sandbox()
    message = str(info.value)
    assert "bwrap: bwrap not on PATH" in message and "unshare: unshare not on PATH" in message
    assert "allow_unsandboxed=True" in message
    assert available_backends()["bwrap"] is not None
    sb = get_sandbox(allow_unsandboxed=True)
    assert sb.name == "unsandboxed"


def test_unsandboxed_needs_explicit_consent() -> None:
    with pytest.raises(SandboxUnavailableError, match="allow_unsandboxed"):
        get_sandbox(backend="unsandboxed")
    with pytest.raises(InvalidRequestError):
        get_sandbox(backend="docker")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError):
        get_sandbox(workers=0)


def test_limits_validate() -> None:
    with pytest.raises(ValueError):
        Limits(wall_ms=0)
    with pytest.raises(ValueError):
        RunRequest(code="", repeats=0)


def test_one_sandbox_survives_several_event_loops() -> None:
    """Sync wrappers call asyncio.run repeatedly; each new loop gets fresh workers."""
    sb = get_sandbox(backend="unsandboxed", allow_unsandboxed=True, limits=TEST_LIMITS, workers=1)
    req = RunRequest(code="def solve(x):\n    return x + 1\n", args=[1])
    try:
        assert asyncio.run(sb.run(req)).value == 2
        assert asyncio.run(sb.run(req)).value == 2
    finally:
        asyncio.run(sb.aclose())
    assert sb.status().live_workers == 0
