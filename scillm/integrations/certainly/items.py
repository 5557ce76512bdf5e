"""One item to one `ItemResult`: pick the backend, normalise once, resolve, prove.

Never raises for bad input or a failed proof: every item gets exactly one
result with its own status. What a run shares across its items (options,
checkers, the LLM proposer) is a `RunContext` the engine builds per call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from scillm.completion_protocol import Completion, resolve
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
from scillm.integrations.certainly.options import RunOptions
from scillm.integrations.certainly.outcome import ItemStatus, LoopStats
from scillm.integrations.certainly.proposers.base import Proposer
from scillm.integrations.certainly.proposers.llm import LLMProposer
from scillm.integrations.certainly.proposers.portfolio import PortfolioProposer
from scillm.integrations.certainly.results import ItemResult
from scillm.names import did_you_mean

INSTALL = {"coq": "install Coq 8.16+ (apt-get install coq) so coqtop/coqc are on PATH",
           "lean": "install Lean 4 with a Lake project holding the REPL and set CERTAINLY_LEAN_PROJECT"}
OpenChecker = Callable[[Backend], Awaitable[Checker]]


def choose_backend(item_backend: object, call_backend: str | None, statuses: dict[str, BackendStatus],
                   text: object = None, default_backend: str | None = None) -> Backend:
    """Item `backend` > call `backend` / model suffix > the configured default > Lean syntax > Lean if available, else Coq."""
    for value in (item_backend, call_backend, default_backend):
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


_INLINE_CHARS = 16_000


def _item_text(item: object) -> object:
    if isinstance(item, dict):
        return item.get("requirement_text") or item.get("text") or item.get("statement")
    return item


class RunContext:
    """What one run shares across items: options, checkers per backend, the LLM proposer.

    A run with a model needs the `Completion` the engine was given or the caller scoped;
    without one it is refused here, before any item, with `CompletionNotConfiguredError`.
    """

    def __init__(self, opts: RunOptions, statuses: dict[str, BackendStatus], open_checker: OpenChecker,
                 default_backend: str | None = None, completion: Completion | None = None) -> None:
        self.opts = opts
        self.statuses = statuses
        self.default_backend = default_backend
        self._open_checker = open_checker
        self.checkers: dict[str, Checker] = {}
        self.lock = asyncio.Lock()
        self.call_deadline: float | None = None
        self.llm = (LLMProposer(opts.model, api_base=opts.api_base, api_key=opts.api_key,
                                temperature=opts.temperature, deterministic=opts.deterministic,
                                completion=resolve(completion, model=opts.model))
                    if opts.model and not opts.no_llm else None)

    async def checker(self, backend: Backend) -> Checker:
        async with self.lock:
            if backend not in self.checkers:
                self.checkers[backend] = await self._open_checker(backend)
            return self.checkers[backend]

    def proposer(self, norm: NormalizedItem) -> Proposer:
        """The LLM when a model is set (unless the item or call asks for the portfolio or gives tactics)."""
        wants_llm = self.opts.uses_llm and "portfolio" not in norm.strategies and not norm.tactics
        if self.llm is not None and (wants_llm or "llm" in norm.strategies):
            return self.llm
        tactics = [*self.opts.tactics, *norm.tactics]
        return PortfolioProposer(tactics, tactics_only=self.opts.tactics_only)


def _code(problem: Problem, proof: str) -> str:
    if problem.backend == "coq":
        parts = [problem.header, problem.decls, f"{problem.keyword} {problem.theorem_name} : {problem.statement}.",
                 "Proof.", proof, "Qed."]
    else:
        parts = [problem.header, problem.decls, f"theorem {problem.theorem_name} : {problem.statement} := by",
                 "  " + proof.replace("\n", "\n  ")]
    return "\n".join(p for p in parts if p) + "\n"


def make_result(norm: NormalizedItem, status: ItemStatus, *, outcome: ProveOutcome | None = None,
                explanation: str | None = None) -> ItemResult:
    """The per-item result, with exactly the documented fields."""
    code = ""
    if outcome is not None and outcome.proof is not None and norm.problem is not None:
        code = (outcome.result.code if outcome.result is not None and outcome.result.code else "") or \
            _code(norm.problem, outcome.proof)
    proved = status == "proved" and outcome is not None and outcome.result is not None
    return ItemResult(
        index=norm.index,
        item_id=norm.item_id,
        status=status,
        backend=norm.backend,
        proof=outcome.proof if outcome is not None else None,
        code=code or None,
        axioms=tuple(outcome.result.axioms) if proved and outcome is not None and outcome.result is not None else (),
        attempts=tuple(outcome.attempts) if outcome is not None else (),
        stats=outcome.stats if outcome is not None else LoopStats(),
        explanation=explanation if explanation is not None else (outcome.explanation if outcome else None),
    )


def unfinished_result(item: object, index: int, explanation: str) -> ItemResult:
    """The explicit `timeout` result of an item a deadline did not let finish; never a success."""
    return make_result(normalize_item(item, index, backend="coq"), "timeout", explanation=explanation)


async def _resolve(norm: NormalizedItem, ctx: RunContext) -> NormalizedItem | ItemResult:
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
        except Exception as exc:  # noqa: BLE001  any failure of the remote LLM is this item's error, not the batch's
            return make_result(norm, "error", explanation=f"formalising with {ctx.llm.model} failed: "
                               f"{type(exc).__name__}: {exc}")
        if not statement:
            return make_result(norm, "error", explanation="the LLM returned no statement to prove")
        norm = with_statement(norm, statement, header)
        return norm.model_copy(update={"metadata": {**norm.metadata, "formalized_statement": statement}})
    return norm


async def prove_item(item: Any, index: int, ctx: RunContext) -> ItemResult:  # noqa: ANN401  a hostile JSON item
    """One item to one result; never raises for bad input or a failed proof."""
    named = item.get("backend") if isinstance(item, dict) else None
    try:
        # a backend that is not a string is the item's own error, which normalize_item names
        backend = choose_backend(named if isinstance(named, str) else None,
                                 ctx.opts.backend, ctx.statuses, _item_text(item), ctx.default_backend)
    except InvalidRequestError as exc:
        norm = normalize_item(item, index, backend="coq")
        return make_result(norm, "error", explanation=str(exc))
    text = _item_text(item)
    if isinstance(text, str) and len(text) > _INLINE_CHARS:  # a long file is read off the event loop
        norm = await asyncio.to_thread(normalize_item, item, index, backend=backend)
    else:
        norm = normalize_item(item, index, backend=backend)
    if norm.kind == "invalid":
        return make_result(norm, "error", explanation=norm.error)
    status = ctx.statuses.get(backend)
    if status is None or not status.available:
        reason = (status.reason if status is not None else None) or INSTALL[backend]
        return make_result(norm, "env_unavailable", explanation=f"the {backend} backend is unavailable here: "
                           f"{reason}; {INSTALL[backend]}")
    resolved = await _resolve(norm, ctx)
    if isinstance(resolved, ItemResult):
        return resolved
    norm = resolved
    assert norm.problem is not None
    checker = await ctx.checker(backend)
    explainer = ctx.llm.explain if ctx.llm is not None and ctx.opts.explain_failures else None
    outcome = await prove_problem(norm.problem, ctx.proposer(norm), checker, ctx.opts.budget,
                                  simple=ctx.opts.simple, explainer=explainer, deadline=ctx.call_deadline)
    return make_result(norm, outcome.status, outcome=outcome)


__all__ = ["INSTALL", "RunContext", "choose_backend", "make_result", "prove_item", "unfinished_result"]
