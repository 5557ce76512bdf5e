"""The HTTP fallback client against real bridges: error mapping, retries, the jobs path."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import anyio
import httpx
import litellm
import pytest

from scillm.errors import (
    BridgeAuthError,
    BridgeBusyError,
    BridgeEngineNotReadyError,
    BridgeError,
    BridgeInvalidRequestError,
    BridgeTimeoutError,
    BridgeUnavailableError,
    EngineNotReadyError,
    InvalidRequestError,
)
from scillm.llms.errors import to_litellm as to_litellm_error
from scillm.remote.client import BridgeClient
from scillm.remote.schema import BridgeRequest
from tests.bridges.conftest import StartBridge, not_built
from tests.bridges.items import CODE_ARGS, FAST, sleepy_item


def _request(items: list[Any], **options: Any) -> BridgeRequest:
    return BridgeRequest.model_validate({"items": items, "provider": {"name": "codeworld", "args": CODE_ARGS},
                                         "options": options})


async def _run(base: str, request: BridgeRequest, **kwargs: Any) -> dict[str, Any]:
    async with BridgeClient(base, **kwargs) as client:
        return await client.arun(request)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_501_maps_to_engine_not_ready_with_server_message(start_bridge: StartBridge) -> None:
    base = start_bridge("certainly", engine_loader=not_built).base_url
    with pytest.raises(BridgeEngineNotReadyError) as info:
        anyio.run(lambda: _run(base, _request([{"statement": "True"}])))
    assert isinstance(info.value, EngineNotReadyError) and isinstance(info.value, BridgeError)
    assert info.value.status_code == 501
    assert "certainly-not-built" in str(info.value)


def test_401_maps_to_auth_error_and_token_is_sent(start_bridge: StartBridge) -> None:
    base = start_bridge("certainly", engine_loader=not_built, token="tok").base_url
    with pytest.raises(BridgeAuthError):
        anyio.run(lambda: _run(base, _request([1])))
    with pytest.raises(BridgeEngineNotReadyError):
        anyio.run(lambda: _run(base, _request([1]), token="tok"))


def test_413_and_unreachable_bridge(start_bridge: StartBridge) -> None:
    base = start_bridge("certainly", engine_loader=not_built, max_items=1).base_url
    with pytest.raises(BridgeInvalidRequestError) as info:
        anyio.run(lambda: _run(base, _request([1, 2])))
    assert isinstance(info.value, InvalidRequestError) and info.value.status_code == 413
    dead = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(BridgeUnavailableError, match="cannot reach the bridge"):
        anyio.run(lambda: _run(dead, _request([1]), max_retries=1, backoff_s=0.01))


@pytest.mark.needs_bwrap
def test_429_is_retried_after_retry_after_then_succeeds(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld", max_concurrent=1, queue_size=0, retry_after_s=1).base_url
    hold = threading.Thread(target=httpx.post, args=(f"{base}/bridge",), kwargs={
        "json": _request([sleepy_item("hold", 1.5)]).model_dump(mode="json"), "timeout": 30})
    hold.start()
    while httpx.get(f"{base}/healthz").json()["pool"]["running"] != 1:
        time.sleep(0.02)
    payload = anyio.run(lambda: _run(base, _request([FAST]), max_retries=5))
    hold.join()
    assert payload["results"][0]["status"] == "ok"
    assert 'code="429"' in httpx.get(f"{base}/metrics").text


@pytest.mark.needs_bwrap
def test_429_after_all_retries_maps_to_busy_and_litellm_rate_limit(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld", max_concurrent=1, queue_size=0, retry_after_s=1).base_url
    hold = threading.Thread(target=httpx.post, args=(f"{base}/bridge",), kwargs={
        "json": _request([sleepy_item("hold", 3)]).model_dump(mode="json"), "timeout": 30})
    hold.start()
    while httpx.get(f"{base}/healthz").json()["pool"]["running"] != 1:
        time.sleep(0.02)
    with pytest.raises(BridgeBusyError) as info:
        anyio.run(lambda: _run(base, _request([FAST]), max_retries=0))
    hold.join()
    twin = to_litellm_error(info.value, provider="codeworld", model="codeworld")
    assert isinstance(twin, litellm.RateLimitError) and isinstance(twin, BridgeBusyError)
    assert "at capacity" in str(twin)


@pytest.mark.needs_bwrap
def test_504_maps_to_timeout_with_partial_payload(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld").base_url
    with pytest.raises(BridgeTimeoutError) as info:
        anyio.run(lambda: _run(base, _request([FAST, sleepy_item("slow", 20)], max_seconds=1.5)))
    assert [r["status"] for r in info.value.body["results"]] == ["ok", "timeout"]
    twin = to_litellm_error(info.value, provider="codeworld", model="codeworld")
    assert isinstance(twin, litellm.Timeout)


@pytest.mark.needs_bwrap
def test_long_deadline_uses_the_jobs_path(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld").base_url
    payload = anyio.run(lambda: _run(base, _request([FAST, sleepy_item("s", 1.2)], max_seconds=60), timeout_s=1.0))
    assert [r["status"] for r in payload["results"]] == ["ok", "ok"]
    metrics = httpx.get(f"{base}/metrics").text
    assert 'route="/bridge/jobs",code="202"} 1' in metrics
    assert 'route="/bridge",' not in metrics


@pytest.mark.needs_bwrap
def test_job_that_times_out_raises_timeout_with_partials(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld").base_url
    with pytest.raises(BridgeTimeoutError) as info:
        anyio.run(lambda: _run(base, _request([FAST, sleepy_item("slow", 30)], max_seconds=2.5), timeout_s=1.0))
    assert [r["status"] for r in info.value.body["results"]] == ["ok", "timeout"]
