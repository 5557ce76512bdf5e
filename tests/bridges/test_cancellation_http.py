"""A client that goes away, or a 504, stops the prover work it started: the next request finds the pool free."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from scillm.integrations.certainly.options import RequestCaps
from tests.bridges.conftest import StartBridge

pytestmark = pytest.mark.needs_coq

SPIN = "do 2000000000 idtac."


def _slow_body(n: int, **options: Any) -> dict[str, Any]:
    items = [{"id": f"spin{i}", "requirement_text": f"forall n : nat, n + {i} = {i} + n", "tactics": [SPIN]}
             for i in range(n)]
    return {"items": items, "options": options,
            "provider": {"args": {"tactics_only": True, "concurrency": 2,
                                  "budget": {"timeout_ms_per_check": 120_000, "max_rounds": 1}}}}


def _trivial(base: str) -> float:
    started = time.monotonic()
    r = httpx.post(f"{base}/bridge/complete", json={"items": [{"requirement_text": "forall n : nat, 0 + n = n"}],
                                                     "provider": {"args": {"cache": False}}},
                   timeout=30)
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "proved", r.text
    return time.monotonic() - started


def _running(base: str) -> float:
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if line.startswith("scillm_bridge_pool_running{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError("no pool_running gauge")


@pytest.fixture
def base(start_bridge: StartBridge) -> str:
    caps = RequestCaps(timeout_ms_per_check=120_000)
    return start_bridge("certainly", caps=caps).base_url


def test_disconnect_kills_the_provers_it_started(base: str) -> None:
    _trivial(base)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{base}/bridge/complete", json=_slow_body(4), timeout=2.0)
    assert _trivial(base) < 10, "the cancelled request's checks are still holding the prover sessions"
    assert _running(base) == 0


def test_a_504_kills_the_provers_it_started(base: str) -> None:
    _trivial(base)
    r = httpx.post(f"{base}/bridge/complete", json=_slow_body(3, max_seconds=2), timeout=60)
    assert r.status_code == 504
    assert [x["status"] for x in r.json()["results"]] == ["timeout"] * 3
    assert _trivial(base) < 10
    assert _running(base) == 0
