"""The prove -> repair loop: propose candidates, check them concurrently, repair the best failures.

Runs under a `Budget` (rounds, candidates, checks, seconds). Candidates are
deduplicated after normalisation, checked with `confirm=False` through the
checker (its warm pool and cache) against the problem with the candidate's
trusted `imports` added to its header, and the first one the checker accepts
stops the others. That is only a candidate: it is reported `proved` only when
the final verdict says `proved` — for checkers that offer `verify` (Coq: the
independent, sandboxed re-check of the original statement, with the
candidate's trusted imports), else `checker.confirm()`. A timeout, crash,
protocol fault or missing prover in that verdict is never `proved`. After the
first round a proposer that can step (`search.StepProposer`) drives the
best-first search over goal states; its scripts go through the same check and
verdict. Every check and search step passes the per-loop core gate, and every
wait is bounded by the item's deadline (`max_seconds`, and the call's
`max_total_seconds`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from scillm.integrations.certainly.budget import Budget, default_concurrency
from scillm.integrations.certainly.checkers.base import Checker
from scillm.integrations.certainly.models import CheckResult, Message, Problem
from scillm.integrations.certainly.outcome import (
    Attempt,
    ItemStatus,
    LoopStats,
    ProveOutcome,
    excerpt,
    final_status,
    plain_explanation,
    score_failure,
)
from scillm.integrations.certainly.proposers.base import Candidate, Proposer
from scillm.integrations.certainly.proposers.extract import proof_key
from scillm.integrations.certainly.search.best_first import SearchResult, StepProposer, best_first_search
from scillm.integrations.certainly.search.gate import core_gate
from scillm.integrations.certainly.search.import_guard import ImportGuard
from scillm.integrations.certainly.search.libraries import search_imports, with_imports

_SEARCH_CAP_S = 300.0
_FLAT_BEFORE_SEARCH_MS = 3000

Explainer = Callable[[Problem, str, CheckResult], Awaitable[str | None]]


class _Run:
    """State of one item's search."""

    def __init__(self, problem: Problem, proposer: Proposer, checker: Checker, budget: Budget,
                 call_deadline: float | None = None) -> None:
        self.problem = problem
        self.proposer = proposer
        self.checker = checker
        self.budget = budget
        self.started = time.monotonic()
        ends = [d for d in (self.started + budget.max_seconds if budget.max_seconds else None, call_deadline) if d]
        self.deadline = min(ends) if ends else None
        self.seen: set[str] = set()
        self.attempts: list[Attempt] = []
        self.failures: list[tuple[float, int, str, CheckResult]] = []
        self.repaired: set[str] = set()
        self.carry: list[Candidate] = []
        self.stats = LoopStats()
        self.next_id = 0
        self.env_problem: CheckResult | None = None
        self.header_problem: CheckResult | None = None
        self.guard = ImportGuard(problem, self._probe)
        self.used_imports: dict[str, tuple[str, ...]] = {}
        self.searches = (budget.search and problem.backend == "coq" and isinstance(proposer, StepProposer)
                         and not getattr(proposer, "tactics_only", False))
        self.searched = False

    def remaining_s(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def hard_left_s(self) -> float | None:
        """Time left before the hard end: the deadline plus 4% of `max_seconds` for the winner's last check."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline + 0.04 * (self.budget.max_seconds or 0.0) - time.monotonic())

    def out_of_time(self) -> bool:
        left = self.remaining_s()
        return left is not None and left <= 0

    def checks_left(self) -> int:
        return self.budget.max_total_checks - self.stats.checks

    def fresh(self, candidates: list[Candidate]) -> list[Candidate]:
        out: list[Candidate] = []
        for cand in candidates:
            key = _key(cand, self.problem)
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
            error_class=result.error_class, message=excerpt(result), score=score, cached=result.cached,
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
        limit = self.budget.check_concurrency or default_concurrency()
        gate = asyncio.Semaphore(limit)
        ids = {}
        for cand in batch:
            ids[id(cand)] = self.next_id
            self.next_id += 1

        async def one(cand: Candidate) -> tuple[Candidate, CheckResult]:
            async with gate:
                return cand, await self.check(cand)

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
                self.seen.difference_update(_key(c, self.problem) for c in self.carry)
        return winner

    async def target(self, cand: Candidate) -> Problem | CheckResult:
        """The problem this candidate is checked against: with the largest meaning-preserving part of its imports."""
        if not cand.imports or self.problem.backend != "coq":
            return self.problem
        try:
            imports = await self.guard.safe(cand.imports)
        except ValueError as exc:
            return CheckResult(ok=False, status="rejected", error_class="forbidden",
                               messages=[Message(severity="error", text=str(exc))])
        self.used_imports[_key(cand, self.problem)] = imports
        return with_imports(self.problem, imports)

    def check_timeout_ms(self, limit_ms: int) -> int:
        """`limit_ms` cut to the time left before the deadline (at least 1 ms)."""
        left = self.remaining_s()
        return limit_ms if left is None else max(1, min(limit_ms, int(left * 1000)))

    async def _probe(self, probe: Problem, proof: str) -> CheckResult:
        timeout = self.check_timeout_ms(self.budget.timeout_ms_per_check)
        return await self.checker.check(probe, proof, timeout_ms=timeout, confirm=False)

    async def check(self, cand: Candidate) -> CheckResult:
        """One warm check (no confirm) under the core gate, its timeout cut to the time left."""
        timeout = self.budget.timeout_ms_per_check
        if self.searches and not self.searched:
            timeout = min(timeout, _FLAT_BEFORE_SEARCH_MS)

        async def _one() -> CheckResult:
            target = await self.target(cand)
            if isinstance(target, CheckResult):
                return target
            return await self.checker.check(target, cand.proof, timeout_ms=self.check_timeout_ms(timeout),
                                            confirm=False)

        try:
            async with core_gate():
                return await asyncio.wait_for(_one(), self.hard_left_s())
        except asyncio.TimeoutError:
            return CheckResult(ok=False, status="timeout", error_class="timeout",
                               messages=[Message(severity="error", text="the check ran past the deadline")])

    async def confirm(self, round_no: int, cand: Candidate, result: CheckResult) -> CheckResult:

        async def _both() -> CheckResult:
            target = await self.target(cand)
            if isinstance(target, CheckResult):
                return target
            verify = getattr(self.checker, "verify", None)
            if callable(verify):
                imports = self.used_imports.get(_key(cand, self.problem), ())
                verdict: CheckResult = await verify(self.problem, cand.proof, tuple(imports))
                return verdict
            return await self.checker.confirm(target, cand.proof)

        try:
            async with core_gate():
                confirmed = await asyncio.wait_for(_both(), self.hard_left_s())
        except asyncio.TimeoutError:
            confirmed = CheckResult(ok=False, status="timeout", error_class="timeout",
                                    messages=[Message(severity="error", text="confirmation ran past the deadline")])
        if confirmed.ok and confirmed.status != "proved":
            confirmed = confirmed.model_copy(update={"ok": False})
        if not result.cached and not confirmed.cached:
            self.stats.checker_ms = round(self.stats.checker_ms + confirmed.time_ms, 3)
        if not confirmed.ok:
            attempt = self.attempts[-1] if self.attempts and self.attempts[-1].proof == cand.proof else None
            if attempt is not None:
                attempt.status = confirmed.status
                attempt.error_class = confirmed.error_class
                attempt.message = excerpt(confirmed)
        return confirmed

    async def search(self, round_no: int) -> tuple[Candidate, CheckResult] | None:
        """Best-first search driven by the proposer; its first script that checks and confirms wins."""
        assert isinstance(self.proposer, StepProposer)
        proposer: StepProposer = self.proposer
        imports = await self.guard.safe(search_imports(self.problem))
        left = self.remaining_s()
        reserve = 0.0 if left is None else min(3.0, 0.1 * (self.budget.max_seconds or left))
        deadline = time.monotonic() + (_SEARCH_CAP_S if left is None else max(0.0, left - reserve))
        won: list[tuple[Candidate, CheckResult]] = []

        async def verify(proof: str) -> bool:
            cand = Candidate(proof=proof, origin=f"search:{proposer.name}", imports=imports)
            key = _key(cand, self.problem)
            if key in self.seen or self.checks_left() <= 0:
                return False
            self.seen.add(key)
            cid = self.next_id
            self.next_id += 1
            checked = await self.check(cand)
            self.record(round_no, cand, cid, checked)
            if not checked.ok:
                return False
            confirmed = await self.confirm(round_no, cand, checked)
            if confirmed.ok:
                won.append((cand, confirmed))
            return confirmed.ok

        self.searched = True
        found: SearchResult = await best_first_search(self.problem, [proposer], deadline=deadline, imports=imports,
                                                      verify=verify)
        self.stats.search_steps += found.attempts
        self.stats.search_states += found.states
        return won[0] if won else None


def _key(cand: Candidate, problem: Problem) -> str:
    return proof_key(cand.proof, problem.backend) + ("|" + ",".join(cand.imports) if cand.imports else "")


def _proved(run: _Run, cand: Candidate, confirmed: CheckResult) -> ProveOutcome:
    run.stats.time_ms = round((time.monotonic() - run.started) * 1000, 3)
    return ProveOutcome(status="proved", proof=cand.proof, result=confirmed, attempts=run.attempts,
                        stats=run.stats, imports=run.used_imports.get(_key(cand, run.problem), ()))


async def _verdict_hook(checker: Checker, name: str, problem: Problem) -> None:
    """Call the checker's optional verdict hook: `prefetch_verdict` (start the verdict's work so it overlaps the
    search) or `release_verdict` (stop it when the search ended without a verdict).

    Only a speed-up, so a fault is dropped; the verdict does its own work when
    it finds nothing prepared.
    """
    hook = getattr(checker, name, None)
    if hook is None:
        return
    with contextlib.suppress(Exception):
        await asyncio.to_thread(hook, problem)


async def prove_problem(
    problem: Problem,
    proposer: Proposer,
    checker: Checker,
    budget: Budget | None = None,
    *,
    simple: bool = False,
    explainer: Explainer | None = None,
    deadline: float | None = None,
) -> ProveOutcome:
    """Search for a proof of `problem` within `budget` (and the call's monotonic `deadline`); never raises."""
    budget = budget or Budget()
    run = _Run(problem, proposer, checker, budget, deadline)
    run.searches = run.searches and not simple
    rounds = 1 if simple else budget.max_rounds
    error: str | None = None
    try:
        await _verdict_hook(checker, "prefetch_verdict", problem)
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
                if confirmed.ok:
                    return _proved(run, won[0], confirmed)
            if run.env_problem is not None or run.header_problem is not None:
                break
            if round_no == 1 and run.searches and not simple and not run.out_of_time():
                found = await run.search(round_no)
                if found is not None:
                    return _proved(run, *found)
    except Exception as exc:  # noqa: BLE001  fault boundary: a proposer (LLM API) or checker fault becomes this item's error result
        error = f"{type(exc).__name__}: {exc}"
    await _verdict_hook(checker, "release_verdict", problem)
    run.stats.time_ms = round((time.monotonic() - run.started) * 1000, 3)
    status: ItemStatus = "error" if error else final_status(
        run.attempts, out_of_time=run.out_of_time(), env_problem=run.env_problem is not None,
        header_problem=run.header_problem is not None)
    explanation = error or plain_explanation(run.attempts, run.env_problem, run.header_problem)
    if explainer is not None and status == "failed" and run.failures:
        best = min(run.failures, key=lambda f: (-f[0], f[1]))
        try:
            explanation = await explainer(problem, best[2], best[3]) or explanation
        except Exception as exc:  # noqa: BLE001  fault boundary: the explanation is advisory; keep the plain one and say why
            explanation = f"{explanation} (LLM explanation unavailable: {type(exc).__name__})"
    best_result = min(run.failures, key=lambda f: (-f[0], f[1]))[3] if run.failures else run.env_problem
    return ProveOutcome(status=status, result=best_result, attempts=run.attempts, stats=run.stats,
                        explanation=explanation, error=error)


__all__ = ["Attempt", "Budget", "ItemStatus", "LoopStats", "ProveOutcome", "prove_problem", "score_failure"]
