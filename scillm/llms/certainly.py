"""The `certainly` / `lean4` provider: a thin adapter from LiteLLM calls to the certainly engine."""

from __future__ import annotations

import json
from typing import Any

from scillm.errors import InvalidRequestError

_ENGINE_KEYS = ("flags", "strategies", "tactics", "options", "request_timeout", "max_seconds", "session_id",
                "track_id", "api_base", "backend")


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


async def acomplete(provider: str, model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
    """Run `params["items"]` through the certainly engine and wrap the payload in a ModelResponse.

    `provider` is `certainly` or `lean4` (the payload is mirrored under both
    keys for the alias); `model` is the full model string (`certainly`,
    `certainly/coq`, `lean4`); `params` holds every extra keyword argument
    the caller passed (`items`, `flags`, `max_seconds`, `session_id`, ...).
    Keys the engine does not take (LiteLLM's own) are ignored; the LLM that
    proposes proofs is chosen with `--model` or `options={"model": ...}`.
    """
    from scillm.integrations.certainly.api import raise_unless_proved, to_model_response
    from scillm.llms import fallback

    items = params.get("items")
    if items is None:
        items = _items_from_messages(messages)
    kwargs = {k: params[k] for k in _ENGINE_KEYS if params.get(k) is not None}
    _, _, suffix = model.partition("/")
    if suffix and "backend" not in kwargs:
        kwargs["backend"] = suffix
    # direct when a prover is here, else the HTTP bridge (see scillm.llms.fallback)
    payload = await fallback.arun("certainly", items, kwargs, provider=provider, model=model, messages=messages,
                                  api_base=params.get("api_base"), max_seconds=params.get("request_timeout"))
    if params.get("require_proved"):
        raise_unless_proved(payload)
    return to_model_response(payload, model=model, response_format=params.get("response_format"))
