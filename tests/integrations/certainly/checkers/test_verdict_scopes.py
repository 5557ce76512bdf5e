"""Decls that move delimiting keys, rebind scopes or re-declare arguments of header constants (real coqc/coqchk).

With `From Coq Require Import Uint63 Sint63.`, `((0 - 1) / 2)%uint63` is
unsigned division (4611686018427387903), so `... = 0` is false; read in
`sint63_scope` it is signed division and 0. Each attack keeps every name of
the statement meaning what it meant, so only what Coq says about scopes,
keys and the constants the decls declare can refuse it.
"""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.decls_scopes import ScopeUse, scope_use, scope_violation
from scillm.integrations.certainly.checkers.verdict import independent_verdict
from scillm.integrations.certainly.models import Problem

INT63 = "From Coq Require Import Uint63 Sint63."
MARKER = "Definition marker := True."
FALSE_DIV = "marker -> ((0 - 1) / 2 = 0)%uint63"
FALSE_EQB = "marker -> negb (eqb ((0 - 1) / 2) 0) = true"
REFL = "intros; reflexivity."


@pytest.mark.needs_coq
@pytest.mark.needs_bwrap
@pytest.mark.parametrize(("header", "decls", "statement"), [
    (INT63, f"{MARKER}\nDelimit Scope sint63_scope with uint63.", FALSE_DIV),
    (INT63, f"{MARKER}\nBind Scope uint63_scope with PrimInt63.int.",
     "marker -> negb (PrimInt63.eqb ((0 - 1) / 2) 0) = true"),
    (INT63, f"{MARKER}\nArguments PrimInt63.eqb (_ _)%uint63_scope.", FALSE_EQB),
    (INT63, f"{MARKER}\n#[local] Arguments PrimInt63.eqb (_ _)%uint63_scope.", FALSE_EQB),
    (INT63, f"{MARKER}\nGlobal Arguments Uint63.eqb (_ _)%uint63_scope.", FALSE_EQB),
    (INT63, f"{MARKER}\nArguments \"=?\"%sint63 (_ _)%uint63_scope.", FALSE_EQB),
    (INT63, f"{MARKER}\nNotation f := PrimInt63.eqb (only parsing).\nArguments f (_ _)%uint63_scope.", FALSE_EQB),
    (INT63, f"{MARKER}\nImport PrimInt63.Uint63NotationsInternalA.", FALSE_EQB),
    (INT63, f"{MARKER}\nImport (notations) PrimInt63.Uint63NotationsInternalA.", FALSE_EQB),
    (INT63, f"{MARKER}\nModule M.\nExport PrimInt63.Uint63NotationsInternalA.\nEnd M.\nImport M.", FALSE_EQB),
    (INT63, f"{MARKER}\nModule X := PrimInt63.Uint63NotationsInternalA.\nImport X.", FALSE_EQB),
    (INT63, f"{MARKER}\nModule Import X := PrimInt63.Uint63NotationsInternalA.", FALSE_EQB),
    (INT63 + '\nSet Warnings "+abstract-large-number".',
     'Set Warnings "-abstract-large-number".\nDelimit Scope sint63_scope with uint63.',
     "5001 = 5001 -> ((0 - 1) / 2 = 0)%uint63"),
])
def test_decls_that_move_keys_scopes_or_arguments_of_the_header_are_not_proved(header: str, decls: str,
                                                                                statement: str) -> None:
    v = independent_verdict(Problem(header=header, decls=decls, statement=statement), REFL)
    assert v.status in ("rejected", "error"), v
    honest = independent_verdict(Problem(header=INT63, decls=MARKER,
                                         statement="marker -> ((0 - 1) / 2 = 4611686018427387903)%uint63"), REFL)
    assert honest.status == "proved", honest


@pytest.mark.needs_coq
@pytest.mark.needs_bwrap
def test_scopes_keys_and_arguments_the_decls_declare_themselves_are_proved() -> None:
    own_module = Problem(decls="Module M.\nDefinition two := 2.\nEnd M.\nImport M.",
                         statement="two = 2")
    assert independent_verdict(own_module, "reflexivity.").status == "proved"
    own_args = Problem(decls="Definition idf {A : Type} (x : A) := x.\nArguments idf {A} x.", statement="idf 2 = 2")
    assert independent_verdict(own_args, "reflexivity.").status == "proved"
    own_scope = Problem(decls="Inductive box := Box (n : nat).\nDeclare Scope box_scope.\n"
                              "Delimit Scope box_scope with box.\nBind Scope box_scope with box.\n"
                              "Definition bplus (a b : box) := match a, b with Box x, Box y => Box (x + y) end.\n"
                              "Notation \"a ⊞ b\" := (bplus a b) (at level 50) : box_scope.",  # a token new to the header
                        statement="forall a : box, (a ⊞ Box 0)%box = a")
    v = independent_verdict(own_scope, "intros [n]. unfold bplus. rewrite <- plus_n_O. reflexivity.")
    assert v.status == "proved", v


def test_scope_use_reads_every_form_under_prefixes_and_attributes() -> None:
    use = scope_use("#[local] Arguments @f {A}.\nGlobal Bind Scope s with T U.\nLocal Delimit Scope s with k.\n"
                    "Undelimit Scope t.\nLocal Open Scope u.\nClose Scope v.\nDeclare Scope w.")
    assert use == ScopeUse(arguments=("f",), classes=("T", "U"),
                           scopes=(("Bind", "s"), ("Delimit", "s"), ("Undelimit", "t"), ("Open", "u"), ("Close", "v")),
                           keys=("k",))


PRINTED = "Scope nat_scope\nDelimiting key is nat\nBound to class nat\n\"x + y\" := (Nat.add x y)\nScope mine\n"


@pytest.mark.parametrize(("decls", "located", "refused"), [
    ("Open Scope nat_scope.", {}, True),
    ("Implicit Types n m : Z.", {}, True),
    ("Local Implicit Type x : nat.", {}, True),
    ("Declare Scope new.\nDelimit Scope new with nat.", {}, True),
    ("Declare Scope new.\nDelimit Scope new with fresh.", {}, False),
    ("Arguments f {A}.", {"f": "Constant SP_x.Problem.f"}, False),
    ("Arguments f {A}.", {"f": "Constant Coq.Init.Datatypes.f"}, True),
    ("Arguments f {A}.", {"f": None}, True),
    ("Bind Scope new with T.", {"T": "Inductive SP_x.Problem.T"}, False),
    ("Bind Scope new with nat.", {"nat": "Inductive Coq.Init.Datatypes.nat"}, True),
    ("Arguments f {A}.", {"f": "Notation SP_x.Problem.f"}, True),
    ("Module M.\nEnd M.\nImport M.", {"M": "Module SP_x.Problem.M"}, False),
    ("Module N := M.\nImport N.", {"M": "Module SP_x.Problem.M", "N": "Module SP_x.Problem.N"}, False),
    ("Module Export N := L.", {"L": "Module Coq.Lists.L"}, True),
    ("Module N := F L.", {"F": "Module SP_x.Problem.F", "L": "Module Coq.Lists.L"}, True),
    ("From Coq Require Import List.", {"Coq.List": None}, True),
    ("Export Coq.Lists.List.", {"Coq.Lists.List": "Module Coq.Lists.List"}, True),
])
def test_only_what_the_decls_declare_may_be_touched(decls: str, located: dict[str, str | None],
                                                    refused: bool) -> None:
    assert (scope_violation(scope_use(decls), PRINTED, located, "SP_x") is not None) is refused
