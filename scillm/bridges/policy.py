"""What a request may ask of a bridge: the engine's allow-list, the server's secrets, the door checks.

A request chooses *what* to prove or evaluate and how hard to try, within the
server's caps; the server alone chooses which LLM endpoint and key are used,
where caches live and whether the sandbox may be skipped. Every refusal is a
`RequestFieldError` naming the field, which the bridge answers 422.
"""

from __future__ import annotations

import re
from typing import Any

from scillm.bridges.settings import BridgeSettings
from scillm.integrations.certainly.checkers.sentences import LexError, split_sentences
from scillm.integrations.certainly.checkers.soundness import check_vernacular
from scillm.integrations.certainly.normalize import normalize_item
from scillm.integrations.certainly.options import (
    RequestCaps,
    RequestFieldError,
    capped_budget,
    request_options,
)
from scillm.integrations.codeworld.request_policy import REQUEST_FIELDS, SERVER_ONLY_FIELDS

# Seed-002 run options that travel in the request's `options` and reach the certainly engine.
CERTAINLY_RUN_OPTIONS = ("no_llm", "simple", "max_refinements", "explain_failures", "session_id", "track_id")

_PREFIX = re.compile(
    r"^\s*(?:#\[[^\]]*\]\s*)*(?:(?:Local|Global|Export|Polymorphic|Monomorphic|Program)\s+)*"
    r"(Time|Timeout|Fail|Succeed|Redirect|Instructions|Profile)\b")


def certainly_caps(settings: BridgeSettings) -> RequestCaps:
    return settings.caps.model_copy(update={"model_aliases": dict(settings.model_aliases)})


def certainly_kwargs(args: dict[str, Any], options: dict[str, Any], settings: BridgeSettings) -> dict[str, Any]:
    """Engine keywords for a certainly request: its allowed choices plus the server's LLM settings."""
    caps = certainly_caps(settings)
    problems: list[tuple[str, str]] = []
    kwargs: dict[str, Any] = {}
    run_options = {k: options[k] for k in CERTAINLY_RUN_OPTIONS if options.get(k) is not None}
    for source, where in ((args, "provider.args"), (run_options, "options")):
        try:
            chosen = request_options(source, caps, where=where)
        except RequestFieldError as exc:
            problems += exc.problems
            continue
        budget = {**kwargs.pop("budget", {}), **chosen.pop("budget", {})}
        kwargs.update({k: v for k, v in chosen.items() if k not in kwargs or where == "provider.args"})
        if budget:
            kwargs["budget"] = budget
    if problems:
        raise RequestFieldError(problems)
    kwargs["budget"] = _server_budget(kwargs.get("budget"), caps)
    kwargs.setdefault("concurrency", min(2, caps.concurrency))
    model = kwargs.get("model") or settings.llm_model
    if model and not kwargs.get("no_llm"):
        kwargs.update(model=model, api_base=settings.llm_api_base, api_key=settings.llm_api_key)
    else:
        kwargs.pop("model", None)
    if "cache" not in kwargs and settings.cache_path:
        kwargs["cache"] = settings.cache_path
    return kwargs


def _server_budget(budget: dict[str, Any] | None, caps: RequestCaps) -> dict[str, Any]:
    return capped_budget(budget, caps)


def _given(args: dict[str, Any], dotted: str) -> bool:
    head, _, tail = dotted.partition(".")
    value = args.get(head)
    if not tail:
        return head in args and value not in (None, False)
    return isinstance(value, dict) and value.get(tail) is not None


def _codeworld_field_problems(args: dict[str, Any]) -> list[tuple[str, str]]:
    """The engine's own allow-list, applied at the door: server-only fields and unknown arguments."""
    problems = [(f"provider.args.{dotted}", f"is server configuration ({setting}); a request may not set it")
                for dotted, setting in SERVER_ONLY_FIELDS.items() if _given(args, dotted)]
    problems += [(f"provider.args.{name}", "is not a codeworld argument")
                 for name in sorted(set(args) - REQUEST_FIELDS - {d.partition(".")[0] for d in SERVER_ONLY_FIELDS})]
    return problems


_CODEWORLD_CAPS = {("strategy_config", "timeout_ms"): 60_000, ("strategy_config", "rollouts"): 10_000,
                   ("strategy_config", "parallel"): 16, ("repeats",): 20, ("concurrency",): 8,
                   ("iterations",): 10, ("autogenerate", "n"): 16}


def codeworld_kwargs(args: dict[str, Any], settings: BridgeSettings) -> dict[str, Any]:
    """Engine keywords for a codeworld request: LLM endpoint, key and sandbox policy stay the server's."""
    problems = _codeworld_field_problems(args)
    out = dict(args)
    for path, cap in _CODEWORLD_CAPS.items():
        value: Any = args
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool) and value > cap:
            problems.append(("provider.args." + ".".join(path), f"at most {cap} on this server, got {value!r}"))
    auto = args.get("autogenerate")
    if isinstance(auto, dict):
        auto = dict(auto)
        model = auto.get("model")
        if model is not None:
            if not isinstance(model, str) or model not in settings.model_aliases:
                names = ", ".join(sorted(settings.model_aliases)) or "none are configured"
                problems.append(("provider.args.autogenerate.model",
                                 f"models are chosen by the server; allowed names: {names}"))
            else:
                auto.update(model=settings.model_aliases[model], api_base=settings.llm_api_base,
                            api_key=settings.llm_api_key)
        out["autogenerate"] = auto
    if problems:
        raise RequestFieldError(problems)
    return out


def _coq_problems(text: object, where: str) -> list[tuple[str, str]]:
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        sentences = split_sentences(text)
    except LexError as exc:
        return [(where, f"cannot be read as Coq sentences: {exc}")]
    for s in sentences:
        prefix = _PREFIX.match(s.text)
        if prefix:
            return [(where, f"command prefix `{prefix.group(1)}` is not allowed here (line {s.line})")]
    violation = check_vernacular(sentences, where.rsplit(".", 1)[-1])
    if violation is not None:
        return [(where, f"{violation.reason} (line {violation.sentence.line})")]
    return []


def door_check_certainly(items: list[Any]) -> None:
    """Refuse, before any prover runs, Coq header/decls that could act on the host or the session.

    Raises:
        RequestFieldError: naming `items.<i>.header` / `items.<i>.decls` and the sentence.
    """
    problems: list[tuple[str, str]] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict | str):
            continue
        if isinstance(item, dict) and str(item.get("backend") or "").lower() in ("lean", "lean4"):
            continue
        raw = item if isinstance(item, dict) else {}
        for key in ("header", "decls"):
            problems += _coq_problems(raw.get(key), f"items.{i}.{key}")
        norm = normalize_item(item, i, backend="coq")
        if norm.problem is not None and not problems:
            problems += _coq_problems(norm.problem.header, f"items.{i}.header")
            problems += _coq_problems(norm.problem.decls, f"items.{i}.decls")
    if problems:
        raise RequestFieldError(problems)


__all__ = ["CERTAINLY_RUN_OPTIONS", "certainly_kwargs", "codeworld_kwargs", "door_check_certainly"]
