"""The LiteLLM surfaces scillm relies on, each in one named test.

These tests use LiteLLM alone (no scillm code path between), so a LiteLLM
release that changes one of its public extension points fails the test named
for that point instead of dozens of scillm tests. CI runs them on the newest
LiteLLM and on the declared floor.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm  # noqa: E402
from litellm import CustomLLM, ModelResponse  # noqa: E402

PROVIDER = "scillmcompat"
SEEN: list[dict[str, Any]] = []


class Probe(CustomLLM):
    """A custom provider that echoes what LiteLLM handed it, or raises what the model name asks for."""

    @staticmethod
    def _reply(model: str, messages: list[Any], kwargs: dict[str, Any]) -> ModelResponse:
        SEEN.append({"model": model, "optional_params": dict(kwargs.get("optional_params") or {}),
                     "api_base": kwargs.get("api_base"), "api_key": kwargs.get("api_key")})
        if model.endswith("down"):
            raise litellm.ServiceUnavailableError(message="probe down", llm_provider=PROVIDER, model=model)
        return ModelResponse(model=model, choices=[{"index": 0, "finish_reason": "stop",
                                                    "message": {"role": "assistant",
                                                                "content": f"echo:{messages[-1]['content']}"}}])

    def completion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._reply(model, messages, kwargs)

    async def acompletion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._reply(model, messages, kwargs)

    def streaming(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> Iterator[Any]:  # type: ignore[override]
        yield from _chunks()

    async def astreaming(self, model: str, messages: list[Any], *args: Any,  # type: ignore[override]
                         **kwargs: Any) -> AsyncIterator[Any]:
        for chunk in _chunks():
            yield chunk


def _chunks() -> list[Any]:
    from litellm.types.utils import GenericStreamingChunk

    parts = ["one ", "two"]
    return [GenericStreamingChunk(text=part, is_finished=i == len(parts) - 1,
                                  finish_reason="stop" if i == len(parts) - 1 else "", index=0,
                                  usage=None, tool_use=None)
            for i, part in enumerate(parts)]


@pytest.fixture(autouse=True)
def _registered() -> Iterator[None]:
    """Register the probe the documented way (assigning `litellm.custom_provider_map`), then restore it."""
    before = list(litellm.custom_provider_map)
    litellm.custom_provider_map = [*before, {"provider": PROVIDER, "custom_handler": Probe()}]
    SEEN.clear()
    yield
    litellm.custom_provider_map = before


def _messages() -> list[dict[str, str]]:
    return [{"role": "user", "content": "hi"}]


def test_custom_provider_map_registration_routes_completion() -> None:
    resp = litellm.completion(model=f"{PROVIDER}/coq", messages=_messages())
    assert isinstance(resp, ModelResponse)
    assert resp.choices[0].message.content == "echo:hi"  # type: ignore[union-attr]
    assert SEEN and SEEN[-1]["model"] == "coq"


async def test_acompletion_passes_extra_kwargs_and_credentials() -> None:
    resp = await litellm.acompletion(model=f"{PROVIDER}/coq", messages=_messages(), items=[{"x": 1}],
                                     flags=["a"], api_base="http://127.0.0.1:9/v1", api_key="k")
    assert resp.choices[0].message.content == "echo:hi"  # type: ignore[union-attr]
    seen = SEEN[-1]
    assert seen["optional_params"].get("items") == [{"x": 1}] and seen["optional_params"].get("flags") == ["a"]
    assert seen["api_base"] == "http://127.0.0.1:9/v1" and seen["api_key"] == "k"


def test_router_constructor_serves_a_custom_provider() -> None:
    router = litellm.Router(model_list=[{"model_name": "p", "litellm_params": {"model": f"{PROVIDER}/coq"}}])
    resp = router.completion(model="p", messages=_messages())
    assert resp.choices[0].message.content == "echo:hi"  # type: ignore[union-attr]


async def test_router_falls_back_on_service_unavailable() -> None:
    router = litellm.Router(
        model_list=[{"model_name": "primary", "litellm_params": {"model": f"{PROVIDER}/down"}},
                    {"model_name": "backup", "litellm_params": {"model": f"{PROVIDER}/up"}}],
        fallbacks=[{"primary": ["backup"]}], num_retries=0)
    resp = await router.acompletion(model="primary", messages=_messages())
    assert resp.choices[0].message.content == "echo:hi"  # type: ignore[union-attr]
    assert [s["model"] for s in SEEN][-1] == "up"


@pytest.mark.parametrize("name", ["ServiceUnavailableError", "BadRequestError", "APIError", "RateLimitError",
                                  "AuthenticationError", "Timeout"])
def test_exception_types_mix_into_project_errors(name: str) -> None:
    base = getattr(litellm, name)
    mixed = type(f"Mixed{name}", (RuntimeError, base), {})
    err = mixed.__new__(mixed)
    kwargs: dict[str, Any] = {"message": "m", "llm_provider": PROVIDER, "model": "coq"}
    if name == "APIError":
        kwargs["status_code"] = 500
    base.__init__(err, **kwargs)
    assert isinstance(err, RuntimeError) and isinstance(err, base)
    assert isinstance(err, tuple(litellm.LITELLM_EXCEPTION_TYPES))


def test_custom_provider_error_reaches_the_caller_as_its_litellm_type() -> None:
    with pytest.raises(litellm.ServiceUnavailableError):
        litellm.completion(model=f"{PROVIDER}/down", messages=_messages())


def test_model_response_from_a_dict() -> None:
    resp = ModelResponse(model="m", choices=[{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": "x"}}])
    assert resp.choices[0].message.content == "x"  # type: ignore[union-attr]


def test_mock_response_needs_no_network() -> None:
    resp = litellm.completion(model="gpt-4o-mini", messages=_messages(), mock_response="pong")
    assert resp.choices[0].message.content == "pong"  # type: ignore[union-attr]


def test_streaming_hook_of_a_custom_provider() -> None:
    chunks = list(litellm.completion(model=f"{PROVIDER}/coq", messages=_messages(), stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "one two"
    rebuilt = litellm.stream_chunk_builder(chunks)
    assert rebuilt is not None and rebuilt.choices[0].message.content == "one two"  # type: ignore[union-attr]


async def test_async_streaming_hook_of_a_custom_provider() -> None:
    stream = await litellm.acompletion(model=f"{PROVIDER}/coq", messages=_messages(), stream=True)
    text = "".join([c.choices[0].delta.content or "" async for c in stream])  # type: ignore[union-attr]
    assert text == "one two"


def test_local_cost_map_switch_keeps_import_offline() -> None:
    """With LITELLM_LOCAL_MODEL_COST_MAP=True, importing LiteLLM opens no network connection."""
    probe = (
        "import sys\n"
        "def hook(event, args):\n"
        "    if event in ('socket.connect', 'socket.getaddrinfo'):\n"
        "        raise SystemExit('network at import: %s %r' % (event, args))\n"
        "sys.addaudithook(hook)\n"
        "import litellm\n"
        "print('offline')\n"
    )
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and "offline" in out.stdout, out.stderr[-2000:]
