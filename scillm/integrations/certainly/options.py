"""Run options for certainly: keyword arguments, `options={...}` and reference CLI flags, validated once.

Flags use the reference CLI spelling (`--strategies`, `--max-refinements`,
`--no-llm`, `--model`, `--best-of`, `--deterministic`); unknown flags and
unknown option keys are errors, never ignored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scillm.errors import InvalidRequestError
from scillm.integrations.certainly.loop import Budget
from scillm.integrations.certainly.models import Backend

STRATEGIES = frozenset({"direct", "structured", "portfolio", "llm", "repair"})

_BUDGET_KEYS = tuple(Budget.model_fields)
_FLAG_TAKES_VALUE = {"--strategies": "strategies", "--max-refinements": "max_refinements",
                     "--model": "model", "--best-of": "best_of", "--backend": "backend"}
_FLAG_SWITCH = {"--no-llm": "no_llm", "--deterministic": "deterministic", "--simple": "simple"}


class RunOptions(BaseModel):
    """Everything that shapes one certainly run, after flags and options are merged."""

    model_config = ConfigDict(extra="forbid")

    backend: Backend | None = None
    model: str | None = None
    api_base: str | None = None
    api_key: str | None = None
    temperature: float = 0.7
    strategies: list[str] = Field(default_factory=list)
    tactics: list[str] = Field(default_factory=list)
    tactics_only: bool = False
    simple: bool = False
    no_llm: bool = False
    explain_failures: bool = True
    deterministic: bool = False
    concurrency: int = Field(default=2, ge=1, description="Items proved at once.")
    cache: bool | str = Field(default=True, description="False: no cache; a path: SQLite file; True: default.")
    budget: Budget = Field(default_factory=Budget)
    session_id: str | None = None
    track_id: str | None = None
    request_timeout: float | None = None

    @property
    def uses_llm(self) -> bool:
        return bool(self.model) and not self.no_llm and "portfolio" not in self.strategies


def parse_flags(flags: list[str] | str | None) -> dict[str, Any]:
    """Reference CLI flags -> option values; `--x=v` and `--x v` both work."""
    if flags is None:
        return {}
    if isinstance(flags, str):
        flags = flags.split()
    if not isinstance(flags, (list, tuple)) or not all(isinstance(f, str) for f in flags):
        raise InvalidRequestError("flags must be a list of strings such as ['--strategies', 'direct']")
    out: dict[str, Any] = {}
    i = 0
    while i < len(flags):
        flag, _, inline = flags[i].partition("=")
        if flag in _FLAG_SWITCH and not inline:
            out[_FLAG_SWITCH[flag]] = True
            i += 1
            continue
        if flag not in _FLAG_TAKES_VALUE:
            known = sorted([*_FLAG_TAKES_VALUE, *_FLAG_SWITCH])
            raise InvalidRequestError(f"unknown flag {flags[i]!r}; known flags: {', '.join(known)}")
        if inline:
            value = inline
            i += 1
        elif i + 1 < len(flags):
            value = flags[i + 1]
            i += 2
        else:
            raise InvalidRequestError(f"flag {flag} needs a value")
        out[_FLAG_TAKES_VALUE[flag]] = value
    return out


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(f"{name} must be an integer, got {value!r}") from exc


def build_options(
    *,
    flags: list[str] | str | None = None,
    options: dict[str, Any] | None = None,
    strategies: list[str] | str | None = None,
    tactics: list[str] | None = None,
    **kwargs: Any,
) -> RunOptions:
    """Merge keyword arguments, `options` and flags (flags win) into validated RunOptions."""
    merged: dict[str, Any] = {k: v for k, v in kwargs.items() if v is not None}
    if options is not None and not isinstance(options, dict):
        raise InvalidRequestError("options must be a dict such as {'simple': True}")
    merged.update(options or {})
    if strategies is not None:
        merged["strategies"] = strategies
    if tactics is not None:
        merged["tactics"] = tactics
    merged.update(parse_flags(flags))
    budget = dict(merged.pop("budget", None) or {})
    for key in _BUDGET_KEYS:
        if key in merged:
            budget[key] = merged.pop(key)
    if "max_refinements" in merged:
        budget["max_rounds"] = 1 + _int(merged.pop("max_refinements"), "--max-refinements")
    if "best_of" in merged:
        budget["candidates_per_round"] = _int(merged.pop("best_of"), "--best-of")
    if merged.get("deterministic"):
        budget.setdefault("check_concurrency", 1)
    raw = merged.get("strategies")
    if isinstance(raw, str):
        merged["strategies"] = [s.strip() for s in raw.split(",") if s.strip()]
    bad = sorted(set(merged.get("strategies") or []) - STRATEGIES)
    if bad:
        raise InvalidRequestError(f"unknown strategies {bad}; known: {sorted(STRATEGIES)}")
    try:
        merged["budget"] = Budget(**budget)
        opts = RunOptions(**merged)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}" for e in exc.errors())
        raise InvalidRequestError(f"invalid certainly options: {problems}") from None
    if "llm" in opts.strategies and not opts.model:
        raise InvalidRequestError("strategy 'llm' needs a model (model=... or --model)")
    return opts


__all__ = ["STRATEGIES", "RunOptions", "build_options", "parse_flags"]
