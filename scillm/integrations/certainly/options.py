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


def _int(value: object, name: str) -> int:
    try:
        if not isinstance(value, str | int | float):
            raise TypeError(type(value).__name__)
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




class RequestCaps(BaseModel):
    """The most a request may ask of this server; the server's operator sets these, never a request.

    `model_aliases` maps the names a request may put in `model` to the LiteLLM
    model the server really calls (with the server's own base URL and key).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_rounds: int = Field(default=8, ge=1)
    candidates_per_round: int = Field(default=16, ge=1)
    repairs_per_round: int = Field(default=4, ge=0)
    timeout_ms_per_check: int = Field(default=20_000, ge=1)
    max_total_checks: int = Field(default=128, ge=1)
    max_seconds: float = Field(default=300.0, gt=0)
    check_concurrency: int = Field(default=8, ge=1)
    concurrency: int = Field(default=4, ge=1)
    max_tactics: int = Field(default=64, ge=0)
    max_tactic_chars: int = Field(default=2000, ge=1)
    model_aliases: dict[str, str] = Field(default_factory=dict)


class RequestFieldError(InvalidRequestError):
    """A request set an option it may not set, or beyond the server's cap; `problems` = [(field, reason)]."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{loc}: {msg}" for loc, msg in problems))


_SERVER_ONLY = {
    "api_base": "the LLM endpoint is a server setting (--llm-api-base); a request cannot choose it",
    "api_key": "LLM keys are server settings; a request cannot send or redirect one",
    "cache": "cache location is a server setting; a request may only send cache=false",
    "request_timeout": "use options.max_seconds for the request's deadline",
}
_BOOLS = ("tactics_only", "simple", "no_llm", "explain_failures", "deterministic")
_STRINGS = ("session_id", "track_id")
_BUDGET_CAPS = ("max_rounds", "candidates_per_round", "repairs_per_round", "timeout_ms_per_check",
                "max_total_checks", "max_seconds", "check_concurrency")


class _Checker:
    """Collects (field, reason) while a request's options are read."""

    def __init__(self, caps: RequestCaps, where: str) -> None:
        self.caps = caps
        self.where = where
        self.problems: list[tuple[str, str]] = []

    def bad(self, key: str, msg: str) -> None:
        self.problems.append((f"{self.where}.{key}", msg))

    def number(self, key: str, value: object, cap: float, *, integer: bool, low: float) -> int | float | None:
        if isinstance(value, bool) or not isinstance(value, int if integer else int | float):
            self.bad(key, f"must be {'an integer' if integer else 'a number'}, got {type(value).__name__}")
        elif not low <= value <= cap:
            self.bad(key, f"must be between {low:g} and {cap:g} on this server, got {value!r}")
        else:
            return value
        return None


def _from_flags(raw: object, check: _Checker) -> dict[str, Any]:
    if not (raw is None or isinstance(raw, str | list)):
        check.bad("flags", f"must be a list of strings or one string, got {type(raw).__name__}")
        return {}
    try:
        parsed = parse_flags(raw)
    except InvalidRequestError as exc:
        check.bad("flags", str(exc))
        return {}
    for key in ("max_refinements", "best_of"):
        if key in parsed:
            value = str(parsed[key])
            parsed[key] = int(value) if value.isdigit() else value
    return parsed


def _string_list(key: str, value: object, check: _Checker, *, limit: int, chars: int) -> list[str] | None:
    if isinstance(value, str) and key == "strategies":
        value = [s.strip() for s in value.split(",") if s.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        check.bad(key, "must be a list of strings")
    elif len(value) > limit or any(len(v) > chars for v in value):
        check.bad(key, f"at most {limit} entries of {chars} characters on this server")
    else:
        return value
    return None


def _budget(raw: object, check: _Checker, prefix: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        check.bad(prefix.rstrip("."), "must be an object with budget fields")
        return {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _BUDGET_CAPS:
            check.bad(f"{prefix}{key}", f"unknown budget field; known: {', '.join(_BUDGET_CAPS)}")
            continue
        low = 0 if key == "repairs_per_round" else 1
        got = check.number(f"{prefix}{key}", value, getattr(check.caps, key), integer=key != "max_seconds",
                           low=low if key != "max_seconds" else 0.001)
        if got is not None:
            out[key] = got
    return out


def request_options(args: dict[str, Any], caps: RequestCaps, *, where: str = "provider.args") -> dict[str, Any]:
    """The `build_options` keywords a request may set, each typed and within `caps`.

    Everything else (LLM base URL and key, cache paths, unknown names) is
    refused, naming the field, so a request can never move a server secret or
    touch a host path.

    Raises:
        RequestFieldError: listing every refused field.
    """
    check = _Checker(caps, where)
    flat: dict[str, Any] = {}
    for key, value in args.items():
        if key == "options" and isinstance(value, dict):
            flat.update(value)
        elif key == "flags":
            flat.update(_from_flags(value, check))
        else:
            flat[key] = value
    out: dict[str, Any] = {}
    budget: dict[str, Any] = {}
    for key, value in flat.items():
        if key in _SERVER_ONLY and not (key == "cache" and value is False):
            check.bad(key, _SERVER_ONLY[key])
        elif key == "cache":
            out["cache"] = False
        elif key in _BOOLS:
            if isinstance(value, bool):
                out[key] = value
            else:
                check.bad(key, f"must be true or false, got {type(value).__name__}")
        elif key in _STRINGS:
            if value is None or (isinstance(value, str) and len(value) <= 256):
                out[key] = value
            else:
                check.bad(key, "must be a string of at most 256 characters")
        elif key == "backend":
            if value in ("coq", "rocq", "lean", "lean4"):
                out[key] = "lean" if str(value).startswith("lean") else "coq"
            else:
                check.bad(key, "must be coq or lean")
        elif key == "model":
            if value is None:
                continue
            if not isinstance(value, str) or value not in caps.model_aliases:
                names = ", ".join(sorted(caps.model_aliases)) or "none are configured"
                check.bad(key, f"models are chosen by the server; allowed names: {names}")
            else:
                out[key] = caps.model_aliases[value]
        elif key == "temperature":
            got = check.number(key, value, 2.0, integer=False, low=0.0)
            if got is not None:
                out[key] = float(got)
        elif key == "concurrency":
            got = check.number(key, value, caps.concurrency, integer=True, low=1)
            if got is not None:
                out[key] = got
        elif key in ("strategies", "tactics"):
            listed = _string_list(key, value, check, limit=caps.max_tactics if key == "tactics" else len(STRATEGIES),
                                  chars=caps.max_tactic_chars)
            bad = sorted(set(listed or []) - STRATEGIES) if key == "strategies" else []
            if bad:
                check.bad(key, f"unknown strategies {bad}; known: {sorted(STRATEGIES)}")
            elif listed is not None:
                out[key] = listed
        elif key == "budget":
            budget.update(_budget(value, check, "budget."))
        elif key in _BUDGET_CAPS:
            budget.update(_budget({key: value}, check, ""))
        elif key == "max_refinements":
            got = check.number(key, value, caps.max_rounds - 1, integer=True, low=0)
            if got is not None:
                budget["max_rounds"] = got + 1
        elif key == "best_of":
            got = check.number(key, value, caps.candidates_per_round, integer=True, low=1)
            if got is not None:
                budget["candidates_per_round"] = got
        else:
            check.bad(key, "not an option a request may set")
    if check.problems:
        raise RequestFieldError(check.problems)
    if budget:
        out["budget"] = budget
    return out


def capped_budget(budget: dict[str, Any] | None, caps: RequestCaps) -> dict[str, Any]:
    """The server's defaults for every budget field the request left out, never above `caps`."""
    merged = dict(budget or {})
    for key in _BUDGET_CAPS:
        default = Budget.model_fields[key].default
        cap = getattr(caps, key)
        if key not in merged and default is not None and default > cap:
            merged[key] = cap
    return merged


__all__ = ["STRATEGIES", "RequestCaps", "RequestFieldError", "RunOptions", "build_options", "capped_budget",
           "parse_flags", "request_options"]
