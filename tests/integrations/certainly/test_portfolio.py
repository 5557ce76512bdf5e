"""The offline portfolio: deterministic ranked scripts, import-aware filtering, repairs by error class."""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.models import CheckResult, Message, Problem
from scillm.integrations.certainly.proposers.base import Proposer
from scillm.integrations.certainly.proposers.portfolio import PortfolioProposer, coq_scripts, coq_variables

LIA = "From Coq Require Import Arith Lia."


def _problem(statement: str, header: str = LIA, decls: str = "") -> Problem:
    return Problem(backend="coq", header=header, decls=decls, theorem_name="t", statement=statement,
                   keyword="Theorem")


def _failure(error_class: str, text: str = "Error: boom") -> CheckResult:
    return CheckResult(ok=False, status="failed", error_class=error_class,  # type: ignore[arg-type]
                       messages=[Message(severity="error", text=text)])


def test_portfolio_satisfies_the_protocol() -> None:
    assert isinstance(PortfolioProposer(), Proposer)


def test_same_problem_same_ranked_list_with_decision_procedures_first() -> None:
    p = _problem("forall n m : nat, n + m = m + n")
    first, second = coq_scripts(p), coq_scripts(p)
    assert first == second
    assert first[0] == "lia."
    assert len(first) == len(set(first))
    assert any(s.startswith("intros; induction n;") for s in first)
    assert any("induction m" in s for s in first)


def test_scripts_needing_missing_imports_are_dropped() -> None:
    bare = coq_scripts(_problem("forall n : nat, n + 0 = n", header=""))
    assert not any("lia" in s.split() or "lia." in s for s in bare)
    assert "auto." in bare
    reals = coq_scripts(_problem("forall x : R, x + 0 = x", header="Require Import Reals Lra."))
    assert "lra." in reals


async def test_decision_procedures_stay_in_reach_through_imports() -> None:
    bare = _problem("forall n : nat, n + 0 = n", header="")
    proposer = PortfolioProposer()
    cands = await proposer.propose(bare, 50)
    assert "lia." in [c.proof for c in cands]
    assert all("Coq.micromega.Lia" in c.imports and "Coq.micromega.Lra" in c.imports for c in cands)
    repairs = await proposer.repair(bare, "simpl.", _failure("unsolved_goals"), 8)
    assert any("lia" in c.proof for c in repairs) and all(c.imports == cands[0].imports for c in repairs)


def test_binders_are_found_for_induction() -> None:
    assert coq_variables("forall (A : Type) (l1 l2 : list A), length (l1 ++ l2) = 0") == ["A", "l1", "l2"]
    assert coq_variables("forall n m : nat, n = m") == ["n", "m"]
    assert coq_variables("2 + 2 = 4") == []


def test_decls_definitions_are_unfolded() -> None:
    p = _problem("forall n, f n > n", decls="Definition f (n : nat) := n + 1.")
    scripts = coq_scripts(p)
    assert "intros; unfold f in *; lia." in scripts
    assert scripts.index("intros; unfold f in *; lia.") < 12


async def test_propose_walks_down_the_list_without_repeats() -> None:
    p = _problem("forall n : nat, n = n")
    proposer = PortfolioProposer()
    a = await proposer.propose(p, 3)
    b = await proposer.propose(p, 3)
    ranked = coq_scripts(p, proposer.imports(p))
    assert [c.proof for c in a] == ranked[:3]
    assert [c.proof for c in b] == ranked[3:6]
    assert all(c.origin == "portfolio" for c in a + b)


async def test_item_tactics_extend_or_restrict() -> None:
    p = _problem("forall n : nat, n = n")
    extended = PortfolioProposer(["reflexivity", "my_tac."])
    got = [c.proof for c in await extended.propose(p, 3)]
    assert got == ["reflexivity.", "my_tac.", "lia."]
    only = PortfolioProposer(["reflexivity"], tactics_only=True)
    assert [c.proof for c in await only.propose(p, 10)] == ["reflexivity."]
    assert await only.repair(p, "reflexivity.", _failure("tactic_failed"), 4) == []


async def test_repairs_follow_the_error_class() -> None:
    p = _problem("forall n : nat, n + 0 = n")
    proposer = PortfolioProposer()
    unsolved = [c.proof for c in await proposer.repair(p, "simpl.", _failure("unsolved_goals"), 20)]
    assert "simpl; auto." in unsolved
    assert "simpl; lia." in unsolved
    failed = [c.proof for c in await proposer.repair(p, "reflexivity.", _failure("tactic_failed"), 20)]
    assert "intros; reflexivity." in failed
    assert any(s.startswith("intros; induction n;") for s in failed)
    unknown = [c.proof for c in await proposer.repair(p, "intros; nia.", _failure("unknown_identifier"), 20)]
    assert "intros; lia." in unknown
    repairs = await proposer.repair(p, "simpl.", _failure("unsolved_goals"), 2)
    assert len(repairs) == 2
    assert all(c.origin == "portfolio:repair:unsolved_goals" for c in repairs)


@pytest.mark.parametrize("n", [0, -1])
async def test_non_positive_n_gives_nothing(n: int) -> None:
    assert await PortfolioProposer().propose(_problem("True"), n) == []
