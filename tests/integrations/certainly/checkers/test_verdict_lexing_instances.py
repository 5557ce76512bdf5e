"""Decls that re-lex header notations, pick another header instance or hide behind locality (real coqc/coqchk).

`marker` makes each statement need the decls, so it cannot be re-read with
the header alone; every attack keeps each name's `Locate` answer (or adds a
token the statement's words never located) and came back `proved` before.
"""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.decls_tokens import notation_terminals, relexed
from scillm.integrations.certainly.checkers.split import split_file
from scillm.integrations.certainly.checkers.verdict import independent_verdict
from scillm.integrations.certainly.checkers.verdict_result import Verdict
from scillm.integrations.certainly.models import Problem
from tests.support.coq_problems import HALF, QEQ, SSR, UNFOLD
from tests.support.coq_problems import MARKER as M

pytestmark = [pytest.mark.needs_coq, pytest.mark.needs_bwrap]


def _refused_for_meaning(v: Verdict) -> bool:
    """Rejected for what the decls do to the statement's reading, not for a malformed problem."""
    return v.status == "rejected" and any(w in v.message for w in ("meaning", "token", "instance", "400"))


@pytest.mark.parametrize(("header", "decls", "statement", "proof"), [
    (SSR, M + 'Notation "p .1" := (snd p) : pair_scope.', "marker -> (0, 1).1 = 1", "intros _. reflexivity."),
    ("From Coq Require Import ssreflect ssrfun ssrbool.\nFrom mathcomp Require Import ssrnat.", M + 'Notation "n .+1" := (S (S n)) : nat_scope.',
     "marker -> 0.+1 = 2", "intros _. reflexivity."),
    (SSR, M + 'Notation "f1 \\o f2" := (fun x => f2 (f1 x)) : fun_scope.', "marker -> (S \\o (Nat.mul 2)) 1 = 4",
     "intros _. reflexivity."),
    ("Require Import ZArith.\nOpen Scope Z_scope.",
     M + 'Notation "x * - y" := (Z.mul x y) (at level 40, left associativity) : Z_scope.', "marker -> 2 *-1 = 2",
     "intros _. reflexivity."),
    ("Require Import ZArith.\nOpen Scope Z_scope.",
     M + 'Notation "x *- y" := (Z.mul x y) (at level 40, left associativity) : Z_scope.', "marker -> 2 *-1 = 2",
     "intros _. reflexivity."),
    (QEQ, M + 'Definition equiv (x y : Q) : Prop := x = y.\n'
              'Notation " x === y " := (equiv x y) (at level 70, no associativity) : equiv_scope.', HALF, UNFOLD),
    ("", M + 'Notation "1+1" := 3.', "marker -> 1+1 = 3", "intros _. reflexivity."),
    ("Require Import Reals.\nOpen Scope R_scope.", M + 'Notation "1+1" := 3%R.', "marker -> 1+1 = 3",
     "intros _. reflexivity."),
])
def test_decls_notations_that_re_lex_header_tokens_are_not_proved(header: str, decls: str, statement: str,
                                                                   proof: str) -> None:
    v = independent_verdict(Problem(header=header, decls=decls, statement=statement), proof)
    assert _refused_for_meaning(v), v


@pytest.mark.parametrize("decls", [
    M + "Existing Instance eq_equivalence | 0.",
    M + "#[export] Hint Resolve eq_equivalence | 0 : typeclass_instances.",
    M + "Remove Hints Q_Setoid : typeclass_instances.",
    M + "#[export] Instance Q_Setoid : Equivalence (@eq Q) | 0 := eq_equivalence.",
])
def test_decls_that_change_which_header_instance_is_found_are_not_proved(decls: str) -> None:
    proof = UNFOLD if "Instance Q_Setoid" not in decls else "intros _ H. unfold equiv, Q_Setoid, eq_equivalence in H. " \
                                                            "discriminate H."
    v = independent_verdict(Problem(header=QEQ, decls=decls, statement=HALF), proof)
    assert _refused_for_meaning(v), v


def test_many_words_do_not_push_a_changed_name_out_of_the_check() -> None:
    binders = " ".join(f"x{i}" for i in range(400))
    problem = Problem(header="Require Import QArith.", decls=M + "Definition Qred (q : Q) : Q := 0.",
                      statement=f"marker -> forall {binders} : nat, Qred (2#4) = 0")
    v = independent_verdict(problem, "intros. reflexivity.")
    assert _refused_for_meaning(v), v


LOCAL_IN_MODULE = "Definition val := 2.\nModule M.\nLocal Definition val := 3.\nEnd M.\nImport M."


@pytest.mark.parametrize("local", ["Local Definition val := 3.", "#[local] Definition val := 3."])
def test_locality_inside_a_decls_module_is_compiled_as_written(local: str) -> None:
    decls = LOCAL_IN_MODULE.replace("Local Definition val := 3.", local)
    assert independent_verdict(Problem(decls=decls, statement="val = 3"), "reflexivity.").status == "failed"
    whole = split_file(decls + "\nTheorem main : val = 3.\nProof.\nAdmitted.\n")
    v = independent_verdict(whole.problem, "reflexivity.")
    assert v.status == "failed", v
    assert independent_verdict(Problem(decls=decls, statement="val = 2"), "reflexivity.").status == "proved"


@pytest.mark.parametrize(("header", "decls", "statement", "proof"), [
    # A token no header notation uses, read in the decls' own scope.
    ("", M + 'Notation "x ⊕ y" := (x + y) (at level 50, left associativity).', "marker -> 2 ⊕ 2 = 4",
     "intros _. reflexivity."),
    ("Require Import Coq.Classes.Equivalence.", "Class Size (A : Type) := size : A -> nat.\n#[export] Instance size_nat : Size nat := fun n => n.",
     "@size nat size_nat 3 = 3", "reflexivity."),
    (QEQ, M, "marker -> ((1#2) === (2#4))%Q", "intros _. reflexivity."),
])
def test_decls_notations_and_instances_of_their_own_are_proved(header: str, decls: str, statement: str,
                                                              proof: str) -> None:
    v = independent_verdict(Problem(header=header, decls=decls, statement=statement), proof)
    assert v.status == "proved", v


def test_terminals_are_read_from_each_kind_of_notation_command() -> None:
    decls = ('Notation "p .1" := (snd p).\nInfix "+++" := app.\nReserved Notation "x <<< y" (at level 70).\n'
             "Notation twice := (fun n => n + n).\nDefinition t := 1.")
    assert notation_terminals(decls) == [".1", "+++", "<<<"]


@pytest.mark.parametrize(("terminal", "statement", "known", "why"), [
    (".1", "(0, 1).1 = 1", {".1"}, "`.1`"),
    ("*-", "2 *-1 = 2", {"*", "-"}, "`*"),
    ("1+1", "1+1 = 3", {"+"}, "digit"),
    ("⊕", "2 ⊕ 2 = 4", set(), None),
    ("<<<", "True", {"<"}, None),  # not in the statement: it cannot change how the statement reads
])
def test_a_terminal_is_refused_when_a_header_token_lies_inside_it(terminal: str, statement: str, known: set[str],
                                                                  why: str | None) -> None:
    got = relexed([terminal], statement, lambda s: s in known)
    assert (got is None) if why is None else (got is not None and why in got), got


@pytest.mark.parametrize(("header", "decls", "statement", "proof"), [
    # `k` is a pattern variable for the header; the decls make it `O`, so 5 falls through to `True`.
    ("", "Notation k := O.\nNotation tru := True.", "tru /\\ match 5 with | S k => False | _ => True end",
     "split; exact I."),
    ("", "Notation \"'k'\" := O.\nNotation tru := True.", "tru /\\ match 5 with | S k => False | _ => True end",
     "split; exact I."),
    ("", M + 'Notation "⟪ok⟫" := True.\nNotation k := O.',
     "marker /\\ ⟪ok⟫ /\\ match 5 with | S k => False | _ => True end", "split; [exact I | split; exact I]."),
    # Coq trims an infix's spaces: the token is `*-`.
    ("Require Import ZArith.\nOpen Scope Z_scope.",
     'Notation tru := True.\nInfix " *- " := Z.mul (at level 40, left associativity) : Z_scope.', "tru -> 2 *-1 = 2",
     "intros _. reflexivity."),
    ("Require Import QArith Coq.Classes.Equivalence.\nOpen Scope equiv_scope.",
     'Notation "⟪ok⟫" := True.\n#[export] Instance my_eq : Equivalence (@eq Q) | 0 := eq_equivalence.',
     "⟪ok⟫ -> my_eq = my_eq -> ~ ((1#2) === (2#4))%Q", "intros _ _ H. discriminate H."),
])
def test_abbreviations_spaced_infixes_and_instances_on_header_types_are_not_proved(header: str, decls: str,
                                                                                   statement: str,
                                                                                   proof: str) -> None:
    v = independent_verdict(Problem(header=header, decls=decls, statement=statement), proof)
    assert _refused_for_meaning(v) or "binds" in v.message, v


HIDDEN = ("Module Hide. Definition Equivalence := 0. End Hide.\nInductive coin := heads | tails.\n"
          "Definition worth (c : coin) : Q := match c with heads => 1#2 | tails => 1#4 end.\n")


@pytest.mark.parametrize(("header", "decls", "statement", "proof"), [
    # The instance's pattern names `Equivalence`, declared only in a module nobody imports; the statement's
    # bound `as k` is not a use of the instance `k`.
    (QEQ, HIDDEN + "#[global] Instance k : Equivalence (@eq Q) | 0 := eq_equivalence.",
     "forall c : coin, match c as k return Prop with heads => ~ (worth c === (2#4))%Q | tails => True end",
     "destruct c. intro H. unfold equiv in H. discriminate H. exact I."),
    (QEQ, HIDDEN + "#[global] Instance k : Equivalence (@eq Q) | 0 := eq_equivalence.",
     "forall c : coin, {k : nat & (k = 0)%nat} -> ~ (worth heads === (2#4))%Q",
     "intros c _ H. unfold equiv in H. discriminate H."),
    # `%` is a token of Coq's own grammar that `Locate` does not list: the notation turns the scope key into `~`.
    ("Require Import QArith.\nOpen Scope Q_scope.",
     HIDDEN + 'Notation "x %Q" := (~ x) (at level 1, left associativity).',
     "forall c : coin, match c with heads => (worth c == 1#3)%Q | tails => True end",
     "destruct c. intro H. discriminate H. exact I."),
    ("Require Import QArith.\nOpen Scope Q_scope.", M + 'Notation "x %Q" := (~ x) (at level 1, left associativity).',
     "marker -> ((1#2) == (1#3))%Q", "intros _ H. discriminate H."),
])
def test_hidden_names_bound_words_and_core_tokens_do_not_open_the_checks(header: str, decls: str, statement: str,
                                                                        proof: str) -> None:
    v = independent_verdict(Problem(header=header, decls=decls, statement=statement), proof)
    assert _refused_for_meaning(v) or "cannot be read with the header" in v.message, v
    assert v.status == "rejected", v


def test_each_piece_of_the_defence_on_its_own() -> None:
    """The attacks above also meet the parameter reading; each text check is pinned here by itself."""
    from scillm.integrations.certainly.checkers.machinery import bound_words
    from scillm.integrations.certainly.checkers.meaning import top_level_names

    assert "Equivalence" not in top_level_names(HIDDEN) and {"coin", "heads", "worth"} <= top_level_names(HIDDEN)
    assert "k" in bound_words("match c as k return Prop with heads => True | tails => True end")
    assert "k" in bound_words("{k : nat & k = 0}") and "k" in bound_words("match v in vec _ k return P with end")
    assert "size_nat" not in bound_words("@size nat size_nat 3 = 3")
    got = relexed(["%Q"], "(worth c == 1#3)%Q", lambda s: False)
    assert got is not None and "`%`" in got, got
