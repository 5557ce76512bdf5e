"""Usage and cost for scillm's providers, in LiteLLM's own terms.

Every scillm response carries a `usage` (the LLM proposer's tokens when one
was used, else zeros) with scillm's counters as extra fields
(`scillm_items`, `scillm_checks`, ...), the same counters in
`_hidden_params["scillm"]`, and a zero price registered with
`litellm.register_model`, so `litellm.completion_cost(response)` is 0.0 and
callbacks see `response_cost=0.0`. Tokens spent by the LLM proposer are
summed through a context variable set around each provider call: every
`scillm.acompletion` made inside it (the proposer's calls) adds its usage.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import litellm

# provider -> the model names a response can carry (bare names are aliased to `<provider>/auto`)
MODELS: dict[str, tuple[str, ...]] = {
    "certainly": ("certainly/auto", "certainly/coq", "certainly/rocq", "certainly/lean",
                  "certainly/lean4"),
    "lean4": ("lean4/auto", "lean4/coq", "lean4/lean", "lean4/lean4"),
    "codeworld": ("codeworld/auto", "codeworld/all", "codeworld/bandit", "codeworld/mcts"),
}

_ZERO = {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "cache_creation_input_token_cost": 0.0,
         "cache_read_input_token_cost": 0.0, "mode": "chat"}
_registered = False
_lock = threading.Lock()


@dataclass
class TokenTally:
    """Tokens spent by LLM calls made on behalf of one provider call."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0

    def add(self, usage: object) -> None:
        if usage is None:
            return
        get = usage.get if isinstance(usage, dict) else lambda k, d=None: getattr(usage, k, d)
        self.prompt_tokens += int(get("prompt_tokens", 0) or 0)
        self.completion_tokens += int(get("completion_tokens", 0) or 0)
        self.calls += 1


_tally: contextvars.ContextVar[TokenTally | None] = contextvars.ContextVar("scillm_token_tally", default=None)


@contextlib.contextmanager
def tracking() -> Iterator[TokenTally]:
    """Sum the usage of every LLM call made inside (and in tasks started inside) this block."""
    tally = TokenTally()
    token = _tally.set(tally)
    try:
        yield tally
    finally:
        try:
            _tally.reset(token)
        except ValueError:  # a stream closed from another context (e.g. at loop shutdown)
            pass


def record(response: object) -> None:
    """Add a finished LLM response's usage to the tally of the provider call it runs under."""
    tally = _tally.get()
    if tally is not None:
        tally.add(getattr(response, "usage", None))


def register_costs() -> None:
    """Register a zero price for every scillm model name (idempotent)."""
    global _registered
    with _lock:
        if _registered:
            return
        litellm.register_model({name: {**_ZERO, "litellm_provider": provider}
                                for provider, names in MODELS.items() for name in names})
        _registered = True


def counters(payload: dict[str, Any]) -> dict[str, Any]:
    """scillm's own counters from an engine payload: items, per-status counts, checks, cache hits."""
    stats = payload.get("statistics") or {}
    results = payload.get("results") or []
    by_status: dict[str, int] = dict(stats.get("by_status") or {})
    if not by_status:
        for r in results:
            if isinstance(r, dict) and r.get("status"):
                by_status[str(r["status"])] = by_status.get(str(r["status"]), 0) + 1
    return {"items": int(stats.get("items", len(results)) or 0), "by_status": by_status,
            "checks": int(stats.get("checks", 0) or 0), "cache_hits": int(stats.get("cache_hits", 0) or 0),
            "wall_ms": stats.get("wall_ms")}


def make_usage(tally: TokenTally | None, scillm_counters: dict[str, Any]) -> litellm.Usage:
    """A LiteLLM Usage: the proposer's tokens (or zeros) plus `scillm_*` extra fields."""
    prompt = tally.prompt_tokens if tally else 0
    completion = tally.completion_tokens if tally else 0
    extra = {f"scillm_{k}": v for k, v in scillm_counters.items() if k in ("items", "checks", "cache_hits")}
    extra["scillm_llm_calls"] = tally.calls if tally else 0
    return litellm.Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion,
                         **extra)


def attach(response: litellm.ModelResponse, provider: str, payload: dict[str, Any],
           tally: TokenTally | None) -> litellm.ModelResponse:
    """Set `usage`, `_hidden_params["scillm"]` and the provider on a finished response."""
    found = counters(payload)
    response.usage = make_usage(tally, found)
    hidden = getattr(response, "_hidden_params", None)
    if isinstance(hidden, dict):
        hidden["scillm"] = {**found, "llm_calls": tally.calls if tally else 0}
        hidden["custom_llm_provider"] = provider
    return response


__all__ = ["MODELS", "TokenTally", "attach", "counters", "make_usage", "record", "register_costs", "tracking"]
