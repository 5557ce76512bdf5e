"""`certainly_prove` and its simple / as-completed variants: the certainly engine answering LiteLLM objects.

Each is a thin wrapper over `scillm.integrations.certainly.api` (the calls
the provider and the bridges make too), so every surface gives the same
payload; only the envelope, a LiteLLM `ModelResponse`, is added here, with
the settings read from the environment and LiteLLM as the default `Completion`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from scillm.integrations.certainly.api import (
    arun_items,
    backend_name,
    build_options,
    check_options,
    raise_unless_proved,
)
from scillm.integrations.certainly.engine import default_engine
from scillm.llms.completion import default_completion
from scillm.llms.registry import ModelResponse
from scillm.settings import CertainlySettings
from scillm.sync import run_sync


def to_model_response(payload: dict[str, Any], *, model: str = "certainly",
                      response_format: object = None) -> ModelResponse:
    """A LiteLLM ModelResponse: the summary (or JSON payload) as content, payload in additional_kwargs."""
    wants_json = isinstance(response_format, dict) and response_format.get("type") in ("json_object", "json_schema")
    content = json.dumps(payload, default=str) if wants_json else payload["summary"]
    response = ModelResponse(model=model, choices=[{"index": 0, "finish_reason": "stop",
                                                   "message": {"role": "assistant", "content": content}}])
    response.additional_kwargs = {"certainly": payload, "lean4": payload}
    return response


def _engine_kwargs(
    flags: list[str] | str | None, strategies: object, tactics: object, options: dict[str, Any] | None,
    request_timeout: float | None, max_seconds: float | None, session_id: str | None, track_id: str | None,
    api_base: str | None, backend: str | None, model: str | None, extra: dict[str, Any],
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"flags": flags, "strategies": strategies, "tactics": tactics, "options": options,
                              "request_timeout": request_timeout, "session_id": session_id,
                              "track_id": track_id, "api_base": api_base, "backend": backend, "model": model,
                              **extra}
    if max_seconds is not None:
        kwargs["max_seconds"] = max_seconds
    return kwargs


async def acertainly_prove(
    items: object = None, flags: list[str] | str | None = None, strategies: object = None,
    tactics: object = None, response_format: object = None, options: dict[str, Any] | None = None, request_timeout: float | None = 120.0,
    max_seconds: float | None = None, session_id: str | None = None, track_id: str | None = None,
    api_base: str | None = None, require_proved: bool = False, backend: str | None = None,
    model: str | None = None, **extra: Any,
) -> ModelResponse:
    """Async `certainly_prove`."""
    check_options({**extra, "options": options}, where="certainly_prove")
    kwargs = _engine_kwargs(flags, strategies, tactics, options, request_timeout, max_seconds, session_id,
                            track_id, api_base, backend_name(backend), model, extra)
    payload = await arun_items(items, settings=CertainlySettings.from_env(), completion=default_completion(), **kwargs)
    if require_proved:
        raise_unless_proved(payload)
    return to_model_response(payload, model="certainly" if backend is None else f"certainly/{backend}",
                             response_format=response_format)


def certainly_prove(
    items: object = None, flags: list[str] | str | None = None, strategies: object = None,
    tactics: object = None, response_format: object = None, options: dict[str, Any] | None = None, request_timeout: float | None = 120.0,
    max_seconds: float | None = None, session_id: str | None = None, track_id: str | None = None,
    api_base: str | None = None, require_proved: bool = False, backend: str | None = None,
    model: str | None = None, **extra: Any,
) -> ModelResponse:
    """Prove `items` in process and return a LiteLLM ModelResponse.

    `choices[0].message.content` is the one-line summary (the JSON payload
    with `response_format={"type": "json_object"}`); the payload
    `{summary, results, statistics, run_manifest}` is in
    `response.additional_kwargs["certainly"]` (and `["lean4"]`).
    `require_proved=True` raises RequireProvedError listing unproved items.
    """
    return run_sync(acertainly_prove(
        items, flags, strategies, tactics, response_format, options, request_timeout, max_seconds, session_id,
        track_id, api_base, require_proved, backend, model, **extra))


def _simple(options: dict[str, Any] | None) -> dict[str, Any]:
    return {**(options or {}), "simple": True}


def certainly_prove_simple(items: object = None, *, options: dict[str, Any] | None = None,
                           **kwargs: Any) -> ModelResponse:
    """`certainly_prove` with one generation, one check, no repair (an explanation on failure)."""
    return certainly_prove(items, options=_simple(options), **kwargs)


async def certainly_prove_iter(
    items: object, concurrency: int = 2, *, response_format: object = None, **kwargs: Any
) -> AsyncIterator[dict[str, Any]]:
    """Yield `{index, ok, status, content, error, response}` per item as each finishes.

    Leaving the loop early (break, exception) cancels the unfinished items.
    """
    kwargs.pop("require_proved", None)
    check_options(kwargs, where="certainly_prove_iter")
    if "backend" in kwargs:
        kwargs["backend"] = backend_name(kwargs["backend"])
    opts = build_options(concurrency=concurrency, **kwargs)
    engine = default_engine(CertainlySettings.from_env())
    results = engine.aiter(items, opts, completion=default_completion())
    try:
        async for result in results:
            payload = engine.payload([result], [result], opts, result.stats.time_ms).to_json()
            response = to_model_response(payload, response_format=response_format)
            ok = result.status == "proved"
            error = None if ok else (result.explanation or result.status)
            yield {"index": result.index, "ok": ok, "status": result.status,
                   "content": response.choices[0].message.content, "error": error, "response": response}
    finally:
        await results.aclose()


async def certainly_prove_simple_iter(
    items: object, concurrency: int = 2, *, options: dict[str, Any] | None = None, **kwargs: Any
) -> AsyncIterator[dict[str, Any]]:
    """`certainly_prove_iter` in simple mode."""
    async for event in certainly_prove_iter(items, concurrency, options=_simple(options), **kwargs):
        yield event


__all__ = [
    "acertainly_prove",
    "certainly_prove",
    "certainly_prove_iter",
    "certainly_prove_simple",
    "certainly_prove_simple_iter",
    "to_model_response",
]
