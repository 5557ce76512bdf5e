"""Status codes and error bodies of a bridge, over real HTTP (no engine work needed)."""

from __future__ import annotations

import httpx
import pytest

from tests.bridges.conftest import StartBridge, not_built

ITEM = {"statement": "True"}


@pytest.fixture
def bridge(start_bridge: StartBridge) -> str:
    return start_bridge("certainly", engine_loader=not_built, max_body_bytes=4096, max_items=3,
                        max_item_bytes=200).base_url


def test_engine_not_built_answers_501_with_reason(bridge: str) -> None:
    r = httpx.post(f"{bridge}/bridge", json={"items": [ITEM]})
    assert r.status_code == 501
    assert r.json()["error"]["type"] == "engine_not_ready"
    assert "certainly-not-built" in r.json()["error"]["message"]
    health = httpx.get(f"{bridge}/healthz")
    assert health.status_code == 503
    assert health.json()["ready"] is False and health.json()["engine_loaded"] is False


def test_jobs_route_also_answers_501(bridge: str) -> None:
    r = httpx.post(f"{bridge}/bridge/jobs", json={"items": [ITEM]})
    assert r.status_code == 501


def test_malformed_json_is_400_with_position(bridge: str) -> None:
    r = httpx.post(f"{bridge}/bridge", content=b'{"items": [1,', headers={"content-type": "application/json"})
    assert r.status_code == 400
    body = r.json()["error"]
    assert body["type"] == "invalid_json" and "line 1 column" in body["message"]


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"items": []}, "items"),
        ({"items": [ITEM], "bogus": 1}, "bogus"),
        ({"items": "not a list"}, "items"),
        ({"items": [ITEM], "options": {"max_seconds": "soon"}}, "options.max_seconds"),
        ({"items": [ITEM], "options": {"max_seconds": -1}}, "options.max_seconds"),
        ({"items": [ITEM], "provider": {"name": "certainly", "extra": True}}, "provider.extra"),
        ({}, "items"),
    ],
)
def test_schema_errors_are_422_with_field_path(bridge: str, payload: dict[str, object], loc: str) -> None:
    r = httpx.post(f"{bridge}/bridge", json=payload)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["type"] == "invalid_request"
    assert loc in [d["loc"] for d in error["details"]]


def test_oversized_item_is_422_naming_the_item(bridge: str) -> None:
    r = httpx.post(f"{bridge}/bridge", json={"items": [ITEM, {"statement": "x" * 500}]})
    assert r.status_code == 422
    assert [d["loc"] for d in r.json()["error"]["details"]] == ["items.1"]


def test_body_over_cap_is_413(bridge: str) -> None:
    r = httpx.post(f"{bridge}/bridge", json={"items": [{"s": "y" * 150}] * 40})
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "too_large"


def test_streamed_body_over_cap_is_413_without_content_length(bridge: str) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"items": ['
        for _ in range(100):
            yield b'"' + b"z" * 100 + b'",'
        yield b'"end"]}'

    r = httpx.post(f"{bridge}/bridge", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_too_many_items_is_413(bridge: str) -> None:
    r = httpx.post(f"{bridge}/bridge", json={"items": [ITEM] * 4})
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "too_many_items"


def test_unknown_job_is_404(bridge: str) -> None:
    r = httpx.get(f"{bridge}/bridge/jobs/nope")
    assert r.status_code == 404
    assert r.json()["error"]["type"] == "job_not_found"


def test_token_required_when_set(start_bridge: StartBridge) -> None:
    base = start_bridge("certainly", engine_loader=not_built, token="s3cret").base_url
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret"}):
        r = httpx.post(f"{base}/bridge", json={"items": [ITEM]}, headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{base}/metrics").status_code == 401
    assert httpx.get(f"{base}/bridge/jobs/x").status_code == 401
    ok = httpx.post(f"{base}/bridge", json={"items": [ITEM]}, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 501
    assert "auth" not in httpx.get(f"{base}/healthz").json()
    assert httpx.get(f"{base}/healthz", headers={"Authorization": "Bearer s3cret"}).json()["auth"] is True


def test_metrics_count_answers_by_route_and_code(bridge: str) -> None:
    httpx.post(f"{bridge}/bridge", json={"items": []})
    httpx.post(f"{bridge}/bridge", json={"items": [ITEM]})
    text = httpx.get(f"{bridge}/metrics").text
    assert 'scillm_bridge_requests_total{engine="certainly",route="/bridge",code="422"} 1' in text
    assert 'scillm_bridge_requests_total{engine="certainly",route="/bridge",code="501"} 1' in text
    assert "# TYPE scillm_bridge_check_seconds histogram" in text
    assert 'scillm_bridge_pool_capacity{engine="certainly"} 4' in text
