"""`custom_llm_provider="openai_like"` against the real OpenAI-compatible test server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

import scillm
from scillm.errors import ConfigError, JsonParseError
from scillm.llms import openai_client
from tests.support.llm_server import LLMServer, Reply

MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture(autouse=True)
def fresh_auth_memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(openai_client, "_xkey_bases", set())
    yield


def _kw(server: LLMServer) -> dict[str, Any]:
    return {"custom_llm_provider": "openai_like", "api_base": server.base_url, "api_key": server.api_key}


@pytest.mark.parametrize("model", ["openai_like/test-model", "test-model"])
def test_sync_completion_with_prefixed_or_bare_id(llm_server: LLMServer, model: str) -> None:
    resp = scillm.completion(model=model, messages=MESSAGES, **_kw(llm_server))
    assert resp.choices[0].message.content == "echo: hello"
    body = llm_server.chat_requests()[-1]
    assert body["model"] == "test-model"
    assert llm_server.requests[-1].headers["authorization"] == "Bearer test-key"


async def test_async_completion_and_prefix_without_provider(llm_server: LLMServer) -> None:
    resp = await scillm.acompletion(model="openai_like/test-model", messages=MESSAGES,
                                    api_base=llm_server.base_url, api_key=llm_server.api_key)
    assert resp.choices[0].message.content == "echo: hello"


async def test_x_api_key_fallback_on_401_is_remembered_per_base(llm_server: LLMServer) -> None:
    llm_server.auth = "x-api-key"
    resp = await scillm.acompletion(model="test-model", messages=MESSAGES, **_kw(llm_server))
    assert resp.choices[0].message.content == "echo: hello"
    first = [r.headers.get("x-api-key") for r in llm_server.requests]
    assert first[0] is None and first[-1] == "test-key"
    llm_server.requests.clear()
    scillm.completion(model="test-model", messages=MESSAGES, **_kw(llm_server))
    assert len(llm_server.requests) == 1
    assert llm_server.requests[0].headers["x-api-key"] == "test-key"


def test_wrong_key_is_an_auth_error(llm_server: LLMServer) -> None:
    import litellm

    with pytest.raises(litellm.AuthenticationError):
        scillm.completion(model="test-model", messages=MESSAGES, custom_llm_provider="openai_like",
                          api_base=llm_server.base_url, api_key="wrong")


def test_streaming(llm_server: LLMServer) -> None:
    llm_server.script([Reply(content="streamed answer here")])
    chunks = scillm.completion(model="test-model", messages=MESSAGES, stream=True, **_kw(llm_server))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "streamed answer here"
    assert llm_server.chat_requests()[-1]["stream"] is True


def test_response_format_and_tools_pass_through(llm_server: LLMServer) -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}
    call = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
    llm_server.script([Reply(content=None, tool_calls=[call], finish_reason="tool_calls")])
    resp = scillm.completion(model="test-model", messages=MESSAGES, tools=[tool],
                             response_format={"type": "json_object"}, **_kw(llm_server))
    body = llm_server.chat_requests()[-1]
    assert body["tools"] == [tool]
    assert body["response_format"] == {"type": "json_object"}
    assert resp.choices[0].message.tool_calls[0].function.name == "lookup"


def test_strict_json_raises_with_meta(llm_server: LLMServer) -> None:
    llm_server.script(["Sure! here it is: {broken"])
    with pytest.raises(JsonParseError) as info:
        scillm.completion(model="test-model", messages=MESSAGES, response_format={"type": "json_object"},
                          strict_json=True, **_kw(llm_server))
    meta = info.value.scillm_meta
    assert meta["reason"] == "json_parse_failed"
    assert meta["sample"] == "Sure! here it is: {broken"
    assert meta["raw_len"] == len("Sure! here it is: {broken")
    assert meta["model"] == "test-model" and meta["provider"] == "openai_like"
    assert "strict_json" not in llm_server.chat_requests()[-1]


async def test_strict_json_from_env(llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCILLM_JSON_STRICT", "1")
    llm_server.script(["not json", json.dumps({"a": 1})])
    with pytest.raises(JsonParseError):
        await scillm.acompletion(model="test-model", messages=MESSAGES, response_format={"type": "json_object"},
                                 **_kw(llm_server))
    resp = await scillm.acompletion(model="test-model", messages=MESSAGES,
                                    response_format={"type": "json_object"}, **_kw(llm_server))
    assert json.loads(resp.choices[0].message.content) == {"a": 1}


def test_non_strict_json_returns_raw_text(llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCILLM_JSON_STRICT", raising=False)
    llm_server.script(["not json"])
    resp = scillm.completion(model="test-model", messages=MESSAGES, response_format={"type": "json_object"},
                             **_kw(llm_server))
    assert resp.choices[0].message.content == "not json"


def test_missing_base_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SCILLM_API_BASE", "CHUTES_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="api_base"):
        scillm.completion(model="m", messages=MESSAGES, custom_llm_provider="openai_like", api_key="k")


def test_one_client_remembers_x_api_key_for_every_caller(llm_server: LLMServer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A 401 learned by the paved helpers makes the batch fan-out and openai_like send x-api-key at once."""
    from scillm.paved import batch, helpers

    monkeypatch.setattr(openai_client, "_xkey_bases", set())
    llm_server.auth = "x-api-key"
    assert "test-model" in helpers.list_models_openai_like(llm_server.base_url, llm_server.api_key)
    assert [("authorization" in r.headers, "x-api-key" in r.headers) for r in llm_server.requests] == [
        (True, False), (False, True)]
    llm_server.requests.clear()
    results = asyncio.run(batch.parallel_acompletions(
        [{"model": "openai_like/test-model", "messages": [{"role": "user", "content": "hi"}]}],
        api_base=llm_server.base_url, api_key=llm_server.api_key))
    assert results[0]["ok"], results
    scillm.completion(model="openai_like/test-model", messages=[{"role": "user", "content": "hi"}],
                      api_base=llm_server.base_url, api_key=llm_server.api_key)
    assert ["x-api-key" in r.headers for r in llm_server.requests] == [True, True]  # no second 401
