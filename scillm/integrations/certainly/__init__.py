"""certainly: requirements in, machine-checked proofs out.

`prove_requirement` (awaitable) proves one requirement and answers a small
dict; `prove_requirement_sync` is its blocking twin; `is_available` says
whether any proof backend works here. All import the engine only when called,
and none imports LiteLLM: a model is reached only through the `Completion`
passed as `completion=` (or scoped with `using_completion`); without one a
call with `model=` raises `CompletionNotConfiguredError`. `scillm.prove_requirement`
is the same call with LiteLLM as the default `Completion`.

These are the documented direct entry points of the engine, so they build
their `CertainlySettings` from the environment when none is passed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scillm.settings import CertainlySettings
from scillm.sync import run_sync

if TYPE_CHECKING:
    from scillm.completion_protocol import Completion

_BEST_KEY = {"coq": "coq", "lean": "lean4"}


def is_available(settings: CertainlySettings | None = None) -> bool:
    """True when some proof backend (Coq or Lean) works here under `settings` (default: from the environment)."""
    from scillm.integrations.certainly.engine import backend_statuses  # noqa: PLC0415  the engine loads on first call, so importing the package stays light

    return any(s.available for s in backend_statuses(settings or CertainlySettings.from_env()).values())


def _diagnosis(result: dict[str, Any]) -> dict[str, Any]:
    """Why an item was not proved: the explanation, the last checker error class, the status."""
    failed = [a for a in result.get("attempts") or [] if a.get("status") != "proved"]
    last = failed[-1] if failed else {}
    text = result.get("explanation") or last.get("message") or f"the requirement was not proved ({result['status']})"
    return {"diagnosis": text, "error_class": last.get("error_class") or result["status"],
            "status": result["status"], "suggested_requirement_edit": None}


def _answer(result: dict[str, Any]) -> dict[str, Any]:
    ok = result["status"] == "proved"
    best = None
    if ok:
        winner = next((a for a in reversed(result["attempts"]) if a["status"] == "proved"), None)
        best = {"code": result["code"], "proof": result["proof"], "backend": result["backend"],
                "compile_ms": winner.get("time_ms") if winner else None,
                _BEST_KEY.get(result["backend"], result["backend"]): result["code"]}
    diagnosis = None if ok else _diagnosis(result)
    return {"ok": ok, "status": result["status"], "best": best, "attempts": result["attempts"],
            "diagnosis": diagnosis, "error": None if ok else diagnosis["diagnosis"] if diagnosis else None,
            "result": result}


def _engine_kwargs(tactics: list[str] | None, backend: str | None, model: str | None, compile_timeout_s: float | None,
                   num_candidates: int | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    from scillm.integrations.certainly.api import backend_name, check_options  # noqa: PLC0415  the engine loads on first call, so importing the package stays light

    check_options(kwargs, where="prove_requirement")
    out = dict(kwargs)
    if compile_timeout_s is not None:
        out["timeout_ms_per_check"] = int(float(compile_timeout_s) * 1000)
    if num_candidates is not None:
        out["candidates_per_round"] = int(num_candidates)
    return {**out, "tactics": tactics, "backend": backend_name(backend), "model": model}


async def prove_requirement(
    requirement: str,
    tactics: list[str] | None = None,
    *,
    backend: str | None = None,
    model: str | None = None,
    compile_timeout_s: float | None = None,
    num_candidates: int | None = None,
    completion: Completion | None = None,
    settings: CertainlySettings | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Prove one requirement: `await prove_requirement("forall n : nat, n + 0 = n")`.

    Answers `{ok, status, best, attempts, diagnosis, error, result}`: `best`
    holds `code`, `proof`, `backend`, `compile_ms` and the checked file under
    the backend's name (`best["coq"]` or `best["lean4"]`); `diagnosis` (when
    not proved) is `{diagnosis, error_class, status, suggested_requirement_edit}`.
    `compile_timeout_s` limits one check, `num_candidates` the candidates per
    round; other run options (`options`, `flags`, `max_seconds`, ...) are
    checked by the same validator as every other entry point. `completion`
    is the LLM call `model` goes through (see `scillm.completion_protocol`);
    `settings` configure the engine (default: `CertainlySettings.from_env()`).
    """
    from scillm.integrations.certainly.engine import arun_items  # noqa: PLC0415  the engine loads on first call, so importing the package stays light

    engine_kwargs = _engine_kwargs(tactics, backend, model, compile_timeout_s, num_candidates, kwargs)
    payload = await arun_items([{"requirement_text": requirement}], settings=settings or CertainlySettings.from_env(),
                               completion=completion, **engine_kwargs)
    return _answer(payload["results"][0])


def prove_requirement_sync(requirement: str, tactics: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
    """Blocking `prove_requirement` (same arguments and answer); safe inside a running event loop."""
    return run_sync(prove_requirement(requirement, tactics, **kwargs))


__all__ = ["is_available", "prove_requirement", "prove_requirement_sync"]
