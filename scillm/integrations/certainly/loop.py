"""The prove -> repair loop: propose candidates, check them concurrently, repair the best failures.

Runs under a `Budget` (rounds, candidates, checks, seconds). Candidates are
deduplicated after normalisation, checked with `confirm=False` through the
checker (its warm pool and cache), and the first one the checker accepts
stops the others. That is only a candidate: it is reported `proved` only when
the final verdict says `proved` — for checkers that offer `verify` (Coq: the
independent, sandboxed re-check of the original statement, with the
candidate's trusted imports), else `checker.confirm()`. A timeout, crash,
protocol fault or missing prover in that verdict is never `proved`.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scillm.integrations.certainly.checkers.base import Checker
from scillm.integrations.certainly.models import CheckResult, Problem
from scillm.integrations.certainly.proposers.base import Candidate, Proposer
from scillm.integrations.certainly.proposers.extract import proof_key

ItemStatus = Literal["proved", "failed", "timeout", "error", "needs_llm", "env_unavailable", "rejected"]

_CLASS_WEIGHT = {
    "unsolved_goals": 50.0, "tactic_failed": 40.0, "type_mismatch": 30.0, "unknown_identifier": 20.0,
    "parse_error": 10.0, "other": 5.0, "timeout": 2.0, "forbidden": -100.0,
}
_KNOWN_GOOD = re.compile(r"\b(?:lia|nia|lra|nra|auto|intuition|firstorder|congruence|ring|field|induction|"
                         r"omega|simp|linarith|norm_num|decide|aesop)\b")
_EXCERPT = 300


class Budget(BaseModel):
    """How much search one item may spend."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_rounds: int = Field(default=4, ge=1, description="Propose/repair rounds.")
    candidates_per_round: int = Field(default=8, ge=1, description="Candidates checked per round.")
    repairs_per_round: int = Field(default=2, ge=0, description="Best failures repaired at the start of each later round.")
    timeout_ms_per_check: int = Field(default=10_000, ge=1, description="Wall-clock limit of one check.")
    max_total_checks: int = Field(default=64, ge=1, description="Checks across all rounds (cache hits included).")
    max_seconds: float | None = Field(default=120.0, gt=0, description="Wall-clock limit for the item.")
    check_concurrency: int | None = Field(default=None, ge=1, description="Checks in flight at once (default: cores).")


class Attempt(BaseModel):
    """One checked candidate, as reported in results."""

    round: int
    candidate_id: int
    proof: str
    origin: str = ""
    status: str
    error_class: str | None = None
    message: str | None = None
    score: float | None = None
    cached: bool = False
    time_ms: float = 0.0


class LoopStats(BaseModel):
    """Counters for one item."""

    rounds: int = 0
    checks: int = 0
    cache_hits: int = 0
    time_ms: float = 0.0
    checker_ms: float = 0.0


class ProveOutcome(BaseModel):
    """What the loop found for one problem."""

    status: ItemStatus
    proof: str | None = None
    result: CheckResult | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    stats: LoopStats = Field(default_factory=LoopStats)
    explanation: str | None = None
    error: str | None = None


Explainer = Callable[[Problem, str, CheckResult], Awaitable[str | None]]


def score_failure(result: CheckResult, proof: str) -> float:
    """Repair priority: unsolved goals > tactic failed > type mismatch > unknown identifier > parse error.

    Within a class, shorter error messages and proofs built from known-good
    tactics score higher; fewer open goals score higher.
    """
    weight = _CLASS_WEIGHT.get(result.error_class or "other", 5.0)
    message = result.first_error or ""
    brevity = 10.0 * (1.0 - min(len(message), 400) / 400.0)
    known = 5.0 if _KNOWN_GOOD.search(proof) else 0.0
    goals = -min(len(result.goals), 5)
    return round(weight + brevity + known + goals, 3)


def _excerpt(result: CheckResult) -> str | None:
    text = result.first_error or (result.messages[0].text if result.messages else None)
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


def _default_concurrency() -> int:
    from scillm.config import env

    raw = env("CERTAINLY_POOL_SIZE")
    return int(raw) if raw and raw.isdigit() and int(raw) > 0 else max(1, os.cpu_count() or 1)


class _Run:
    """State of one item's search."""

    def __init__(self, problem: Problem, proposer: Proposer, checker: Checker, budget: Budget) -> None:
        self.problem = problem
        self.proposer = proposer
        self.checker = checker
        self.budget = budget
        self.started = time.monotonic()
        self.deadline = self.started + budget.max_seconds if budget.max_seconds else None
        self.seen: set[str] = set()
        self.attempts: list[Attempt] = []
        self.failures: list[tuple[float, int, str, CheckResult]] = []
        self.repaired: set[str] = set()
        self.carry: list[Candidate] = []
        self.stats = LoopStats()
        self.next_id = 0
        self.env_problem: CheckResult | None = None
        self.header_problem: CheckResult | None = None

    def remaining_s(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def out_of_time(self) -> bool:
        left = self.remaining_s()
        return left is not None and left <= 0

    def checks_left(self) -> int:
        return self.budget.max_total_checks - self.stats.checks

    def fresh(self, candidates: list[Candidate]) -> list[Candidate]:
        out: list[Candidate] = []
        for cand in candidates:
            key = proof_key(cand.proof, self.problem.backend)
            if not cand.proof.strip() or key in self.seen:
                continue
            self.seen.add(key)
            out.append(cand)
        return out

    async def gather_candidates(self, round_no: int, simple: bool) -> list[Candidate]:
        want = 1 if simple else self.budget.candidates_per_round
        batch = self.fresh(self.carry)
        self.carry = []
        if round_no > 1 and not simple and self.budget.repairs_per_round:
            ranked = sorted((f for f in self.failures if f[2] not in self.repaired), key=lambda f: (-f[0], f[1]))
            top = ranked[: self.budget.repairs_per_round]
            per = max(1, (want // 2) // max(1, len(top)))
            for _, _, proof, result in top:
                self.repaired.add(proof)
                batch += self.fresh(await self.proposer.repair(self.problem, proof, result, per))
        tries = 0
        while len(batch) < want and tries < 3:
            got = await self.proposer.propose(self.problem, want - len(batch))
            if not got:
                break
            batch += self.fresh(got)
            tries += 1
        return batch[: min(max(want, len(batch)), self.checks_left())]

    def record(self, round_no: int, cand: Candidate, cid: int, result: CheckResult) -> Attempt:
        self.stats.checks += 1
        if result.cached:
            self.stats.cache_hits += 1
        else:
            self.stats.checker_ms = round(self.stats.checker_ms + result.time_ms, 3)
        score = None if result.ok else score_failure(result, cand.proof)
        attempt = Attempt(
            round=round_no, candidate_id=cid, proof=cand.proof, origin=cand.origin, status=result.status,
            error_class=result.error_class, message=_excerpt(result), score=score, cached=result.cached,
            time_ms=round(result.time_ms, 3),
        )
        self.attempts.append(attempt)
        if result.status in {"failed", "crashed"} and score is not None:
            self.failures.append((score, cid, cand.proof, result))
        if result.status == "env_unavailable":
            self.env_problem = result
        elif not result.ok and (result.first_error or "").startswith("header:"):
            self.header_problem = result
        return attempt

    async def check_round(self, round_no: int, batch: list[Candidate]) -> tuple[Candidate, CheckResult] | None:
        """Check `batch` concurrently; the first accepted candidate wins and the rest are cancelled."""
        limit = self.budget.check_concurrency or _default_concurrency()
        gate = asyncio.Semaphore(limit)
        ids = {}
        for cand in batch:
            ids[id(cand)] = self.next_id
            self.next_id += 1

        async def one(cand: Candidate) -> tuple[Candidate, CheckResult]:
            async with gate:
                left = self.remaining_s()
                timeout = self.budget.timeout_ms_per_check
                if left is not None:
                    timeout = max(1, min(timeout, int(left * 1000)))
                return cand, await self.checker.check(self.problem, cand.proof, timeout_ms=timeout, confirm=False)

        tasks = {asyncio.ensure_future(one(c)): c for c in batch}
        winner: tuple[Candidate, CheckResult] | None = None
        try:
            pending = set(tasks)
            while pending and winner is None:
                left = self.remaining_s()
                done, pending = await asyncio.wait(pending, timeout=left, return_when=asyncio.FIRST_COMPLETED)
                if not done:
                    break
                for task in sorted(done, key=lambda t: ids[id(tasks[t])]):
                    cand, result = task.result()
                    self.record(round_no, cand, ids[id(cand)], result)
                    if result.ok and winner is None:
                        winner = (cand, result)
                if self.env_problem is not None or self.header_problem is not None:
                    break
        finally:
            unfinished = [t for t in tasks if not t.done()]
            for task in unfinished:
                task.cancel()
            if unfinished:
                await asyncio.gather(*unfinished, return_exceptions=True)
            if winner is not None:
                self.carry = [tasks[t] for t in unfinished]
                self.seen.difference_update(proof_key(c.proof, self.problem.backend) for c in self.carry)
        return winner

    async def confirm(self, round_no: int, cand: Candidate, result: CheckResult) -> CheckResult:
        verify = getattr(self.checker, "verify", None)
        if callable(verify):
            imports = tuple(getattr(cand, "imports", ()) or ())
            confirmed: CheckResult = await verify(self.problem, cand.proof, imports)
        else:
            confirmed = await self.checker.confirm(self.problem, cand.proof)
        if not result.cached and not confirmed.cached:
            self.stats.checker_ms = round(self.stats.checker_ms + confirmed.time_ms, 3)
        if not confirmed.ok:
            attempt = self.attempts[-1] if self.attempts and self.attempts[-1].proof == cand.proof else None
            if attempt is not None:
                attempt.status = confirmed.status
                attempt.error_class = confirmed.error_class
                attempt.message = _excerpt(confirmed)
        return confirmed


def _final_status(run: _Run) -> ItemStatus:
    if run.env_problem is not None:
        return "env_unavailable"
    if run.header_problem is not None:
        return "error"
    statuses = {a.status for a in run.attempts}
    if not statuses:
        return "timeout" if run.out_of_time() else "failed"
    if statuses == {"timeout"} or (run.out_of_time() and statuses <= {"timeout", "crashed"}):
        return "timeout"
    if statuses == {"rejected"}:
        return "rejected"
    return "failed"


def _plain_explanation(run: _Run) -> str | None:
    if run.env_problem is not None:
        return _excerpt(run.env_problem) or "the prover cannot load this problem's imports here"
    if run.header_problem is not None:
        return f"the header or decls do not load, so no proof can check: {_excerpt(run.header_problem)}"
    if not run.attempts:
        return "no candidate was checked within the budget"
    best = max(run.attempts, key=lambda a: a.score if a.score is not None else -1e9)
    reason = best.message or best.status
    return f"{len(run.attempts)} candidates failed; the most promising (`{best.proof}`) ended with: {reason}"


async def prove_problem(
    problem: Problem,
    proposer: Proposer,
    checker: Checker,
    budget: Budget | None = None,
    *,
    simple: bool = False,
    explainer: Explainer | None = None,
) -> ProveOutcome:
    """Search for a proof of `problem` within `budget`; never raises for a failed search."""
    budget = budget or Budget()
    run = _Run(problem, proposer, checker, budget)
    rounds = 1 if simple else budget.max_rounds
    error: str | None = None
    try:
        for round_no in range(1, rounds + 1):
            if run.out_of_time() or run.checks_left() <= 0:
                break
            batch = await run.gather_candidates(round_no, simple)
            if not batch:
                break
            run.stats.rounds = round_no
            won = await run.check_round(round_no, batch)
            if won is not None:
                confirmed = await run.confirm(round_no, *won)
                if confirmed.ok and confirmed.status == "proved":
                    run.stats.time_ms = round((time.monotonic() - run.started) * 1000, 3)
                    return ProveOutcome(status="proved", proof=won[0].proof, result=confirmed,
                                        attempts=run.attempts, stats=run.stats)
            if run.env_problem is not None or run.header_problem is not None:
                break
    except Exception as exc:  # a proposer (LLM API) or checker fault becomes this item's error result
        error = f"{type(exc).__name__}: {exc}"
    run.stats.time_ms = round((time.monotonic() - run.started) * 1000, 3)
    status: ItemStatus = "error" if error else _final_status(run)
    explanation = error or _plain_explanation(run)
    if explainer is not None and status == "failed" and run.failures:
        best = min(run.failures, key=lambda f: (-f[0], f[1]))
        try:
            explanation = await explainer(problem, best[2], best[3]) or explanation
        except Exception as exc:  # the explanation is advisory; keep the plain one and say why
            explanation = f"{explanation} (LLM explanation unavailable: {type(exc).__name__})"
    best_result = min(run.failures, key=lambda f: (-f[0], f[1]))[3] if run.failures else run.env_problem
    return ProveOutcome(status=status, result=best_result, attempts=run.attempts, stats=run.stats,
                        explanation=explanation, error=error)


__all__ = ["Attempt", "Budget", "ItemStatus", "LoopStats", "ProveOutcome", "prove_problem", "score_failure"]
