"""The prove -> repair loop against the real Coq checker, plus its pure parts (scoring, budget)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from scillm.integrations.certainly.cache import CachingChecker, MemoryCache
from scillm.integrations.certainly.checkers import get_checker
from scillm.integrations.certainly.checkers.coq import CoqChecker
from scillm.integrations.certainly.checkers.coq_session import CoqBinaries, find_coq
from scillm.integrations.certainly.engine import arun_items
from scillm.integrations.certainly.loop import Budget, prove_problem, score_failure
from scillm.integrations.certainly.models import CheckResult, Message, Problem
from scillm.integrations.certainly.proposers.base import Candidate
from scillm.integrations.certainly.proposers.portfolio import PortfolioProposer

LIA = "From Coq Require Import Arith Lia."


def _problem(statement: str, header: str = LIA) -> Problem:
    return Problem(backend="coq", header=header, decls="", theorem_name="t", statement=statement,
                   keyword="Theorem")


def _result(error_class: str, text: str = "Error: x", goals: int = 0) -> CheckResult:
    return CheckResult(ok=False, status="failed", error_class=error_class,  # type: ignore[arg-type]
                       messages=[Message(severity="error", text=text)], goals=["g"] * goals)


def test_failure_scores_follow_the_documented_order() -> None:
    order = ["unsolved_goals", "tactic_failed", "type_mismatch", "unknown_identifier", "parse_error", "other"]
    scores = [score_failure(_result(c), "simpl.") for c in order]
    assert scores == sorted(scores, reverse=True)
    assert score_failure(_result("tactic_failed", "Error: short"), "simpl.") > \
        score_failure(_result("tactic_failed", "Error: " + "long " * 60), "simpl.")
    assert score_failure(_result("tactic_failed"), "lia.") > score_failure(_result("tactic_failed"), "simpl.")
    assert score_failure(_result("unsolved_goals", goals=1), "x.") > score_failure(_result("unsolved_goals", goals=3), "x.")


def test_budget_is_validated() -> None:
    with pytest.raises(ValidationError):
        Budget(max_rounds=0)
    with pytest.raises(ValidationError):
        Budget(surprise=1)  # type: ignore[call-arg]


class _Scripted:
    """A proposer that returns fixed candidates (duplicates included), to observe dedupe and rounds."""

    name = "scripted"
    model = None

    def __init__(self, rounds: list[list[str]]) -> None:
        self.rounds = rounds
        self.repairs: list[tuple[str, str | None]] = []

    async def propose(self, problem: Problem, n: int) -> list[Candidate]:
        return [Candidate(proof=p, origin="scripted") for p in (self.rounds.pop(0) if self.rounds else [])]

    async def repair(self, problem: Problem, failed_proof: str, check_result: CheckResult, n: int) -> list[Candidate]:
        self.repairs.append((failed_proof, check_result.error_class))
        return []


@pytest.fixture(scope="module")
def coq() -> Iterator[object]:

    checker = get_checker("coq")
    yield checker
    checker.close()  # type: ignore[attr-defined]


@pytest.mark.needs_coq
async def test_provable_statement_is_proved_and_confirmed(coq: object) -> None:
    out = await prove_problem(_problem("forall n m : nat, n + m = m + n"), PortfolioProposer(), coq,  # type: ignore[arg-type]
                              Budget(check_concurrency=1))
    assert out.status == "proved"
    assert out.proof == "lia."
    assert out.result is not None and out.result.ok and "Theorem t" in out.result.code
    assert out.stats.checks == 1 and out.stats.rounds == 1
    assert out.attempts[0].status == "proved" and out.attempts[0].score is None


@pytest.mark.needs_coq
async def test_unprovable_statement_fails_with_repair_rounds_visible(coq: object) -> None:
    out = await prove_problem(_problem("forall n : nat, n * 0 = 1"), PortfolioProposer(), coq,  # type: ignore[arg-type]
                              Budget(max_rounds=3, candidates_per_round=4, repairs_per_round=1))
    assert out.status == "failed"
    assert out.stats.rounds == 3
    assert {a.round for a in out.attempts} == {1, 2, 3}
    assert any(a.origin.startswith("portfolio:repair:") for a in out.attempts)
    assert all(a.status == "failed" and a.error_class and a.message for a in out.attempts)
    assert out.explanation and "failed" in out.explanation
    assert len({a.proof for a in out.attempts}) == len(out.attempts)


@pytest.mark.needs_coq
async def test_duplicates_are_checked_once_and_failures_are_repaired(coq: object) -> None:
    proposer = _Scripted([["reflexivity.", "reflexivity .", "(* c *) reflexivity."], ["simpl."]])
    out = await prove_problem(_problem("forall n : nat, n + 0 = n"), proposer, coq,  # type: ignore[arg-type]
                              Budget(max_rounds=2, candidates_per_round=3, check_concurrency=1))
    assert [a.proof for a in out.attempts] == ["reflexivity.", "simpl."]
    assert proposer.repairs == [("simpl.", "unsolved_goals"), ("reflexivity.", "type_mismatch")]


@pytest.mark.needs_coq
async def test_budget_caps_total_checks(coq: object) -> None:
    out = await prove_problem(_problem("forall n : nat, n * 0 = 1"), PortfolioProposer(), coq,  # type: ignore[arg-type]
                              Budget(max_rounds=10, candidates_per_round=4, max_total_checks=6))
    assert out.status == "failed"
    assert out.stats.checks == 6


@pytest.mark.needs_coq
async def test_simple_mode_checks_one_candidate(coq: object) -> None:
    out = await prove_problem(_problem("forall n : nat, n * 0 = 1"), PortfolioProposer(), coq,  # type: ignore[arg-type]
                              Budget(), simple=True)
    assert out.status == "failed" and out.stats.checks == 1 and out.stats.rounds == 1


@pytest.mark.needs_coq
async def test_forbidden_candidate_is_never_the_winner(coq: object) -> None:
    proposer = _Scripted([["admit.", "Admitted.", "exact I."]])
    out = await prove_problem(_problem("True"), proposer, coq, Budget(max_rounds=1))  # type: ignore[arg-type]
    assert out.status == "proved" and out.proof == "exact I."
    cheats = [a for a in out.attempts if a.proof != "exact I."]
    assert cheats and all(a.status in ("rejected", "failed") for a in cheats)


@pytest.mark.needs_coq
async def test_only_cheats_means_not_proved(coq: object) -> None:
    proposer = _Scripted([["Admitted.", "admit."]])
    out = await prove_problem(_problem("1 = 2"), proposer, coq, Budget(max_rounds=1))  # type: ignore[arg-type]
    assert out.status in ("rejected", "failed")
    assert out.proof is None


@pytest.mark.needs_coq
async def test_missing_library_is_env_unavailable(coq: object) -> None:
    # A library name no package can provide, so the test does not depend on what is installed.
    header = "Require Import ScillmNoSuchLibrary_7f3a.Absent."
    out = await prove_problem(_problem("True", header=header), PortfolioProposer(), coq, Budget())  # type: ignore[arg-type]
    assert out.status == "env_unavailable"
    assert out.stats.checks >= 1
    assert out.explanation and "ScillmNoSuchLibrary_7f3a" in out.explanation


@pytest.mark.needs_coq
async def test_repeated_run_is_answered_from_the_cache(coq: object) -> None:
    cached = CachingChecker(coq, MemoryCache())  # type: ignore[arg-type]
    problem = _problem("forall n : nat, n * 0 = 1")
    budget = Budget(max_rounds=2, candidates_per_round=3)
    first = await prove_problem(problem, PortfolioProposer(), cached, budget)
    second = await prove_problem(problem, PortfolioProposer(), cached, budget)
    assert first.stats.cache_hits == 0
    assert second.stats.checks == first.stats.checks
    assert second.stats.cache_hits == second.stats.checks
    assert all(a.cached for a in second.attempts)


@pytest.mark.needs_coq
async def test_every_check_crashing_is_an_error_not_a_failure() -> None:
    # A real coqtop that the system kills two seconds after it starts (as an OOM killer would):
    # a crash says nothing about the statement, so the item is `error`, never `failed`.

    real = find_coq()
    assert real is not None
    doomed = CoqBinaries(top=("timeout", "-s", "KILL", "2", *real.top), compile=real.compile,
                         version=real.version, major=real.major)
    checker = CoqChecker(binaries=doomed, pool_size=1)
    try:
        proposer = _Scripted([["do 1000000000 idtac; exact I.", "do 999999999 idtac; exact I."]])
        out = await prove_problem(_problem("True", header=""), proposer, checker,  # type: ignore[arg-type]
                                  Budget(max_rounds=1, search=False, check_concurrency=1, max_seconds=60))
    finally:
        checker.close()
    assert [a.status for a in out.attempts] == ["crashed", "crashed"]
    assert out.status == "error" and out.proof is None
    assert out.explanation and "crashed" in out.explanation


@pytest.mark.needs_coq
async def test_broken_header_stops_the_search(coq: object) -> None:
    out = await prove_problem(_problem("True", header="Require Import Arith.\nImport Nonexistent_module."),
                              PortfolioProposer(), coq, Budget())  # type: ignore[arg-type]
    assert out.status == "error"
    assert out.stats.checks == 1
    assert out.explanation and "header" in out.explanation


@pytest.mark.needs_coq
async def test_the_search_finds_what_the_flat_round_cannot(coq: object) -> None:
    out = await prove_problem(_problem("exists n : nat, n * n = 49", header=""), PortfolioProposer(), coq,  # type: ignore[arg-type]
                              Budget(max_seconds=60))
    assert out.status == "proved" and out.proof is not None and "exists (7%nat)" in out.proof
    winner = [a for a in out.attempts if a.status == "proved"]
    assert winner and winner[-1].origin == "search:portfolio"
    assert out.stats.search_steps > 0 and out.imports and "Coq.micromega.Lia" in out.imports


@pytest.mark.needs_coq
async def test_an_import_that_changes_the_statement_is_never_used(coq: object) -> None:
    # With ZArith imported, `Zplus` names Z.add instead of the header's own (false) definition.
    header = "Definition Zplus (a b : nat) : nat := a * b."
    out = await prove_problem(_problem("Zplus 2 3 = Zplus 1 4", header=header), PortfolioProposer(), coq,  # type: ignore[arg-type]
                              Budget(max_seconds=20, max_rounds=2))
    assert out.status != "proved" and out.proof is None
    assert "Coq.ZArith.ZArith" not in out.imports


@pytest.mark.needs_coq
async def test_untrusted_imports_are_rejected(coq: object) -> None:
    class _Importing(_Scripted):
        async def propose(self, problem: Problem, n: int) -> list[Candidate]:
            return [Candidate(proof="exact I.", imports=("Evil.Backdoor",))]

    out = await prove_problem(_problem("True"), _Importing([]), coq, Budget(max_rounds=1))  # type: ignore[arg-type]
    assert out.status == "rejected"
    assert out.attempts[0].status == "rejected" and "not a trusted library" in (out.attempts[0].message or "")


class _Recording:
    """The real checker, recording when each check was asked for and the time limit it was given."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = "coq"
        self.calls: list[tuple[float, int]] = []

    async def check(self, problem: Problem, proof: str, **kw: object) -> CheckResult:

        timeout_ms = kw.get("timeout_ms")
        assert isinstance(timeout_ms, int), "every loop check passes an explicit time limit"
        self.calls.append((time.monotonic(), timeout_ms))
        return await self.inner.check(problem, proof, **kw)  # type: ignore[attr-defined,no-any-return]

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def latest_end(self) -> float:
        return max(at + ms / 1000 for at, ms in self.calls)


_HARD = "forall x y : nat, x * x * x + y * y * y = 9 * x * y * 7 + 1"


@pytest.mark.needs_coq
async def test_no_check_may_run_past_max_seconds(coq: object) -> None:

    recording = _Recording(coq)
    start = time.monotonic()
    out = await prove_problem(_problem(_HARD), PortfolioProposer(), recording,  # type: ignore[arg-type]
                              Budget(max_seconds=6, max_rounds=10, timeout_ms_per_check=60_000, search=False))
    assert out.status in ("failed", "timeout")
    assert len(recording.calls) >= 2
    assert recording.latest_end() <= start + 6 + 0.05


@pytest.mark.needs_coq
async def test_the_call_deadline_cuts_the_item_budget(coq: object) -> None:

    recording = _Recording(coq)
    start = time.monotonic()
    out = await prove_problem(_problem(_HARD), PortfolioProposer(), recording,  # type: ignore[arg-type]
                              Budget(max_seconds=600, max_rounds=10, timeout_ms_per_check=60_000, search=False),
                              deadline=start + 4)
    assert out.status in ("failed", "timeout")
    assert recording.calls and recording.latest_end() <= start + 4 + 0.05


@pytest.mark.needs_coq
async def test_max_seconds_is_honoured_within_five_percent(coq: object) -> None:

    start = time.monotonic()
    out = await prove_problem(_problem(_HARD), PortfolioProposer(), coq, Budget(max_seconds=8, max_rounds=10))  # type: ignore[arg-type]
    elapsed = time.monotonic() - start
    assert out.status in ("failed", "timeout")
    # The deadlines given to the prover are asserted above; this wall-clock bound has slack for a loaded machine.
    assert elapsed <= 8 * 1.05 + 2.0, elapsed


@pytest.mark.needs_coq
async def test_max_total_seconds_bounds_the_whole_call() -> None:


    items = [{"requirement_text": f"forall x y : nat, x * x * x + y * y * y = {k} * x * y + 1"} for k in (3, 5, 7, 11)]
    start = time.monotonic()
    payload = await arun_items(items, options={"max_seconds": 30, "max_total_seconds": 6, "concurrency": 2,
                                               "cache": False, "explain_failures": False, "backend": "coq"})
    elapsed = time.monotonic() - start
    assert [r["index"] for r in payload["results"]] == [0, 1, 2, 3]
    assert all(r["status"] in ("failed", "timeout") for r in payload["results"])
    assert elapsed <= 6 * 1.05 + 3.0, elapsed


class _Counting:
    """The real checker, with a count of checks in flight (to observe the core gate, not to replace Coq)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = "coq"
        self.in_flight = 0
        self.peak = 0

    async def check(self, problem: Problem, proof: str, **kw: object) -> CheckResult:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await self.inner.check(problem, proof, **kw)  # type: ignore[attr-defined,no-any-return]
        finally:
            self.in_flight -= 1

    async def confirm(self, problem: Problem, proof: str) -> CheckResult:
        return await self.check(problem, proof, confirm=True)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


@pytest.mark.needs_coq
async def test_checks_in_flight_never_exceed_the_cores(coq: object, monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setenv("CERTAINLY_POOL_SIZE", "2")
    counting = _Counting(coq)
    problems = [_problem(f"forall n : nat, n * {k} = n + {k}") for k in (3, 5, 7)]
    budget = Budget(max_rounds=2, candidates_per_round=8, check_concurrency=8, max_seconds=15, search=False)
    outs = await asyncio.gather(*(prove_problem(p, PortfolioProposer(), counting, budget)  # type: ignore[arg-type]
                                  for p in problems))
    assert all(o.status == "failed" for o in outs)
    assert sum(o.stats.checks for o in outs) > 6
    assert counting.peak <= 2


@pytest.mark.needs_coq
async def test_the_verdict_compile_starts_before_the_first_check(coq: object, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real_prefetch, real_check = coq.prefetch_verdict, coq.check  # type: ignore[attr-defined]

    def prefetch(problem: Problem) -> bool:
        order.append("prefetch")
        return bool(real_prefetch(problem))

    async def check(*args: object, **kwargs: object) -> CheckResult:
        order.append("check")
        return await real_check(*args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(coq, "prefetch_verdict", prefetch)
    monkeypatch.setattr(coq, "check", check)
    out = await prove_problem(_problem("forall n m : nat, m + n = n + m"), PortfolioProposer(), coq,  # type: ignore[arg-type]
                              Budget(check_concurrency=1))
    assert out.status == "proved"
    assert order[0] == "prefetch" and "check" in order


@pytest.mark.needs_coq
async def test_a_failing_verdict_prefetch_does_not_fail_the_item(coq: object, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(problem: Problem) -> bool:
        raise OSError("scratch dir unavailable")

    monkeypatch.setattr(coq, "prefetch_verdict", broken)
    out = await prove_problem(_problem("forall n m : nat, n + m = m + n"), PortfolioProposer(), coq,  # type: ignore[arg-type]
                              Budget(check_concurrency=1))
    assert out.status == "proved"
