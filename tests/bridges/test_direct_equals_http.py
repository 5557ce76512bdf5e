"""Direct and HTTP give the same payload, for both engines, finished and cut by the deadline.

The only keys allowed to differ are named here: the run's random id and start
time, and measured durations (wall, checker, per attempt).
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from scillm.integrations.certainly.engine import CertainlyEngine
from scillm.integrations.codeworld.api import CodeworldEngine
from tests.bridges.conftest import StartBridge
from tests.bridges.items import CODE_ARGS, COQ_ITEMS, FAST, code_item, sleepy_item

VOLATILE = frozenset({"run_id", "ts", "time_ms", "checker_ms", "wall_ms", "duration_ms", "timings"})
"""Keys that name a run or measure time; everything else must be equal."""


def _without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def _over_http(base: str, items: list[Any], args: dict[str, Any], max_seconds: float) -> tuple[int, dict[str, Any]]:
    r = httpx.post(f"{base}/bridge", json={"items": items, "provider": {"args": args},
                                           "options": {"max_seconds": max_seconds}}, timeout=120)
    body = r.json()
    body.pop("error", None)
    return r.status_code, body


@pytest.mark.needs_coq
def test_certainly_direct_and_http_payloads_are_equal(start_bridge: StartBridge) -> None:
    base = start_bridge("certainly").base_url
    args = {"cache": False, "deterministic": True}
    status, http = _over_http(base, COQ_ITEMS, args, 120)

    async def direct() -> dict[str, Any]:
        async with CertainlyEngine() as engine:
            return (await engine.arun(COQ_ITEMS, args, max_seconds=120)).to_json()

    assert status == 200
    assert _without_volatile(http) == _without_volatile(anyio.run(direct))


@pytest.mark.needs_bwrap
@pytest.mark.parametrize("cut", [False, True], ids=["finished", "cut-by-deadline"])
def test_codeworld_direct_and_http_payloads_are_equal(start_bridge: StartBridge, cut: bool) -> None:
    base = start_bridge("codeworld").base_url
    items: list[Any] = [FAST, "not an object", code_item("wrong", "    return x")]
    max_seconds = 60.0
    if cut:
        items, max_seconds = [FAST, sleepy_item("slow", 20)], 3.0
    status, http = _over_http(base, items, CODE_ARGS, max_seconds)

    async def direct() -> dict[str, Any]:
        async with CodeworldEngine() as engine:
            return (await engine.arun(items, CODE_ARGS, max_seconds=max_seconds)).to_json()

    payload = anyio.run(direct)
    assert status == (504 if cut else 200)
    assert payload["summary"].get("timed_out", False) is cut
    assert _without_volatile(http) == _without_volatile(payload)
