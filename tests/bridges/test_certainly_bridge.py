"""The certainly bridge with real Coq: the same items give the same results directly and over HTTP."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from scillm.integrations.certainly.api import arun_items
from scillm.llms import fallback
from tests.bridges.conftest import StartBridge
from tests.bridges.items import COQ_ITEMS, stable

pytestmark = pytest.mark.needs_coq

ARGS: dict[str, Any] = {"cache": False, "deterministic": True}


def test_raw_http_matches_direct_for_real_proofs(start_bridge: StartBridge) -> None:
    base = start_bridge("certainly").base_url
    r = httpx.post(f"{base}/bridge", json={"items": COQ_ITEMS, "provider": {"name": "certainly", "args": ARGS},
                                           "options": {"session_id": "s1", "track_id": "t1"}}, timeout=120)
    assert r.status_code == 200, r.text
    over_http = r.json()
    direct = anyio.run(lambda: arun_items(COQ_ITEMS, **ARGS))
    assert stable(over_http["results"]) == stable(direct["results"])
    assert [x["status"] for x in over_http["results"]] == ["proved", "failed", "proved", "error"]
    assert over_http["summary"] == direct["summary"]
    assert over_http["run_manifest"]["session_id"] == "s1" and over_http["run_manifest"]["track_id"] == "t1"
    assert over_http["statistics"]["by_status"] == direct["statistics"]["by_status"]


def test_fallback_modes_agree_and_say_which_ran(start_bridge: StartBridge) -> None:
    base = start_bridge("certainly").base_url

    async def both() -> tuple[dict[str, Any], dict[str, Any]]:
        direct = await fallback.arun("certainly", COQ_ITEMS[:3], ARGS, mode="direct")
        http = await fallback.arun("certainly", COQ_ITEMS[:3], ARGS, mode="http", api_base=base)
        return direct, http

    direct, http = anyio.run(both)
    assert direct["_direct_mode"] is True and http["_direct_mode"] is False
    assert all(r["_direct_mode"] is False for r in http["results"])
    assert stable(direct["results"]) == stable(http["results"])


def test_http_only_env_forces_the_bridge(start_bridge: StartBridge, monkeypatch: pytest.MonkeyPatch) -> None:
    base = start_bridge("certainly").base_url
    monkeypatch.setenv("SCILLM_CERTAINLY_HTTP_ONLY", "1")
    monkeypatch.setenv("CERTAINLY_BRIDGE_BASE", base)
    payload = anyio.run(lambda: fallback.arun("certainly", COQ_ITEMS[:1], ARGS))
    assert payload["_direct_mode"] is False
    assert payload["results"][0]["status"] == "proved"
    metrics = httpx.get(f"{base}/metrics").text
    assert 'route="/bridge/complete",code="200"} 1' in metrics


def test_healthz_names_coq_and_its_version(start_bridge: StartBridge) -> None:
    body = httpx.get(f"{start_bridge('certainly').base_url}/healthz").json()
    assert body["ready"] is True
    coq = body["health"]["backends"]["coq"]
    assert coq["available"] is True and coq["version"]


def test_bad_engine_args_are_422_with_reason(start_bridge: StartBridge) -> None:
    base = start_bridge("certainly").base_url
    r = httpx.post(f"{base}/bridge", json={"items": COQ_ITEMS[:1], "provider": {"args": {"strategies": "nope"}}})
    assert r.status_code == 422
    assert "unknown strategies" in r.json()["error"]["message"]
