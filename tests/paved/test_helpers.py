"""Paved helpers against the real OpenAI-compatible test server."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scillm.errors import JsonParseError, ProviderError
from scillm.llms import openai_client
from scillm.paved import helpers
from tests.support.llm_server import LLMServer, Reply


@pytest.fixture(autouse=True)
def fresh_auth_memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(openai_client, "_xkey_bases", set())
    monkeypatch.delenv("CHUTES_FALLBACK_MODELS", raising=False)
    yield


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_list_models_bearer_then_x_api_key(llm_server: LLMServer) -> None:
    assert helpers.list_models_openai_like(llm_server.base_url, llm_server.api_key) == ["test-model", "test-model-2"]
    assert llm_server.requests[-1].headers["authorization"] == "Bearer test-key"
    llm_server.auth = "x-api-key"
    assert helpers.list_models_openai_like(llm_server.base_url, llm_server.api_key)[0] == "test-model"
    assert [r.headers.get("x-api-key") for r in llm_server.requests[-2:]] == [None, "test-key"]


def test_list_models_wrong_key(llm_server: LLMServer) -> None:
    with pytest.raises(ProviderError) as info:
        helpers.list_models_openai_like(llm_server.base_url, "wrong")
    assert info.value.reason == "auth" and info.value.status_code == 401


def test_preflight_ok(llm_server: LLMServer) -> None:
    report = helpers.sanity_preflight(llm_server.base_url, llm_server.api_key, "test-model", parallel=3)
    assert report["ok"] is True and report["failures"] == []
    assert report["models_listed"] == 2 and len(report["latencies_s"]) == 3
    assert len(llm_server.chat_requests()) == 3


async def test_preflight_is_safe_inside_a_running_loop(llm_server: LLMServer) -> None:
    report = helpers.sanity_preflight(llm_server.base_url, llm_server.api_key, "test-model", parallel=1)
    assert report["ok"] is True


@pytest.mark.parametrize(("setup", "reason", "status"), [
    ("wrong_key", "auth", 401),
    ("unlisted", "model_not_listed", None),
    ("rate_limited", "rate_limited", 429),
    ("quota", "quota_exhausted", 429),
    ("unreachable", "unreachable", None),
])
def test_preflight_failure_reasons(llm_server: LLMServer, setup: str, reason: str, status: int | None) -> None:
    base, key, model = llm_server.base_url, llm_server.api_key, "test-model"
    if setup == "wrong_key":
        key = "wrong"
    elif setup == "unlisted":
        model = "missing-model"
    elif setup == "rate_limited":
        llm_server.script([Reply.error(429, "too many requests", retry_after=1)])
    elif setup == "quota":
        llm_server.script([Reply.error(429, "You exceeded your current quota")])
    else:
        base = f"http://127.0.0.1:{_free_port()}/v1"
    report = helpers.sanity_preflight(base, key, model, parallel=1, wall_time_s=10)
    assert report["ok"] is False
    failure = report["failures"][0]
    assert (failure["reason"], failure["status"], failure["exc_type"]) == (reason, status, "ProviderError")
    assert failure["message"]


async def test_chat_and_chat_json(llm_server: LLMServer) -> None:
    kw: dict[str, Any] = {"model": "test-model", "api_base": llm_server.base_url, "api_key": llm_server.api_key}
    assert await helpers.chat("hello", **kw) == "echo: hello"
    llm_server.script([{"x": 1}, "plain prose"])
    assert await helpers.chat_json([{"role": "user", "content": "json please"}], **kw) == {"x": 1}
    assert llm_server.chat_requests()[-1]["response_format"] == {"type": "json_object"}
    with pytest.raises(JsonParseError) as info:
        await helpers.chat_json("json please", **kw)
    assert info.value.scillm_meta["sample"] == "plain prose"


async def test_analyze_image_inlines_local_files(llm_server: LLMServer, tmp_path: Path) -> None:
    image = tmp_path / "dot.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\nfake-pixels")
    llm_server.script(["a dot", {"objects": ["dot"]}])
    kw: dict[str, Any] = {"model": "test-model", "api_base": llm_server.base_url, "api_key": llm_server.api_key}
    assert await helpers.analyze_image(image, "what is this?", **kw) == "a dot"
    parts = llm_server.chat_requests()[-1]["messages"][0]["content"]
    assert parts[0] == {"type": "text", "text": "what is this?"}
    url = parts[1]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == image.read_bytes()
    assert await helpers.analyze_image_json(str(image), "list objects", **kw) == {"objects": ["dot"]}
    assert helpers.image_url("https://example.org/a.png") == "https://example.org/a.png"


def test_chutes_chat_json_sync(llm_server: LLMServer) -> None:
    llm_server.script([{"ok": True}])
    assert helpers.chutes_chat_json("hi", model="test-model", api_base=llm_server.base_url,
                                    api_key=llm_server.api_key) == {"ok": True}


def test_chutes_router_json_uses_env_pinned_fallbacks(llm_server: LLMServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHUTES_FALLBACK_MODELS", "good-model")
    llm_server.responder = lambda body: (Reply.error(400, "model overloaded") if body["model"] == "bad-model"
                                         else {"from": body["model"]})
    result = helpers.chutes_router_json("hi", model="bad-model", api_base=llm_server.base_url,
                                        api_key=llm_server.api_key, num_retries=0)
    assert result == {"from": "good-model"}
    assert [b["model"] for b in llm_server.chat_requests()][-1] == "good-model"
