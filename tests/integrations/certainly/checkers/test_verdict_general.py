"""The statement read with the header, the decls' names as parameters, refuses decls tricks by construction.

Each attack keeps the statement needing the decls (`marker`), so there is no
header-alone reading. With every check of what the decls touch switched off
(the `Locate` comparison, the notation tokens, the typeclass database, the
registries), `Verify.v` still refuses each one: `fun (marker : _) => ...`
read before the decls and applied to the decls' `marker` is not the
statement read with the decls. Real coqc/coqchk.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scillm.integrations.certainly.checkers import verdict_problem
from scillm.integrations.certainly.checkers.verdict import VerdictEngine
from scillm.integrations.certainly.checkers.verdict_general import general_names
from scillm.integrations.certainly.models import Problem
from tests.support.coq_problems import HALF, QEQ, SSR, UNFOLD
from tests.support.coq_problems import MARKER as M

pytestmark = [pytest.mark.needs_coq, pytest.mark.needs_bwrap]

ZS = "Require Import ZArith.\nOpen Scope Z_scope."
REFL = "intros _. reflexivity."


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[VerdictEngine]:
    """A verdict engine of its own (no problem compiled with the checks on), every text check off."""
    monkeypatch.setattr(verdict_problem, "_meaning_change", lambda *a: None)
    monkeypatch.setattr(verdict_problem, "changed_instances", lambda *a: None)
    monkeypatch.setattr(verdict_problem, "relexed", lambda *a: None)
    monkeypatch.setattr(verdict_problem, "inserted_machinery", lambda *a: None)
    monkeypatch.setattr(verdict_problem, "scope_violation", lambda *a: None)
    e = VerdictEngine()
    yield e
    e.close()


@pytest.mark.parametrize(("header", "decls", "statement", "proof"), [
    (SSR, M + 'Notation "p .1" := (snd p) : pair_scope.', "marker -> (0, 1).1 = 1", REFL),
    (SSR, M + 'Notation "f1 \\o f2" := (fun x => f2 (f1 x)) : fun_scope.', "marker -> (S \\o (Nat.mul 2)) 1 = 4",
     REFL),
    (ZS, M + 'Notation "x *- y" := (Z.mul x y) (at level 40, left associativity) : Z_scope.', "marker -> 2 *-1 = 2",
     REFL),
    ("From Coq Require Import ssreflect ssrfun ssrbool.\nFrom mathcomp Require Import ssrnat.", M + 'Notation "n .+1" := (S (S n)) : nat_scope.',
     "marker -> 0.+1 = 2", REFL),
    ("", M + 'Notation "1+1" := 3.', "marker -> 1+1 = 3", REFL),
    (QEQ, M + "Existing Instance eq_equivalence | 0.", HALF, UNFOLD),
    (QEQ, M + "Remove Hints Q_Setoid : typeclass_instances.", HALF, UNFOLD),
    (QEQ, M + 'Definition equiv (x y : Q) : Prop := x = y.\n'
              'Notation " x === y " := (equiv x y) (at level 70, no associativity) : equiv_scope.', HALF, UNFOLD),
    ("From Coq Require Import Uint63 Sint63.", M + "Delimit Scope sint63_scope with uint63.",
     "marker -> ((0 - 1) / 2 = 0)%uint63", REFL),
    ("From Coq Require Import Uint63 Sint63.", M + "Arguments PrimInt63.eqb (_ _)%uint63_scope.",
     "marker -> negb (eqb ((0 - 1) / 2) 0) = true", REFL),
])
def test_with_the_text_checks_off_the_general_reading_still_refuses(engine: VerdictEngine, header: str,
                                                                   decls: str, statement: str, proof: str) -> None:
    v = engine.check(Problem(header=header, decls=decls, statement=statement), proof)
    assert v.status == "rejected" and "names as parameters" in v.message, v


@pytest.mark.parametrize(("decls", "statement", "proof"), [
    (M, "marker -> 2 + 2 = 4", "intros _. reflexivity."),
    ("Fixpoint fib (n : nat) : nat := match n with 0 | 1 => n | S (S k as m) => fib m + fib k end.",
     "fib 10 = 55", "reflexivity."),
    ("Definition idf {A : Type} (x : A) := x.", "idf 2 = 2 /\\ idf true = true", "split; reflexivity."),
    ("Inductive color := red | blue.\nDefinition flip (c : color) := match c with red => blue | blue => red end.",
     "forall c : color, flip (flip c) = c", "intros []; reflexivity."),
])
def test_honest_decls_read_the_same_both_ways(engine: VerdictEngine, decls: str, statement: str,
                                              proof: str) -> None:
    assert engine.check(Problem(decls=decls, statement=statement), proof).status == "proved"


def test_the_parameters_are_the_decls_names_the_statement_uses() -> None:
    decls = "Definition marker := True.\nInductive color := red | blue.\nDefinition unused := 1."
    assert general_names(decls, "marker -> forall c : color, c = red \\/ c = blue (* unused *)") == \
        ["marker", "color", "red", "blue"]


COIN = "Inductive coin := heads | tails.\nDefinition worth (c : coin) : Q := match c with heads => 1#2 | tails => 1#4 end.\n"
ON_HEADS = "forall c : coin, match c with heads => ~ ((1#2) === (2#4))%Q | tails => True end"


@pytest.mark.parametrize(("header", "decls", "statement", "proof"), [
    # A match on a decls constructor, or a name used at no inferable type, has no reading with the names as
    # parameters; with machinery in the decls that alone refuses it.
    (QEQ, "Require Import QArith.\n" + COIN + "Existing Instance eq_equivalence | 0.", ON_HEADS,
     "destruct c. intro H. unfold equiv in H. discriminate H. exact I."),
    (QEQ, M + "Existing Instance eq_equivalence | 0.", "marker = marker -> ~ ((1#2) === (2#4))%Q",
     "intros _ H. unfold equiv in H. discriminate H."),
    ("Require Import QArith.\nOpen Scope Q_scope.", COIN + 'Notation "x %Q" := (~ x) (at level 1, left associativity).',
     "forall c : coin, match c with heads => (worth c == 1#3)%Q | tails => True end",
     "destruct c. intro H. discriminate H. exact I."),
])
def test_a_statement_without_the_parameter_reading_is_refused_when_the_decls_hold_machinery(
        engine: VerdictEngine, header: str, decls: str, statement: str, proof: str) -> None:
    v = engine.check(Problem(header=header, decls=decls, statement=statement), proof)
    assert v.status == "rejected" and "cannot be read with the header" in v.message, v


@pytest.mark.parametrize(("decls", "statement", "proof"), [
    ("Inductive coin := heads | tails.\nDefinition flip c := match c with heads => tails | tails => heads end.",
     "forall c : coin, match c with heads => flip c = tails | tails => flip c = heads end",
     "intros []; reflexivity."),
    ("Definition marker := 0.\nSection S.\nLemma m0 : marker = 0.\nProof. reflexivity. Qed.\nEnd S.",
     "marker = marker", "reflexivity."),
])
def test_without_machinery_the_other_checks_decide(engine: VerdictEngine, decls: str, statement: str,
                                                   proof: str) -> None:
    assert engine.check(Problem(decls=decls, statement=statement), proof).status == "proved"


def test_a_list_match_in_the_decls_is_no_machinery(engine: VerdictEngine) -> None:
    """miniF2F's `mathd_numbertheory_32` shape: `x :: xs` is the list notation, not a field instance."""
    decls = ("Definition divisors (n : nat) : list nat := filter (fun d => Nat.eqb (n mod d) 0) (seq 1 n).\n"
             "Fixpoint sum_list (l : list nat) : nat := match l with [] => 0 | x :: xs => x + sum_list xs end.")
    problem = Problem(header="Require Import Coq.Init.Nat Coq.Lists.List.\nImport ListNotations.", decls=decls,
                      statement="sum_list (divisors 36) = 91")
    assert engine.check(problem, "reflexivity.").status == "proved"
