"""Decls names the text reading does not see, first match branches, header names made keywords, and tactics in
statements that need a decls notation (real coqc/coqchk).

Each attack came back `proved` before: a Unicode or generated decls name (`ν`, `T_ind`) left the statement without
the reading with the decls' names as parameters and switched off the refusal of decls machinery; the first branch
of a `match` (and ssreflect's `if e is p`) was not read as binding; `Notation "'Forall'"` kept `Locate Forall`'s
answer; and a statement with `ltac:` read hints, `Ltac ::=`, `Opaque` and `Strategy` of the decls.
"""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.machinery import bound_words
from scillm.integrations.certainly.checkers.meaning import declared_names
from scillm.integrations.certainly.checkers.verdict import independent_verdict
from scillm.integrations.certainly.checkers.verdict_general import machinery_free, notation_checked
from scillm.integrations.certainly.models import Problem

pytestmark = [pytest.mark.needs_coq, pytest.mark.needs_bwrap]

OPLUS = 'Definition nu := 0.\nNotation "⊕ x" := (S x) (at level 0).\n'
HINT = "#[export] Hint Extern 0 => exact True : core."
PICK = "ltac:(first [solve [eauto] | exact False])"
EVAL = "ltac:(let x := eval {red} in (2 + 2) in lazymatch x with 4 => exact False | _ => exact True end)"

ATTACKS = [
    ("unicode-name-unicode-abbreviation", "", "Definition ν := 0.\nNotation é := 0.",
     "ν = ν -> match 5 with S é => False | _ => True end", "intros _; exact I."),
    ("generated-name-keyword-in-first-branch", "", "Inductive T := t.\nNotation \"'k'\" := 0.",
     "T_ind = T_ind -> match 5 with S k => False | _ => True end", "intros _; exact I."),
    ("generated-name-hint", "", "Inductive T := t.\n" + HINT, f"T_ind = T_ind -> {PICK}", "intros _; exact I."),
    ("unicode-name-hint", "", "Definition ν := 0.\n" + HINT, f"ν = ν -> {PICK}", "intros _; exact I."),
    ("keyword-over-header-name", "Require Import Coq.Lists.List.",
     OPLUS + "Notation \"'Forall'\" := (fun (_ : nat -> Prop) (_ : list nat) => True).",
     "⊕ nu = 1 -> Forall (fun n => n = 0) (cons 1 nil)", "intros _; exact I."),
    ("keyword-over-prelude-function", "",
     OPLUS + "Notation \"'option_map'\" := (fun (_ : nat -> nat) (_ : option nat) => Some 3).",
     "⊕ nu = 1 -> option_map S (Some 1) = Some 3", "intros _; reflexivity."),
    ("abbreviation-in-first-branch", "", OPLUS + "Notation k := 0.",
     "⊕ nu = 1 -> match 5 with S k => False | _ => True end", "intros _; exact I."),
    ("abbreviation-in-ssreflect-is", "From Coq Require Import ssreflect ssrbool.", OPLUS + "Notation k := 0.",
     "⊕ nu = 1 -> if 5 is S k then False else True", "intros _; exact I."),
    ("ltac-redefined", "", OPLUS + "Ltac easy ::= exact True.", "⊕ nu = 1 -> ltac:(first [easy | exact False])",
     "intros _; exact I."),
    ("hint-in-notation-path", "", OPLUS + HINT, f"⊕ nu = 1 -> {PICK}", "intros _; exact I."),
    ("opaque", "", OPLUS + "Opaque Nat.add.", "⊕ nu = 1 -> " + EVAL.format(red="simpl"), "intros _; exact I."),
    ("strategy", "", OPLUS + "Strategy opaque [Nat.add].", "⊕ nu = 1 -> " + EVAL.format(red="cbn"),
     "intros _; exact I."),
    ("implicit-types", "", OPLUS + "Implicit Types m p : unit.", "⊕ nu = 1 -> exists m, forall p, p = m",
     "intros _; exists tt; intros []; reflexivity."),
]


@pytest.mark.parametrize(("case", "header", "decls", "statement", "proof"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_decls_that_change_the_reading_unseen_are_not_proved(case: str, header: str, decls: str, statement: str,
                                                              proof: str) -> None:
    v = independent_verdict(Problem(header=header, decls=decls, statement=statement), proof)
    assert v.status == "rejected", (case, v)


HONEST = [
    ("unicode-name", "", "Definition ν := 0.", "ν = 0", "reflexivity."),
    ("generated-name", "", "Inductive T := t.", "forall P : T -> Prop, P t -> forall x, P x",
     "intros P H x; destruct x; exact H."),
    ("generated-name-used", "", "Inductive T := t.", "T_ind = T_ind", "reflexivity."),
    ("decls-notation", "", OPLUS.strip(), "⊕ nu = 1", "reflexivity."),
    ("notation-and-first-branch", "", OPLUS.strip(), "⊕ nu = 1 -> match 5 with S k => k = 4 | _ => False end",
     "intros _; reflexivity."),
    ("notation-with-scope-commands", "", "Declare Scope my_scope.\nDelimit Scope my_scope with my.\n"
     + 'Notation "⊕ x" := (S x) (at level 0) : my_scope.\nDefinition nu := 0.', "(⊕ nu)%my = 1", "reflexivity."),
]


@pytest.mark.parametrize(("case", "header", "decls", "statement", "proof"), HONEST, ids=[h[0] for h in HONEST])
def test_honest_statements_of_the_same_shapes_are_proved(case: str, header: str, decls: str, statement: str,
                                                         proof: str) -> None:
    v = independent_verdict(Problem(header=header, decls=decls, statement=statement), proof)
    assert v.status == "proved", (case, v)


def test_each_text_reading_on_its_own() -> None:
    assert {"ν", "T", "t", "T_ind", "T_rect", "T_sind"} <= declared_names("Definition ν := 0.\nInductive T := t.")
    assert "k" in bound_words("match 5 with S k => False | _ => True end")
    assert "k" in bound_words("if 5 is S k then False else True")
    assert "False" not in bound_words("if 5 is S k then False else True")
    assert not notation_checked(OPLUS + HINT, "⊕ nu = 1")
    assert not notation_checked(OPLUS, f"⊕ nu = 1 -> {PICK}")
    assert not notation_checked(OPLUS + "Declare Reduction r := simpl.", "⊕ nu = 1")
    assert notation_checked(OPLUS + "Declare Scope my_scope.\nLocal Open Scope my_scope.", "⊕ nu = 1")


# A decls instance of a header class at a decls alias of a header type (`Definition myProp := Prop.`), one named
# like a word the header's registries print, a coercion, an instance whose type is a product (`Kk -> InjTyp ..`),
# and a keyword that glues a name to a symbol (`'x⊕'`): each was `proved` where the statement reads only with the
# decls (the notation `⊕`) or has no reading with the decls' names as parameters.
HIDDEN = [
    ('inst_alias', 'Require Import ZArith ZifyClasses ZifyInst.',
     'Definition mynat := nat.\nClass Kk := {}.\nInstance cc : Kk := {}.\nInstance ii : Kk -> InjTyp mynat Z | 0 := fun _ => {| inj := fun _ => 7%Z; pred := fun _ => True; cstr := fun _ => I |}.',
     'ii = ii -> cc = cc -> @inj nat Z _ 3 = 7%Z', 'intros _ _; reflexivity.'),
    ('V8_hidden_name_ssr', 'Require Import ZArith ZifyClasses ZifyInst.\nFrom Coq Require Import ssreflect ssrbool.',
     'Definition mynat := nat.\nInstance isSome : InjTyp mynat Z | 0 := mkinj _ _ (fun _ => 7%Z) (fun _ => True) (fun _ => I).\nNotation "⊕" := True.',
     '⊕ -> @inj nat Z _ 3 = 7%Z', 'intros _; reflexivity.'),
    ('K1_keyword_glued_to_bound_var', '',
     'Notation "a ⊕ b" := (a * b) (at level 40, left associativity).\nNotation "\'x⊕\' b" := (0 * b) (at level 40).',
     'forall x : nat, x⊕1 = 0', 'intros; reflexivity.'),
    ('C1_hidden_coercion', 'From Coq Require Import ssreflect ssrbool.',
     'Definition isSome (b : bool) : nat := 5.\nCoercion isSome : bool >-> nat.\nNotation "⊕" := True.',
     '⊕ -> true + 1 = 6', 'intros _; reflexivity.'),
    ('S1_setoid_hidden', 'Require Import Coq.Classes.SetoidClass.\nFrom Coq Require Import ssreflect ssrbool.',
     'Definition myProp := Prop.\nInstance isSome : Setoid myProp | 0 := {| equiv := fun _ _ : myProp => True; setoid_equiv := Build_Equivalence _ (fun _ => I) (fun _ _ _ => I) (fun _ _ _ _ _ => I) |}.\nNotation "⊕" := True.',
     '⊕ -> (True == False)', 'intros _; exact I.'),
    ('S2_setoid_named_elsewhere', 'Require Import Coq.Classes.SetoidClass.',
     'Definition myProp := Prop.\nInstance hh : Setoid myProp | 0 := {| equiv := fun _ _ : myProp => True; setoid_equiv := Build_Equivalence _ (fun _ => I) (fun _ _ _ => I) (fun _ _ _ _ _ => I) |}.\nNotation "⊕" := True.',
     '⊕ -> hh = hh -> (True == False)', 'intros _ _; exact I.'),
    ('K2_keyword_left_glued', '',
     'Notation "a ⊕ b" := (a * b) (at level 40, left associativity).\nNotation "a \'⊕x\'" := (a * 1) (at level 40).',
     'forall x : nat, 1 ⊕x = 1', 'intros; reflexivity.'),
    ('S3_existing_instance', 'Require Import Coq.Classes.SetoidClass.\nFrom Coq Require Import ssreflect ssrbool.',
     'Definition myProp := Prop.\nDefinition is_left : Setoid myProp := {| equiv := fun _ _ : myProp => True; setoid_equiv := Build_Equivalence _ (fun _ => I) (fun _ _ _ => I) (fun _ _ _ _ _ => I) |}.\nExisting Instance is_left | 0.\nNotation "⊕" := True.',
     '⊕ -> (True == False)', 'intros _; exact I.'),
    ('S4_no_priority', 'Require Import Coq.Classes.SetoidClass.',
     'Definition myProp := Prop.\nInstance hh : Setoid myProp := {| equiv := fun _ _ : myProp => True; setoid_equiv := Build_Equivalence _ (fun _ => I) (fun _ _ _ => I) (fun _ _ _ _ _ => I) |}.\nNotation "⊕" := True.',
     '⊕ -> hh = hh -> (True == False)', 'intros _ _; exact I.'),
]


@pytest.mark.parametrize(("case", "header", "decls", "statement", "proof"), HIDDEN, ids=[h[0] for h in HIDDEN])
def test_decls_instances_coercions_and_glued_keywords_are_not_proved(case: str, header: str, decls: str,
                                                                     statement: str, proof: str) -> None:
    v = independent_verdict(Problem(header=header, decls=decls, statement=statement), proof)
    assert v.status == "rejected", (case, v)


HONEST_MACHINERY = [
    ("own-class-instance-and-notation", "", "Class Pointed (A : Type) := point : A.\n"
     "Instance pointed_nat : Pointed nat := 0.\nNotation \"⊙\" := (point : nat).", "⊙ = @point nat pointed_nat",
     "reflexivity."),
    ("where-notation", "", "Reserved Notation \"x ≺ y\" (at level 70).\n"
     "Inductive lt' : nat -> nat -> Prop := lt'_n n : n ≺ S n where \"x ≺ y\" := (lt' x y).", "0 ≺ 1",
     "constructor."),
]


@pytest.mark.parametrize(("case", "header", "decls", "statement", "proof"), HONEST_MACHINERY,
                         ids=[h[0] for h in HONEST_MACHINERY])
def test_own_classes_and_where_notations_still_read(case: str, header: str, decls: str, statement: str,
                                                    proof: str) -> None:
    v = independent_verdict(Problem(header=header, decls=decls, statement=statement), proof)
    assert v.status == "proved", (case, v)


def test_an_instance_of_a_product_type_is_not_of_its_premise_class() -> None:
    assert not machinery_free("Class Kk := {}.\nInstance cc : Kk := {}.\nInstance ii : Kk -> InjTyp nat Z := x.")
    assert machinery_free("Class Kk := {}.\nInstance cc : Kk := {}.")
    assert not notation_checked("Definition myProp := Prop.\nInstance h : Setoid myProp := x.", "⊕")
    assert not notation_checked("Definition f (b : bool) : nat := 5.\nCoercion f : bool >-> nat.", "⊕")


SETOID = "From Coq Require Import SetoidClass."
II = ("#[global] Instance ii : Setoid myProp := {| equiv := fun _ _ => True; setoid_equiv := Build_Equivalence _ "
      "(fun _ => I) (fun _ _ _ => I) (fun _ _ _ _ _ => I) |}.")
# A class of the same short name inside a module, or a class field named like the header class, once made a decls
# instance of the header's `Setoid` count as one of the decls' own classes; `Scheme Equality` and `Combined Scheme`
# names were not decls names.
OWN_CLASS_NAMES = [
    ("class-in-a-module", "⊕ -> ii = ii -> (False == True)",
     "Module M. Class Setoid := {}. End M.\nDefinition myProp := Prop.\n" + II + "\nNotation \"⊕\" := True."),
    ("class-in-a-module-unread", "(match Aa with Aa => True | Bb => False end) -> ii = ii -> (False == True)",
     "Inductive tt2 := Aa | Bb.\nDefinition myProp := Prop.\n" + II + "\nModule M. Class Setoid := {}. End M."),
    ("class-field", "(⊕ 0) -> ii = ii -> (False == True)",
     "Definition myProp := Prop.\n" + II + "\nModule M. Class Kk := { Setoid : nat }. End M.\n"
     "Notation \"⊕ x\" := (x = x) (at level 10)."),
    ("class-in-a-module-with-a-constraint", "⟪ False == True ⟫ /\\ bad = bad",
     "Definition myProp := Prop.\nModule Qq.\nEnd Qq.\nNotation \"⟦ x ⟧\" := (let x := tt in nat) (x ident).\n"
     "Module M : Coq.Structures.Equalities.Typ with Definition t := ⟦ Qq ⟧.\nDefinition t := nat.\n"
     "Class Setoid := {}.\nEnd M.\n#[export] Instance bad : Setoid myProp := @Build_Setoid myProp "
     "(fun _ _ => True) (Build_Equivalence _ (fun _ => I) (fun _ _ _ => I) (fun _ _ _ _ _ => I)).\n"
     "Notation \"⟪ x ⟫\" := (x) (at level 0)."),
    ("scheme-equality-name", "bool_beq true true = true -> ii = ii -> (False == True)",
     "Module M. Class Setoid := {}. End M.\nDefinition myProp := Prop.\n" + II + "\nScheme Equality for bool."),
]


@pytest.mark.parametrize(("case", "statement", "decls"), OWN_CLASS_NAMES, ids=[c[0] for c in OWN_CLASS_NAMES])
def test_a_header_class_never_counts_as_the_decls_own(case: str, statement: str, decls: str) -> None:
    proof = "split; [exact I | reflexivity]." if "/\\" in statement else "intros; exact I."
    v = independent_verdict(Problem(header=SETOID, decls=decls, statement=statement), proof)
    assert v.status == "rejected", (case, v)


def test_an_own_class_is_one_declared_before_its_instance() -> None:
    assert machinery_free("Class Kk := {}.\nInstance cc : Kk := {}.")
    assert not machinery_free("Instance cc : Kk := {}.\nClass Kk := {}.")


def test_scheme_names_are_decls_names() -> None:
    names = declared_names("Scheme Equality for bool.\nCombined Scheme cs_any from t_ind.")
    assert {"bool_beq", "bool_eq_dec", "cs_any"} <= names
