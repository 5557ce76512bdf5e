"""Provider registration and dispatch through LiteLLM's custom-provider mechanism."""

from __future__ import annotations

import asyncio
from typing import Any

import litellm
import pytest

import scillm
import scillm.llms.certainly as certainly_provider
import scillm.llms.codeworld as codeworld_provider
from scillm.errors import EngineNotReadyError, ScillmError
from scillm.llms import registry

EXTRA = {"items": [{"requirement_text": "1 + 1 = 2"}], "flags": {"fast": True}, "max_seconds": 7,
         "session_id": "s-1", "track_id": "t-1", "options": {"depth": 2}}
MESSAGES = [{"role": "user", "content": "prove it"}]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the provider entry points with recorders (a test of the dispatch layer only)."""
    seen: list[dict[str, Any]] = []

    async def record(provider: str, model: str, messages: list[Any], params: dict[str, Any]) -> Any:
        seen.append({"provider": provider, "model": model, "messages": messages, "params": params,
                     "loop_running": asyncio.get_running_loop().is_running()})
        return ({"model": model, "choices": [{"message": {"role": "assistant", "content": f"{provider}:{model}"}}]},
                {"results": []})

    monkeypatch.setattr(certainly_provider, "acomplete", record)
    monkeypatch.setattr(codeworld_provider, "acomplete", record)
    return seen


def test_public_names_are_litellm_objects() -> None:
    assert scillm.ModelResponse is litellm.ModelResponse
    assert isinstance(scillm.Router(model_list=[]), litellm.Router)
    assert scillm.completion is registry.completion


def test_register_providers_is_idempotent() -> None:
    registry.register_providers()
    registry.register_providers()
    names = [item["provider"] for item in litellm.custom_provider_map]
    for provider in ("certainly", "lean4", "codeworld"):
        assert names.count(provider) == 1
        assert litellm.model_alias_map[provider] == f"{provider}/auto"


def test_plain_litellm_completion_reaches_a_bare_provider_name(calls: list[dict[str, Any]]) -> None:
    scillm.register_providers()
    resp = litellm.completion(model="certainly", messages=MESSAGES, items=[1])
    assert resp.choices[0].message.content == "certainly:certainly/auto"
    resp = litellm.completion(model="certainly", custom_llm_provider="certainly", messages=MESSAGES, items=[1])
    assert resp.choices[0].message.content == "certainly:certainly/auto"
    resp = litellm.completion(model="lean4/coq", messages=MESSAGES, items=[1])
    assert calls[-1]["provider"] == "lean4" and calls[-1]["model"] == "lean4/coq"


@pytest.mark.parametrize("model", ["certianly/coq", "certainlyy", "codewrld/mcts", "lean/coq"])
def test_a_misspelt_provider_gets_did_you_mean(model: str) -> None:
    with pytest.raises(litellm.BadRequestError, match="did you mean") as info:
        scillm.completion(model=model, custom_llm_provider=None if "/" in model else model, messages=MESSAGES)
    assert "unknown provider" in str(info.value)
    with pytest.raises(litellm.BadRequestError, match="did you mean"):
        scillm.Router(model_list=[{"model_name": "x", "litellm_params": {"model": model if "/" in model
                                                                         else model + "/coq"}}])


@pytest.mark.parametrize(("kwargs", "provider", "model"), [
    ({"model": "certainly", "custom_llm_provider": "certainly"}, "certainly", "certainly"),
    ({"model": "certainly/coq"}, "certainly", "certainly/coq"),
    ({"model": "coq", "custom_llm_provider": "certainly"}, "certainly", "certainly/coq"),
    ({"model": "lean4", "custom_llm_provider": "lean4"}, "lean4", "lean4"),
    ({"model": "codeworld/mcts"}, "codeworld", "codeworld/mcts"),
])
def test_sync_completion_passes_extra_kwargs_untouched(calls: list[dict[str, Any]], kwargs: dict[str, Any],
                                                       provider: str, model: str) -> None:
    resp = scillm.completion(messages=MESSAGES, **kwargs, **EXTRA)
    model = model if "/" in model else f"{model}/auto"
    assert isinstance(resp, litellm.ModelResponse)
    assert resp.choices[0].message.content == f"{provider}:{model}"
    assert calls[-1]["provider"] == provider and calls[-1]["model"] == model
    assert calls[-1]["params"] == EXTRA
    assert calls[-1]["messages"] == MESSAGES


@pytest.mark.parametrize("call", [scillm.completion, scillm.acompletion])
async def test_cache_false_reaches_the_prover_as_its_option(calls: list[dict[str, Any]], call: Any) -> None:
    # LiteLLM reads `cache` as a dict of its own cache controls: a bool there raises inside LiteLLM
    resp = call(model="certainly/coq", messages=MESSAGES, items=[1], options={"depth": 2}, cache=False)
    if asyncio.iscoroutine(resp):
        await resp
    assert calls[-1]["params"]["options"] == {"depth": 2, "cache": False}
    resp = call(model="certainly/coq", messages=MESSAGES, items=[1], cache=True)  # the default: nothing to pass
    if asyncio.iscoroutine(resp):
        await resp
    assert "cache" not in calls[-1]["params"] and "options" not in calls[-1]["params"]


async def test_async_completion_passes_extra_kwargs_untouched(calls: list[dict[str, Any]]) -> None:
    resp = await scillm.acompletion(model="certainly", custom_llm_provider="certainly", messages=MESSAGES, **EXTRA)
    assert resp.choices[0].message.content == "certainly:certainly/auto"
    assert calls[-1]["params"] == EXTRA


async def test_sync_completion_works_inside_a_running_loop(calls: list[dict[str, Any]]) -> None:
    resp = scillm.completion(model="certainly/coq", messages=MESSAGES, items=[1])
    assert resp.choices[0].message.content == "certainly:certainly/coq"
    assert calls[-1]["loop_running"]


def _raise_not_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    async def not_ready(provider: str, model: str, messages: list[Any], params: dict[str, Any]) -> Any:
        raise EngineNotReadyError(f"{provider} engine missing here; start the bridge")

    monkeypatch.setattr(certainly_provider, "acomplete", not_ready)


def test_provider_error_surfaces_as_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    _raise_not_ready(monkeypatch)
    with pytest.raises(EngineNotReadyError, match="certainly engine missing here; start the bridge") as info:
        scillm.completion(model="certainly/coq", messages=MESSAGES)
    assert isinstance(info.value, litellm.ServiceUnavailableError)
    assert isinstance(info.value.__cause__, EngineNotReadyError)


async def test_provider_error_surfaces_as_itself_async(monkeypatch: pytest.MonkeyPatch) -> None:
    _raise_not_ready(monkeypatch)
    with pytest.raises(EngineNotReadyError, match="start the bridge"):
        await scillm.acompletion(model="certainly", custom_llm_provider="certainly", messages=MESSAGES)


def test_real_provider_dispatch_gives_an_error_or_a_result() -> None:
    """Unpatched: the codeworld provider raises a clear scillm error or answers a real payload."""
    try:
        resp = scillm.completion(model="codeworld", custom_llm_provider="codeworld", messages=MESSAGES, items=[42])
    except ScillmError as exc:
        assert str(exc) and isinstance(exc, tuple(litellm.LITELLM_EXCEPTION_TYPES))
    else:
        assert isinstance(resp, litellm.ModelResponse)
        assert resp.choices[0].message.content


async def test_router_dispatches_to_scillm_providers(calls: list[dict[str, Any]]) -> None:
    router = scillm.Router(model_list=[
        {"model_name": "prover", "litellm_params": {"model": "certainly/coq", "custom_llm_provider": "certainly"}},
        {"model_name": "bare", "litellm_params": {"model": "certainly", "custom_llm_provider": "certainly"}},
    ])
    resp = await router.acompletion(model="prover", messages=MESSAGES, items=[{"x": 1}])
    assert resp.choices[0].message.content == "certainly:certainly/coq"
    assert calls[-1]["params"]["items"] == [{"x": 1}]
    resp = router.completion(model="bare", messages=MESSAGES, items=[{"x": 2}])
    assert resp.choices[0].message.content == "certainly:certainly/auto"


async def test_router_falls_back_from_a_provider_that_is_not_ready(monkeypatch: pytest.MonkeyPatch,
                                                                   llm_server: Any) -> None:
    _raise_not_ready(monkeypatch)
    router = scillm.Router(model_list=[
        {"model_name": "prover", "litellm_params": {"model": "certainly/coq", "custom_llm_provider": "certainly"}},
        {"model_name": "backup", "litellm_params": {"model": "test-model", "custom_llm_provider": "openai_like",
                                                    "api_base": llm_server.base_url,
                                                    "api_key": llm_server.api_key}},
    ], fallbacks=[{"prover": ["backup"]}], num_retries=0)
    resp = await router.acompletion(model="prover", messages=MESSAGES)
    assert resp.choices[0].message.content == "echo: prove it"
    with pytest.raises(EngineNotReadyError):
        await scillm.Router(model_list=[{"model_name": "prover", "litellm_params": {
            "model": "certainly/coq"}}], num_retries=0).acompletion(model="prover", messages=MESSAGES)
