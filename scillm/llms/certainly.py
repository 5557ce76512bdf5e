"""The `certainly` / `lean4` provider: a thin adapter from LiteLLM calls to the certainly engine.

Keyword arguments are checked by the same validator as `certainly_prove`
(a misspelt option is an error naming the right one, never ignored); LiteLLM's
own OpenAI parameters (temperature, max_tokens, ...) are accepted and unused.
A call whose every item is `env_unavailable` raises LiteLLM's
ServiceUnavailableError twin, so a Router falls back to another deployment
(`raise_on_unavailable=False` returns the results instead).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

from litellm.types.utils import all_litellm_params

from scillm.errors import BackendUnavailableError, InvalidRequestError
from scillm.integrations.certainly.api import (
    CALL_KEYS,
    OPTION_KEYS,
    backend_name,
    check_options,
    raise_unless_proved,
)
from scillm.llms import fallback
from scillm.llms.prove import to_model_response

# LiteLLM / OpenAI chat parameters a caller may pass through any client; the engine ignores them
OPENAI_KEYS = frozenset({
    "temperature", "top_p", "n", "stop", "max_tokens", "max_completion_tokens", "presence_penalty",
    "frequency_penalty", "logit_bias", "user", "seed", "tools", "tool_choice", "logprobs", "top_logprobs",
    "parallel_tool_calls", "functions", "function_call", "stream_options", "extra_headers", "extra_body",
    "metadata", "reasoning_effort", "modalities", "audio", "prediction", "store", "service_tier",
    "web_search_options", "thinking", "api_key", "api_version", "timeout", "num_retries", "stream",
    "response_format", "mock_response", "drop_params", "litellm_metadata", "proxy_server_request",
})
PROVIDER_KEYS = frozenset({"raise_on_unavailable"})


def _litellm_keys() -> frozenset[str]:
    """LiteLLM's own call parameters (Router and Proxy add some), which the engine never sees."""

    return frozenset(all_litellm_params)


def _items_from_messages(messages: list[dict[str, Any]]) -> list[Any]:
    """Without `items`, the last user message is the requirement (or a JSON list of items)."""
    for msg in reversed(messages or []):
        if isinstance(msg, dict) and msg.get("role") == "user" and isinstance(msg.get("content"), str):
            text = msg["content"].strip()
            if text.startswith("["):
                try:
                    parsed = json.loads(text)
                except ValueError:
                    parsed = None
                if isinstance(parsed, list):
                    return parsed
            return [{"requirement_text": text}]
    raise InvalidRequestError("the certainly provider needs `items=[{'requirement_text': ...}]` or a user message")


def prepare(model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """(items, engine keyword arguments) after validation; raises InvalidRequestError."""

    ignored = (OPENAI_KEYS | _litellm_keys() | PROVIDER_KEYS) - OPTION_KEYS - CALL_KEYS
    run = {k: v for k, v in params.items() if k not in ignored}
    check_options(run, where=f"completion(model={model!r})")
    items = run.pop("items", None)
    if items is None:
        items = _items_from_messages(messages)
    if isinstance(items, list) and not items:
        raise InvalidRequestError("items must be a non-empty list of {'requirement_text': ...} objects")
    kwargs = {k: v for k, v in run.items() if k in OPTION_KEYS | {"flags", "options", "strategies", "tactics"}
              and v is not None}
    suffix = model.partition("/")[2]
    backend = kwargs.get("backend") or suffix
    kwargs["backend"] = backend_name(backend)
    if kwargs["backend"] is None:
        kwargs.pop("backend")
    if params.get("api_base"):
        kwargs["api_base"] = params["api_base"]
    return items, kwargs


def _raise_if_unavailable(payload: dict[str, Any], params: dict[str, Any]) -> None:
    results = payload.get("results") or []
    if params.get("raise_on_unavailable", True) is False or not results:
        return
    if all(isinstance(r, dict) and r.get("status") == "env_unavailable" for r in results):
        reasons = sorted({str(r.get("explanation") or "backend unavailable") for r in results})
        raise BackendUnavailableError("this deployment cannot serve the request: " + "; ".join(reasons))


async def acomplete(provider: str, model: str, messages: list[dict[str, Any]],
                    params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Run the items through the certainly engine: (ModelResponse, payload).

    `provider` is `certainly` or `lean4` (the payload is mirrored under both
    keys for the alias); `model` is the full model string (`certainly/auto`,
    `certainly/coq`, `lean4/auto`); `params` holds every extra keyword
    argument the caller passed (`items`, `flags`, `max_seconds`, ...).
    """

    items, kwargs = prepare(model, messages, params)
    payload = await fallback.arun("certainly", items, kwargs, provider=provider, model=model, messages=messages,
                                  api_base=params.get("api_base"), max_seconds=params.get("request_timeout"))
    _raise_if_unavailable(payload, params)
    if params.get("require_proved"):
        raise_unless_proved(payload)
    return to_model_response(payload, model=model, response_format=params.get("response_format")), payload


async def astream(provider: str, model: str, messages: list[dict[str, Any]],
                  params: dict[str, Any]) -> AsyncGenerator[tuple[str, Any], None]:
    """`("item", result)` per finished item (as-completed), then `("done", payload)`."""

    items, kwargs = prepare(model, messages, params)
    events = fallback.astream("certainly", items, kwargs, provider=provider, model=model, messages=messages,
                              api_base=params.get("api_base"), max_seconds=params.get("request_timeout"))
    try:
        async for event in events:
            yield event
    finally:
        await events.aclose()


__all__ = ["OPENAI_KEYS", "acomplete", "astream", "prepare"]
