"""Over real HTTP, an item field of the wrong JSON type is that item's named `error` in a 200 batch, never a 500."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from scillm.bridges.settings import BridgeSettings
from tests.bridges.live import LiveBridge
from tests.support.item_fields import batch, check_batch, wrong_item, wrong_items

pytestmark = pytest.mark.needs_coq

_BOUNDED = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("item-types-http")
    settings_ = BridgeSettings(engine="certainly", jobs_path=":memory:", cache_path=str(tmp / "cache.sqlite3"))
    with LiveBridge(settings_) as bridge:
        yield bridge.base_url


def _post(base: str, route: str, items: list[Any]) -> httpx.Response:
    body = {"items": items, "provider": {"name": "certainly", "args": {"backend": "coq"}}}
    return httpx.post(f"{base}{route}", json=body, timeout=300)


@_BOUNDED
@given(pairs=wrong_items())
def test_bridge_answers_every_item_in_order(base: str, pairs: list[tuple[dict[str, Any], str]]) -> None:
    r = _post(base, "/bridge", batch(pairs))
    assert r.status_code == 200, r.text[:500]
    check_batch(r.json()["results"], pairs)


def _job_results(base: str, job_id: str, timeout_s: float = 120) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while True:
        view: dict[str, Any] = httpx.get(f"{base}/bridge/jobs/{job_id}", timeout=10).json()
        if view["status"] in ("done", "failed", "timeout", "cancelled"):
            assert view["status"] == "done", view
            results: list[dict[str, Any]] = view["results"]
            return results
        assert time.monotonic() < deadline, view
        time.sleep(0.1)


@_BOUNDED
@given(pair=wrong_item())
def test_a_job_answers_a_wrong_typed_field_per_item(base: str, pair: tuple[dict[str, Any], str]) -> None:
    r = _post(base, "/bridge/jobs", batch([pair]))
    assert r.status_code == 202, r.text[:500]
    check_batch(_job_results(base, r.json()["id"]), [pair])
