"""The certainly engine's call surface: option validation, backend names, the batch runners.

The LiteLLM-shaped wrappers (`certainly_prove` and its variants, which
answer a `ModelResponse`) live in `scillm.llms.prove`; this module is what
every adapter (the LiteLLM provider, the HTTP bridge, the CLI) calls, so all
surfaces give identical payloads.
"""

from __future__ import annotations

from typing import Any

from scillm.errors import InvalidRequestError, RequireProvedError
from scillm.integrations.certainly.engine import (
    CertainlyEngine,
    arun_items,
    arun_items_iter,
    default_engine,
    health,
)
from scillm.integrations.certainly.loop import Budget
from scillm.integrations.certainly.options import RunOptions, build_options
from scillm.names import check_keywords, did_you_mean

# every run option a call may pass as a keyword argument (also inside `options={...}`)
OPTION_KEYS: frozenset[str] = frozenset({*RunOptions.model_fields, *Budget.model_fields, "max_refinements",
                                         "best_of", "budget"})
# keyword arguments of the certainly entry points besides the run options
CALL_KEYS: frozenset[str] = frozenset({"items", "flags", "options", "strategies", "tactics", "response_format",
                                       "require_proved"})
_BACKENDS = {"coq": "coq", "rocq": "coq", "lean": "lean", "lean4": "lean", "auto": None}


def backend_name(value: object) -> str | None:
    """`coq`, `lean` or None (auto) for a backend a caller named; a typo gets a "did you mean"."""
    if value is None or value == "":
        return None
    key = str(value).strip().lower()
    if key not in _BACKENDS:
        raise InvalidRequestError(f"unknown backend {value!r}{did_you_mean(key, _BACKENDS)}; "
                                  "choose coq, lean (alias lean4) or auto")
    return _BACKENDS[key]


def check_options(kwargs: dict[str, Any], *, where: str) -> None:
    """The one validator of certainly keyword arguments and `options={...}` keys, for every entry point."""
    check_keywords(kwargs, OPTION_KEYS | CALL_KEYS, where=where)
    options = kwargs.get("options")
    if isinstance(options, dict):
        check_keywords(options, OPTION_KEYS, where=f"{where} options={{...}}")


def raise_unless_proved(payload: dict[str, Any]) -> None:
    """RequireProvedError listing every item that is not `proved`."""
    unproved = [{"index": r["index"], "item_id": r["item_id"], "status": r["status"],
                 "explanation": r.get("explanation")} for r in payload["results"] if r["status"] != "proved"]
    if unproved:
        names = ", ".join(f"{u['item_id']} ({u['status']})" for u in unproved)
        raise RequireProvedError(f"require_proved=True and {len(unproved)} item(s) were not proved: {names}",
                                 unproved=unproved)


__all__ = [
    "CALL_KEYS",
    "CertainlyEngine",
    "OPTION_KEYS",
    "arun_items",
    "arun_items_iter",
    "backend_name",
    "build_options",
    "check_options",
    "default_engine",
    "health",
    "raise_unless_proved",
]
