"""Cutting whole Coq files into header, decls, statement and proof."""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.split import SplitError, split_file

FILE = """Require Import Arith.
Require Import Lia.
Open Scope nat_scope.

Definition double (n : nat) := n + n.

(* the goal *)
Theorem double_even (n : nat) (m : nat) : double n = 2 * n + 0 * m.
Proof.
  unfold double. lia.
Qed.

Lemma other : True. Proof. exact I. Qed.
"""


def test_header_decls_binders_and_proof() -> None:
    part = split_file(FILE, "double_even")
    p = part.problem
    assert p.header == "Require Import Arith.\nRequire Import Lia.\nOpen Scope nat_scope."
    assert p.decls == "Definition double (n : nat) := n + n."
    assert p.theorem_name == "double_even"
    assert p.keyword == "Theorem"
    assert p.statement == "forall (n : nat) (m : nat), double n = 2 * n + 0 * m"
    assert part.proof == "Proof.\n  unfold double. lia.\nQed."
    assert part.proof_line == 9


def test_picks_named_theorem_and_refuses_to_guess_among_closed_ones() -> None:
    assert split_file(FILE, "other").problem.statement == "True"
    with pytest.raises(SplitError, match="no open theorem: double_even, other"):
        split_file(FILE)


def test_the_target_is_the_open_theorem_and_closed_ones_are_context() -> None:
    text = ("Require Import Arith.\nTheorem warmup : True.\nProof. exact I. Qed.\n"
            "(* the one to prove *)\nTheorem main : 1 = 2.\nProof.\nAdmitted.\n")
    part = split_file(text)
    assert (part.problem.theorem_name, part.problem.statement) == ("main", "1 = 2")
    assert part.problem.header == "Require Import Arith."
    assert part.problem.decls == "Theorem warmup : True.\nProof. exact I. Qed."
    assert split_file("Lemma a : True. Proof. exact I. Qed.\nLemma b : 1 = 1.\nProof.\n").problem.theorem_name == "b"
    assert split_file("Lemma a : 1 = 1. Proof. Abort.\nLemma b : True. Proof. exact I. Qed.").problem.theorem_name == "a"


@pytest.mark.parametrize(("text", "fragment"), [
    ("Lemma a : True. Admitted.\nLemma b : True.\nProof.\n", "several open theorems: a, b"),
    ("Lemma a : True. Proof. exact I. Qed.\nLemma b : True. Proof. exact I. Defined.", "no open theorem: a, b"),
])
def test_none_or_several_open_theorems_are_named(text: str, fragment: str) -> None:
    with pytest.raises(SplitError, match=fragment):
        split_file(text)


def test_everything_before_the_target_is_kept_as_written() -> None:
    text = ("From Coq Require Import ZArith.\nOpen Scope Z_scope.\nDefinition f (x : Z) := x - 1.\n"
            "Local Open Scope Z_scope. (* again *)\nNotation g := f.\nTheorem t : forall x : Z, g x < x.\n")
    p = split_file(text).problem
    assert p.header == "From Coq Require Import ZArith.\nOpen Scope Z_scope."
    assert p.decls == "Definition f (x : Z) := x - 1.\nLocal Open Scope Z_scope. (* again *)\nNotation g := f."
    assert p.statement == "forall x : Z, g x < x"


def test_admitted_proof_is_kept_for_the_checker_to_reject() -> None:
    part = split_file("Theorem t : 1 = 1.\nProof.\nAdmitted.\n", "t")
    assert part.proof.endswith("Admitted.")


def test_statement_only_file_gives_the_rest_as_proof() -> None:
    part = split_file("Require Import Reals.\nTheorem t :\n  1 = 1.\n\nProof.\n", "t")
    assert (part.proof, part.proof_line, part.problem.statement) == ("Proof.", 5, "1 = 1")
    assert split_file("Theorem t : True.", "t").proof == ""


@pytest.mark.parametrize(
    ("text", "name"),
    [("Definition x := 1.", None), (FILE, "missing"),
     ("Theorem t : True. (* open", "t"), ("", None)],
)
def test_unsplittable_files(text: str, name: str | None) -> None:
    with pytest.raises(SplitError):
        split_file(text, name)


@pytest.mark.parametrize(("text", "where"), [
    ("Module M.\nDefinition two := 2.\nTheorem t : two = 2.\nProof.\nAdmitted.\nEnd M.", "Module M"),
    ("Section S.\nLet x := 2.\nTheorem t : x = 2.\nProof.\nAdmitted.\nEnd S.", "Section S"),
    ("Module Type T.\nSection S.\nEnd S.\nTheorem t : True.\nProof.\nAdmitted.\nEnd T.", "Module T"),
])
def test_a_target_inside_a_module_or_section_is_a_clear_error(text: str, where: str) -> None:
    with pytest.raises(SplitError, match=f"inside {where}"):
        split_file(text)


def test_closed_modules_and_module_definitions_before_the_target_are_context() -> None:
    part = split_file("Module M.\nDefinition two := 2.\nEnd M.\nModule N := M.\nTheorem t : M.two = 2.\n"
                      "Proof.\nAdmitted.")
    assert part.problem.statement == "M.two = 2"


@pytest.mark.parametrize("tail", ["Polymorphic Theorem main : 1 = 2.\nAdmitted.\n", "Goal 1 = 2.\nAdmitted.\n",
                                  "Definition main : 1 = 2.\nAdmitted.\n", "Theorem αmain : 1 = 2.\nAdmitted.\n",
                                  "Goal 1 = 2.\n", "Definition main : 1 = 2.\nProof.\n"])
def test_a_closed_theorem_never_stands_in_for_an_open_proof_the_reader_does_not_see(tail: str) -> None:
    with pytest.raises(SplitError):
        split_file("Lemma helper : True.\nProof. exact I. Qed.\n\n" + tail)


def test_a_file_that_is_one_closed_theorem_is_its_own_target() -> None:
    assert split_file("Theorem t : 1 = 1.\nProof. reflexivity. Qed.\n").problem.statement == "1 = 1"


@pytest.mark.parametrize("tail", ["Polymorphic Theorem main : 1 = 2.\nProof.\n", "Goal 1 = 2.\n",
                                  "Time Lemma main : 1 = 2.\nProof.\n", "Definition main : 1 = 2.\nProof.\n",
                                  "Program Definition main : 1 = 2 := _.\n", "Check 0.\n"])
def test_an_open_target_never_hides_an_open_proof_after_it(tail: str) -> None:
    with pytest.raises(SplitError, match="goes on after the target"):
        split_file("Theorem t : True.\nAdmitted.\n" + tail)


def test_closed_theorems_and_comments_may_follow_the_target() -> None:
    part = split_file("Theorem t : 1 = 1.\nAdmitted.\nLemma u : True.\nProof. exact I. Qed.\n(* the end *)\n")
    assert (part.problem.theorem_name, part.problem.statement) == ("t", "1 = 1")


def test_a_theorem_name_that_two_theorems_share_is_an_error() -> None:
    with pytest.raises(SplitError, match="several theorems are named 'main'"):
        split_file("Theorem main : True.\nProof. exact I. Qed.\nTheorem main : 1 = 2.\nAdmitted.\n", "main")


def test_a_named_target_may_be_followed_by_other_open_proofs() -> None:
    part = split_file("Theorem t : 1 = 1.\nAdmitted.\nGoal 1 = 2.\nTheorem u : 2 = 2.\nAdmitted.\n", "t")
    assert part.problem.statement == "1 = 1"


@pytest.mark.parametrize("closer", ["Proof I.", "Proof. exact I. Time Qed.", "Proof. exact I. Timeout 5 Qed.",
                                    "Proof. exact I. #[local] Qed.", "Proof. exact I. Time Defined."])
@pytest.mark.parametrize("hidden", ["Definition main : 1 = 2.\nProof.\nAdmitted.\n", "Goal 1 = 2.\nAdmitted.\n",
                                    "Goal 1 = 2.\n"])
def test_a_helper_closed_another_way_never_stands_in_for_a_hidden_open_proof(closer: str, hidden: str) -> None:
    with pytest.raises(SplitError):
        split_file(f"Theorem decoy : True.\n{closer}\n{hidden}")


def test_a_helper_closed_by_a_proof_term_is_context() -> None:
    part = split_file("Lemma h : True.\nProof I.\nTheorem main : 1 = 1.\nAdmitted.\n")
    assert (part.problem.theorem_name, part.problem.statement) == ("main", "1 = 1")


@pytest.mark.parametrize("closer", ["Fail Qed.", "Succeed Qed.", 'Redirect "x" Fail Qed.'])
def test_a_closer_that_fails_leaves_its_proof_open(closer: str) -> None:
    with pytest.raises(SplitError, match="several open"):
        split_file(f"Theorem warm : True.\nAdmitted.\nTheorem main : 1 = 2.\nProof.\n{closer}\n")


@pytest.mark.parametrize("inside", ["Goal 1 = 2.\n", "Definition main : 1 = 2.\nProof.\n", "Fixpoint f (n:nat) : nat.\n",
                                    "Polymorphic Theorem main : 1 = 2.\nAdmitted.\n"])
def test_a_command_inside_the_targets_proof_is_an_error(inside: str) -> None:
    with pytest.raises(SplitError, match="inside the proof"):
        split_file("Theorem warm : True.\n" + inside)
