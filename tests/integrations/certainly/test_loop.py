"""The prove -> repair loop against the real Coq checker, plus its pure parts (scoring, budget)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from scillm.integrations.certainly.cache import CachingChecker, MemoryCache
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
    from scillm.integrations.certainly.checkers import get_checker

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
    out = await prove_problem(_problem("True", header="Require Import ScillmAbsent.Library."),
                              PortfolioProposer(), coq, Budget())  # type: ignore[arg-type]
    assert out.status == "env_unavailable"
    assert out.stats.checks >= 1
    assert out.explanation and "ScillmAbsent" in out.explanation


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
async def test_broken_header_stops_the_search(coq: object) -> None:
    out = await prove_problem(_problem("True", header="Require Import Arith.\nCheck nonexistent_thing."),
                              PortfolioProposer(), coq, Budget())  # type: ignore[arg-type]
    assert out.status == "error"
    assert out.stats.checks == 1
    assert out.explanation and "header" in out.explanation
