"""Decls read the way Coq reads them: its lexer (names, numbers, symbols) and its scoping of names in modules.

Each attack came back `proved` for a statement the header reads as false;
each honest twin of the same shape is proved.
"""

from __future__ import annotations

from typing import Any

import pytest

import scillm

pytestmark = [pytest.mark.needs_coq, pytest.mark.needs_bwrap]

_POSTFIX = 'Notation "x ⊕" := (x) (at level 1).'
_SETOID = "From Coq Require Import Classes.SetoidClass."
_DIST = ("Class Dist (A : Type) := { isq : bool }.\n#[export] Instance dn : Dist nat := {| isq := false |}.\n"
         "#[export] Instance dq : Dist QArith_base.Q := {| isq := true |}.\n"
         "Definition test {A : Type} {d : Dist A} (x : A) : Prop := isq = true.\n")
_TRIVIAL = "{| equiv := fun _ _ => True; setoid_equiv := ltac:(split; red; auto) |}"


def _item(statement: str, proof: str, header: str = "", decls: str = "") -> dict[str, Any]:
    return {"requirement_text": statement, "header": header, "decls": decls, "tactics": [proof]}


_BOX = 'Notation "x ⊞ y" := (x /\\ y) (at level 80).'
_ZBOOL = "Module Zbool. Definition Zeq_bool (x y : Z) := true. End Zbool.\n"

# (case, attack, honest twin)
CASES = [
    # a decls module of the name of a header library module: `Zbool.Zeq_bool` is the decls' constant
    ("a-qualified-header-name-taken-by-a-decls-module",
     _item("Zbool.Zeq_bool 1 2 = true ⊞ True", "split; reflexivity.", "Require Import ZArith.", _ZBOOL + _BOX),
     _item("Zbool.Zeq_bool 1 1 = true ⊞ True", "split; reflexivity.", "Require Import ZArith.", _BOX)),
    ("a-qualified-header-name-taken-when-the-reading-fails",
     _item("Zbool.Zeq_bool 1 2 = true /\\ marker = marker", "split; reflexivity.", "Require Import ZArith.",
           _ZBOOL + "Definition marker := True."),
     _item("Zbool.Zeq_bool 1 1 = true /\\ marker = marker", "split; reflexivity.", "Require Import ZArith.",
           "Definition marker := True.")),
    # `mod` is a name under this header, so it is looked up like any other
    ("a-library-keyword-that-is-a-name-here",
     _item("mod 7 2 = seven /\\ marker = marker", "split; reflexivity.",
           "From Coq Require Import PrimInt63.\nOpen Scope uint63_scope.",
           "Definition mod (a b : int) : int := a.\nDefinition seven : int := 7.\nDefinition marker := 0."),
     _item("seven = 7 /\\ marker = marker", "split; reflexivity.",
           "From Coq Require Import PrimInt63.\nOpen Scope uint63_scope.",
           "Definition seven : int := 7.\nDefinition marker := 0.")),
    # `²` is a symbol for Coq: `PI2²` is the header's `PI2`, squared
    ("a-superscript-ends-a-name",
     _item("PI2² = 0 /\\ marker = marker", "split; [unfold Rsqr, PI2; ring | reflexivity].",
           "From Coq Require Import Reals Lra Lia.\nOpen Scope R_scope.",
           "Definition PI2 : R := 0.\nDefinition marker := 0%nat."),
     _item("p0² = 0 /\\ marker = marker", "split; [unfold Rsqr, p0; ring | reflexivity].",
           "From Coq Require Import Reals Lra Lia.\nOpen Scope R_scope.",
           "Definition p0 : R := 0.\nDefinition marker := 0%nat.")),
    # `0x5last` is the number `0x5`, then the header's `last`
    ("a-number-glued-to-a-name",
     _item("app2 0x5last = 0 /\\ marker = marker", "split; reflexivity.", "Require Import List.",
           "Definition app2 (n : nat) (f : forall A : Type, list A -> A -> A) : nat := f nat (cons n nil) 0.\n"
           "Definition last (A : Type) (l : list A) (d : A) : A := d.\nDefinition marker := 0."),
     _item("app2 0x5 (fun A l d => d) = 0 /\\ marker = marker", "split; reflexivity.", "Require Import List.",
           "Definition app2 (n : nat) (f : forall A : Type, list A -> A -> A) : nat := f nat (cons n nil) 0.\n"
           "Definition marker := 0.")),
    # a Unicode letter starts a name: `αk` is one word, the bound variable the abbreviation captures
    ("a-unicode-name-captured-by-an-abbreviation",
     _item("forall n : nat, match n with S αk => αk = 0 | _ => True end⊕", "intros [|[|n]]; simpl; auto.",
           decls=_POSTFIX + "\nNotation αk := O."),
     _item("forall n : nat, match n with S αj => αj = αj | _ => True end⊕", "intros [|n]; simpl; auto.",
           decls=_POSTFIX)),
    # `nb` inside the module is the header's `negb`; at the top level it is the decls' constant
    ("arguments-through-a-module-abbreviation",
     _item("negb (1 - 2 =? 0) = true⊕", "reflexivity.", "From Coq Require Import ZArith Bool.",
           "Definition nb := 0.\nModule M.\nNotation nb := negb (only parsing).\nArguments nb b%Z_scope.\nEnd M.\n"
           + _POSTFIX),
     _item("negb (1 - 2 =? 0) = false⊕", "reflexivity.", "From Coq Require Import ZArith Bool.",
           "Definition nb := 0.\n" + _POSTFIX)),
    ("an-instance-through-a-module-abbreviation",
     _item("(forall P Q : Prop, P == Q⊕) /\\ 0xe5 = 229", "split; [intros; exact I | reflexivity].", _SETOID,
           "Definition myProp := Prop.\nClass Foo := {}.\nModule M.\nNotation Foo := SetoidClass.Setoid (only "
           f"parsing).\n#[export] Instance xe5 : Foo myProp | 0 := {_TRIVIAL}.\nEnd M.\nImport M.\n" + _POSTFIX),
     _item("(forall P : Prop, P == P⊕) /\\ 0xe5 = 229", "split; [intros; exact (iff_refl P) | reflexivity].",
           _SETOID, "Definition myProp := Prop.\nClass Foo := {}.\n" + _POSTFIX)),
    # inside `M`, `QArith_base` is the header's library (opening `Q_scope`); the decls' module comes later
    ("an-import-of-a-module-declared-later",
     _item("test 0 /\\ dq = dq", "split; reflexivity.", "From Coq Require QArith.QArith_base.",
           _DIST + "Module M.\nExport (notations) QArith_base.\nEnd M.\nModule QArith_base.\nEnd QArith_base.\n"
           "Module notations.\nEnd notations.\nImport M."),
     _item("~ @test nat dn 0 /\\ dq = dq", "split; [unfold test; discriminate | reflexivity].",
           "From Coq Require QArith.QArith_base.", _DIST + "Module M.\nDefinition k := 0.\nEnd M.\nImport M.")),
    ("a-header-class-exported-from-a-module",
     _item("(forall P Q : Prop, P == Q) /\\ s = s", "split; [intros; exact I | reflexivity].", _SETOID,
           "Definition myProp := Prop.\nClass Setoid := {}.\nModule M.\nExport SetoidClass.\n#[export] Instance s "
           f": Setoid myProp | 0 := {_TRIVIAL}.\nEnd M.\nImport M.\nModule SetoidClass.\nEnd SetoidClass."),
     _item("(forall P : Prop, P == P) /\\ s = s", "split; [intros; exact (iff_refl P) | reflexivity].", _SETOID,
           "Definition s := 0.")),
]


def _status(item: dict[str, Any]) -> tuple[str, str]:
    response = scillm.certainly_prove([item], tactics_only=True, cache=False, request_timeout=240)
    result = response.additional_kwargs["certainly"]["results"][0]
    return result["status"], result["explanation"] or ""


@pytest.mark.parametrize(("case", "attack", "honest"), CASES, ids=[c[0] for c in CASES])
def test_decls_read_as_coq_reads_them(case: str, attack: dict[str, Any], honest: dict[str, Any]) -> None:
    status, why = _status(attack)
    assert status != "proved", (case, why)
    status, why = _status(honest)
    assert status == "proved", (case, why)
