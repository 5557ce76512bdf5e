"""A decls inductive type with a let-in binder is refused: Coq 8.16's conversion of matches on it proves False.

The kernel compares two stuck matches on a constructor whose context ends in
let-ins of a proof-irrelevant type with the wrong relevance marks, so
`match p with pack x y _ _ => x end` and `... => y end` are convertible and
`0 = 1` follows (rocq#22378); `coqchk` shares the bug. Verify.v's walk
refuses every inductive of the problem that it reaches whose arity or
constructor types have a let-in binder, or a constructor type that is not
syntactically a product ending in the type (the kernel reduces such a type and
finds the let-ins there). Real coqc/coqchk.
"""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.verdict import independent_verdict
from scillm.integrations.certainly.models import Problem

pytestmark = [pytest.mark.needs_coq, pytest.mark.needs_bwrap]

SQUASH = "Require Import Coq.Logic.StrictProp."
_USE = ("Definition lft (p : P) : nat := match p with pack x y _ _ => x end.\n"
        "Definition rgt (p : P) : nat := match p with pack x y _ _ => y end.\n"
        "Definition collision (p : P) : lft p = rgt p := eq_refl.\n"
        "Definition zero_eq_one : O = S O := collision (pack O (S O)).\n")
OWN_SPROP = ("Inductive sU : SProp := stt.\n"
             "Inductive P : Type := pack (x y : nat) (g1 : sU := stt) (g2 : sU := stt).\n" + _USE)
LIBRARY_SPROP = "Inductive P : Type := pack (x y : nat) (g1 : Squash nat := squash 0) (g2 : Squash nat := squash 0).\n" + _USE
REDUCED = ("Definition U (X : Type) := forall x y : nat, let g1 := squash 0 in let g2 := squash 0 in X.\n"
           "Inductive P : Type := pack : U P.\n" + _USE)
RECORD = ("Record P : Type := pack { x : nat; y : nat; g1 : Squash nat := squash 0; g2 : Squash nat := squash 0 }.\n"
          + _USE)


@pytest.mark.parametrize(("header", "decls"), [("", OWN_SPROP), (SQUASH, LIBRARY_SPROP), (SQUASH, REDUCED),
                                               (SQUASH, RECORD)], ids=["own-sprop", "library-sprop", "reduced", "record"])
@pytest.mark.parametrize(("statement", "proof"), [("False", "pose proof zero_eq_one as H. discriminate H."),
                                                  ("0 = 1", "exact zero_eq_one."),
                                                  ("forall p : P, lft p = rgt p", "exact collision."),
                                                  ("forall p : P, lft p = rgt p", "intros p. reflexivity.")])
def test_a_proof_through_an_inductive_with_let_in_binders_is_not_proved(header: str, decls: str, statement: str,
                                                                         proof: str) -> None:
    v = independent_verdict(Problem(header=header, decls=decls, statement=statement), proof)
    assert v.status == "rejected" and "let-in" in v.message, v


@pytest.mark.parametrize(("decls", "statement", "proof"), [
    ("Inductive P : Type := pack (x y : nat).\nDefinition lft (p : P) := match p with pack x _ => x end.",
     "lft (pack 0 1) = 0", "reflexivity."),
    ("Record point := { px : nat; py : nat }.\nDefinition swap (p : point) := {| px := py p; py := px p |}.",
     "forall p, swap (swap p) = p", "intros []; reflexivity."),
    ("Inductive vec (A : Type) : nat -> Type := vnil : vec A 0 | vcons n : A -> vec A n -> vec A (S n).\n"
     "Definition vhd {A n} (v : vec A (S n)) : A := match v with vcons _ _ a _ => a end.",
     "vhd (vcons nat 0 7 (vnil nat)) = 7", "reflexivity."),
    ("Inductive ev : nat -> Prop := ev0 : ev 0 | evS n : od n -> ev (S n)\n"
     "with od : nat -> Prop := odS n : ev n -> od (S n).", "od 1", "constructor. constructor."),
    ("Definition f (n : nat) := match n with 0 => let z := 1 in z | S k => k end.", "f 0 = 1", "reflexivity."),
])
def test_inductives_without_let_in_binders_are_proved(decls: str, statement: str, proof: str) -> None:
    v = independent_verdict(Problem(decls=decls, statement=statement), proof)
    assert v.status == "proved", v
