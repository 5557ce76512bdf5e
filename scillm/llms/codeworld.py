"""The `codeworld` provider: a thin adapter from LiteLLM calls to the codeworld engine."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

from litellm import ModelResponse

from scillm.errors import InvalidRequestError
from scillm.integrations.codeworld.api import arun_items
from scillm.integrations.codeworld.models import CodeworldArgs
from scillm.llms import fallback
from scillm.llms.completion import default_completion
from scillm.names import did_you_mean

_STRATEGIES = {"all", "bandit", "mcts"}


def _summary_line(payload: dict[str, Any]) -> str:
    s = payload["summary"]
    best = [f"{r['item_id']}={r['best_variant']}" for r in payload["results"] if r.get("best_variant")]
    line = f"codeworld: {s['succeeded']}/{s['items']} items evaluated, {s['failed']} failed"
    return line + (f"; best: {', '.join(best)}" if best else "")


def _wants_json(params: dict[str, Any]) -> bool:
    fmt = params.get("response_format")
    if isinstance(fmt, dict):
        return fmt.get("type") in ("json_object", "json_schema")
    return False


def _prepare(model: str, params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    items = params.get("items")
    if items is None:
        raise InvalidRequestError("the codeworld provider needs `items=[{task, context: {code_variants, cases}}]`")
    args = {k: v for k, v in params.items() if k in CodeworldArgs.model_fields}
    _, _, suffix = model.partition("/")
    if suffix and suffix != "auto":
        if suffix not in _STRATEGIES:
            raise InvalidRequestError(f"unknown codeworld model {model!r}{did_you_mean(suffix, _STRATEGIES)}; "
                                      "use codeworld, codeworld/all, codeworld/bandit or codeworld/mcts")
        args.setdefault("strategy", suffix)
    return items, args


def _summary(items: list[Any], results: list[Any], args: dict[str, Any], elapsed_s: float) -> dict[str, Any]:
    ok = sum(1 for r in results if isinstance(r, dict) and r.get("status") == "ok")
    ordered = sorted(results, key=lambda r: r.get("index", 0) if isinstance(r, dict) else 0)
    return {"summary": {"items": len(results), "succeeded": ok, "failed": len(results) - ok},
            "statistics": {"strategy": args.get("strategy"), "duration_ms": round(elapsed_s * 1000, 3)},
            "results": ordered}


async def acomplete(provider: str, model: str, messages: list[dict[str, Any]],
                    params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Run `params["items"]` through the codeworld engine: (ModelResponse, payload).

    `model` is the full model string (`codeworld/auto`, `codeworld/mcts`); the
    part after the slash selects the strategy. `params` holds every extra
    keyword argument the caller passed (`items`, `strategy`, `metrics`, ...);
    keys codeworld does not know (LiteLLM's own) are ignored. The payload is
    in `response.additional_kwargs["codeworld"]`; the message content is a
    one-line summary, or the payload as JSON under a JSON response_format.
    """


    items, args = _prepare(model, params)
    if params.get("sandbox") is not None:  # a caller's own sandbox object can only run in-process
        payload = await arun_items(items, sandbox=params["sandbox"], completion=default_completion(), **args)
    else:  # direct when a sandbox works here, else the HTTP bridge (see scillm.llms.fallback)

        payload = await fallback.arun("codeworld", items, args, provider=provider, model=model, messages=messages,
                                      api_base=params.get("api_base"))
    content = json.dumps(payload, default=str) if _wants_json(params) else _summary_line(payload)
    response = ModelResponse(
        model=model,
        choices=[{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    )
    response.additional_kwargs = {"codeworld": payload}
    return response, payload


async def astream(provider: str, model: str, messages: list[dict[str, Any]],
                  params: dict[str, Any]) -> AsyncGenerator[tuple[str, Any], None]:
    """`("item", result)` per evaluated item (as-completed), then `("done", payload)`."""

    items, args = _prepare(model, params)
    events = fallback.astream("codeworld", items, args, provider=provider, model=model, messages=messages,
                              api_base=params.get("api_base"), summarize=_summary)
    try:
        async for event in events:
            yield event
    finally:
        await events.aclose()


__all__ = ["acomplete", "astream"]
