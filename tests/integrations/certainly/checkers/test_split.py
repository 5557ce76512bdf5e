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


def test_picks_named_theorem_and_first_by_default() -> None:
    assert split_file(FILE, "other").problem.statement == "True"
    assert split_file(FILE).problem.theorem_name == "double_even"


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
