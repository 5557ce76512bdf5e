"""The certainly engine: items in, one result per item out, in order.

`arun_items` and `arun_items_iter` are the entry points every surface calls
(direct Python API, the LiteLLM provider, the HTTP bridges, the CLI), so all
of them give identical results. Heavy parts (checkers, LiteLLM) load on use.
"""

from __future__ import annotations

import asyncio
import atexit
import inspect
import shutil
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from scillm.config import env
from scillm.errors import InvalidRequestError
from scillm.integrations.certainly.checkers.base import Checker
from scillm.integrations.certainly.lean_syntax import looks_like_lean
from scillm.integrations.certainly.loop import ProveOutcome, prove_problem
from scillm.integrations.certainly.models import Backend, BackendStatus, Problem
from scillm.integrations.certainly.normalize import (
    NormalizedItem,
    default_header,
    lookup_coq_lemma,
    normalize_item,
    with_statement,
)
from scillm.integrations.certainly.options import RunOptions, build_options
from scillm.integrations.certainly.proposers.base import Proposer
from scillm.integrations.certainly.proposers.llm import LLMProposer
from scillm.integrations.certainly.proposers.portfolio import PortfolioProposer
from scillm.integrations.certainly.run_payload import SCHEMA, manifest, statistics, summarize
from scillm.names import did_you_mean

_INSTALL = {"coq": "install Coq 8.16+ (apt-get install coq) so coqtop/coqc are on PATH",
            "lean": "install Lean 4 with a Lake project holding the REPL and set CERTAINLY_LEAN_PROJECT"}
_process_cache: Any = None
_shared_checkers: dict[str, Checker] = {}
_shared_lock = threading.Lock()


def backend_statuses() -> dict[str, BackendStatus]:
    """Which backends work here (from the checkers package when present, else a PATH probe)."""
    try:
        from scillm.integrations.certainly.checkers import available_backends

        return {b.name: b for b in available_backends()}
    except ImportError:
        coq = shutil.which("coqtop") is not None and shutil.which("coqc") is not None
        return {"coq": BackendStatus(name="coq", available=coq, reason=None if coq else _INSTALL["coq"]),
                "lean": BackendStatus(name="lean", available=False, reason=_INSTALL["lean"])}


def choose_backend(item_backend: Any, call_backend: str | None, statuses: dict[str, BackendStatus],
                   text: Any = None) -> Backend:
    """Item `backend` > call `backend` / model suffix > CERTAINLY_BACKEND > Lean syntax > Lean if available, else Coq."""
    for value in (item_backend, call_backend, env("CERTAINLY_BACKEND")):
        if value and str(value).lower() != "auto":
            name = str(value).lower()
            name = "lean" if name in ("lean", "lean4") else "coq" if name in ("coq", "rocq") else name
            if name not in ("coq", "lean"):
                hint = did_you_mean(str(value), ("coq", "rocq", "lean", "lean4", "auto"))
                raise InvalidRequestError(f"unknown backend {value!r}{hint}; choose coq, lean or auto")
            return "coq" if name == "coq" else "lean"
    if isinstance(text, str) and looks_like_lean(text):
        return "lean"
    lean = statuses.get("lean")
    return "lean" if lean is not None and lean.available else "coq"


def _item_text(item: Any) -> Any:
    if isinstance(item, dict):
        return item.get("requirement_text") or item.get("text") or item.get("statement")
    return item


def _process_wide_cache() -> Any:
    """One cache per process (CERTAINLY_CACHE's SQLite file, else memory), so repeated runs hit it."""
    global _process_cache
    from scillm.integrations.certainly.cache import open_cache

    if _process_cache is None:
        _process_cache = open_cache()
    return _process_cache


async def _shared_checker(backend: Backend) -> Checker:
    """One warm checker per backend per process, so repeated runs (pipelines, bridges) reuse its sessions.

    Checkers are thread-backed and serve any event loop; their prover
    processes are stopped at interpreter exit.
    """
    from scillm.integrations.certainly.checkers import get_checker

    with _shared_lock:
        checker = _shared_checkers.get(backend)
    if checker is not None:
        return checker
    made = get_checker(backend)
    fresh: Checker = await made if inspect.isawaitable(made) else made
    with _shared_lock:
        if backend in _shared_checkers:
            extra, fresh = fresh, _shared_checkers[backend]
            await extra.aclose()
        else:
            _shared_checkers[backend] = fresh
            if len(_shared_checkers) == 1:
                atexit.register(_close_shared_checkers)
    return fresh


def _close_shared_checkers() -> None:
    with _shared_lock:
        checkers = list(_shared_checkers.values())
        _shared_checkers.clear()
    for checker in checkers:
        close = getattr(checker, "close", None)
        if callable(close):
            close()
        else:
            asyncio.run(checker.aclose())


async def _open_checker(backend: Backend, cache: Any) -> Checker:
    checker = await _shared_checker(backend)
    if cache is None:
        return checker
    from scillm.integrations.certainly.cache import CachingChecker

    return CachingChecker(checker, cache)


class _Context:
    """What one run shares across items: options, checkers per backend, the LLM proposer."""

    def __init__(self, opts: RunOptions) -> None:
        self.opts = opts
        self.statuses = backend_statuses()
        self.checkers: dict[str, Checker] = {}
        self.lock = asyncio.Lock()
        self.own_cache: Any = None
        self.call_deadline: float | None = None
        self.llm = (LLMProposer(opts.model, api_base=opts.api_base, api_key=opts.api_key,
                                temperature=opts.temperature, deterministic=opts.deterministic)
                    if opts.model and not opts.no_llm else None)

    async def checker(self, backend: Backend) -> Checker:
        async with self.lock:
            if backend not in self.checkers:
                self.checkers[backend] = await _open_checker(backend, self._cache())
            return self.checkers[backend]

    def _cache(self) -> Any:
        if self.opts.cache is False:
            return None
        if isinstance(self.opts.cache, str):
            if self.own_cache is None:
                from scillm.integrations.certainly.cache import open_cache

                self.own_cache = open_cache(self.opts.cache)
            return self.own_cache
        return _process_wide_cache()

    def proposer(self, norm: NormalizedItem) -> Proposer:
        """The LLM when a model is set (unless the item or call asks for the portfolio or gives tactics)."""
        wants_llm = self.opts.uses_llm and "portfolio" not in norm.strategies and not norm.tactics
        if self.llm is not None and (wants_llm or "llm" in norm.strategies):
            return self.llm
        tactics = [*self.opts.tactics, *norm.tactics]
        return PortfolioProposer(tactics, tactics_only=self.opts.tactics_only)

    async def aclose(self) -> None:
        """Close what this run opened; the shared warm checkers stay up for the next run."""
        if self.own_cache is not None:
            self.own_cache.close()


def _code(problem: Problem, proof: str) -> str:
    if problem.backend == "coq":
        parts = [problem.header, problem.decls, f"{problem.keyword} {problem.theorem_name} : {problem.statement}.",
                 "Proof.", proof, "Qed."]
    else:
        parts = [problem.header, problem.decls, f"theorem {problem.theorem_name} : {problem.statement} := by",
                 "  " + proof.replace("\n", "\n  ")]
    return "\n".join(p for p in parts if p) + "\n"


def make_result(norm: NormalizedItem, status: str, *, outcome: ProveOutcome | None = None,
                explanation: str | None = None) -> dict[str, Any]:
    """The per-item result, with exactly the documented fields."""
    proof = outcome.proof if outcome is not None else None
    code = ""
    if outcome is not None and outcome.proof is not None and norm.problem is not None:
        code = (outcome.result.code if outcome.result is not None and outcome.result.code else "") or \
            _code(norm.problem, outcome.proof)
    stats = outcome.stats.model_dump() if outcome is not None else {"rounds": 0, "checks": 0, "cache_hits": 0,
                                                                     "time_ms": 0.0, "checker_ms": 0.0}
    result: dict[str, Any] = {
        "index": norm.index,
        "item_id": norm.item_id,
        "status": status,
        "backend": norm.backend,
        "proof": proof,
        "coq_code" if norm.backend == "coq" else "lean_code": code or None,
        "code": code or None,
        "axioms": list(outcome.result.axioms) if status == "proved" and outcome is not None and outcome.result
        is not None else [],
        "attempts": [a.model_dump() for a in outcome.attempts] if outcome is not None else [],
        "stats": stats,
        "explanation": explanation if explanation is not None else (outcome.explanation if outcome else None),
        "_direct_mode": True,
    }
    return result


async def _resolve(norm: NormalizedItem, ctx: _Context) -> NormalizedItem | dict[str, Any]:
    """Lemma names and English become Problems; otherwise a finished result explaining why not."""
    if norm.kind == "lemma" and norm.lemma_name:
        if norm.backend != "coq":
            return make_result(norm, "error", explanation="library lemma lookup is implemented for Coq only; "
                               "pass the Lean statement itself")
        try:
            statement = await lookup_coq_lemma(norm.lemma_name)
        except LookupError as exc:
            return make_result(norm, "error", explanation=str(exc))
        return with_statement(norm, statement)
    if norm.kind == "english":
        if ctx.llm is None:
            why = ("this requirement reads as plain English; formalising it needs an LLM: pass model=... "
                   "(with api_base/api_key) or write it in the prover's syntax, e.g. "
                   "`forall n : nat, n + 0 = n`")
            if ctx.opts.no_llm and ctx.opts.model:
                why = "this requirement reads as plain English and no_llm=True forbids formalising it with the LLM"
            return make_result(norm, "needs_llm", explanation=why)
        header = default_header(norm.requirement, norm.backend)
        try:
            statement = await ctx.llm.formalize(norm.requirement, header, norm.backend)
        except Exception as exc:  # the LLM call failed: this item's error, not the batch's
            return make_result(norm, "error", explanation=f"formalising with {ctx.llm.model} failed: "
                               f"{type(exc).__name__}: {exc}")
        if not statement:
            return make_result(norm, "error", explanation="the LLM returned no statement to prove")
        norm = with_statement(norm, statement, header)
        return norm.model_copy(update={"metadata": {**norm.metadata, "formalized_statement": statement}})
    return norm


async def prove_item(item: Any, index: int, ctx: _Context) -> dict[str, Any]:
    """One item to one result; never raises for bad input or a failed proof."""
    try:
        backend = choose_backend(item.get("backend") if isinstance(item, dict) else None,
                                 ctx.opts.backend, ctx.statuses, _item_text(item))
    except InvalidRequestError as exc:
        norm = normalize_item(item, index, backend="coq")
        return make_result(norm, "error", explanation=str(exc))
    norm = normalize_item(item, index, backend=backend)
    if norm.kind == "invalid":
        return make_result(norm, "error", explanation=norm.error)
    status = ctx.statuses.get(backend)
    if status is None or not status.available:
        reason = (status.reason if status is not None else None) or _INSTALL[backend]
        return make_result(norm, "env_unavailable", explanation=f"the {backend} backend is unavailable here: "
                           f"{reason}; {_INSTALL[backend]}")
    resolved = await _resolve(norm, ctx)
    if isinstance(resolved, dict):
        return resolved
    norm = resolved
    assert norm.problem is not None
    checker = await ctx.checker(backend)
    explainer = ctx.llm.explain if ctx.llm is not None and ctx.opts.explain_failures else None
    outcome = await prove_problem(norm.problem, ctx.proposer(norm), checker, ctx.opts.budget,
                                  simple=ctx.opts.simple, explainer=explainer, deadline=ctx.call_deadline)
    return make_result(norm, outcome.status, outcome=outcome)


def _timeout_result(item: Any, index: int, seconds: float | None, total: float | None = None) -> dict[str, Any]:
    norm = normalize_item(item, index, backend="coq")
    if total and (not seconds or total < seconds):
        return make_result(norm, "timeout", explanation=f"the call's max_total_seconds ({total} s) ran out first")
    return make_result(norm, "timeout", explanation=f"the run's request_timeout ({seconds} s) ran out first")


async def _iter_results(items: list[Any], opts: RunOptions) -> AsyncGenerator[tuple[int, dict[str, Any]], None]:
    ctx = _Context(opts)
    gate = asyncio.Semaphore(opts.concurrency)

    async def run(index: int, item: Any) -> tuple[int, dict[str, Any]]:
        async with gate:
            return index, await prove_item(item, index, ctx)

    started = time.monotonic()
    total = opts.budget.max_total_seconds
    ctx.call_deadline = started + total if total else None
    tasks = [asyncio.ensure_future(run(i, item)) for i, item in enumerate(items)]
    ends = [started + opts.request_timeout if opts.request_timeout else None,
            started + total * 1.04 if total else None]
    deadline = min((e for e in ends if e is not None), default=None)
    try:
        pending = set(tasks)
        while pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, pending = await asyncio.wait(pending, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            for task in sorted(done, key=tasks.index):
                yield task.result()
            if not done:
                for task in sorted(pending, key=tasks.index):
                    index = tasks.index(task)
                    yield index, _timeout_result(items[index], index, opts.request_timeout, total)
                break
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await ctx.aclose()


def _check_items(items: Any) -> list[Any]:
    if isinstance(items, (str, dict)):
        return [items]
    if not isinstance(items, (list, tuple)) or not items:
        raise InvalidRequestError("items must be a non-empty list of {'requirement_text': ...} objects or strings")
    return list(items)


async def arun_items(items: Any, **kwargs: Any) -> dict[str, Any]:
    """Prove every item; the payload `{summary, results, statistics, run_manifest}` (results in input order)."""
    items = _check_items(items)
    opts = build_options(**kwargs)
    started = time.monotonic()
    results: list[dict[str, Any] | None] = [None] * len(items)
    async for index, result in _iter_results(items, opts):
        results[index] = result
    done = [r for r in results if r is not None]
    return build_payload(items, done, opts, (time.monotonic() - started) * 1000)


def build_payload(items: list[Any], results: list[dict[str, Any]], opts: RunOptions, wall_ms: float) -> dict[str, Any]:
    """The documented payload shape from finished results."""
    statuses = backend_statuses()
    return {
        "summary": summarize(results),
        "results": results,
        "statistics": statistics(results, wall_ms),
        "run_manifest": manifest(items, results, opts, {r["backend"] for r in results}, statuses),
    }


async def arun_items_iter(items: Any, **kwargs: Any) -> AsyncIterator[tuple[int, dict[str, Any]]]:
    """Yield `(index, result)` as each item finishes; closing the iterator early cancels the rest."""
    items = _check_items(items)
    opts = build_options(**kwargs)
    results = _iter_results(items, opts)
    try:
        async for pair in results:
            yield pair
    finally:  # closing this iterator must cancel the items now, not when the garbage collector runs
        await results.aclose()


def health() -> dict[str, Any]:
    """Readiness for bridges and `scillm doctor`: which backends work here."""
    statuses = backend_statuses()
    return {"ready": any(s.available for s in statuses.values()),
            "backends": {n: s.model_dump() for n, s in statuses.items()}}


__all__ = ["SCHEMA", "arun_items", "arun_items_iter", "backend_statuses", "build_payload", "choose_backend",
           "health", "make_result", "summarize"]
