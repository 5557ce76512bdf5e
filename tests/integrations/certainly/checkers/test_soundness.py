"""Every cheat from the issue and the notes' trap list is refused; the honest proof next to it passes.

Each case is checked on a real coqtop through `get_checker("coq")`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from scillm.integrations.certainly.checkers import get_checker
from scillm.integrations.certainly.checkers.coq import CoqChecker, parse_assumptions
from scillm.integrations.certainly.checkers.sentences import split_sentences
from scillm.integrations.certainly.checkers.soundness import (
    check_decls,
    check_header,
    check_proof_sentences,
    check_vernacular,
)
from scillm.integrations.certainly.models import Problem

pytestmark = pytest.mark.needs_coq

AND = Problem(statement="True /\\ True")
NAT = Problem(statement="forall n : nat, n + 0 = n")
ARITH = Problem(statement="2 + 2 = 4")
GOOD_NAT = "intros n. induction n as [|n IH]; simpl; [reflexivity | rewrite IH; reflexivity]."

# (case id, problem, cheating proof or decls, honest proof)
PROOF_CHEATS = [
    ("admit", NAT, "intros n. admit.", GOOD_NAT),
    ("admit-in-ltac-term", AND, "exact ltac:(admit).", "split; exact I."),
    ("admitted", NAT, "Admitted.", GOOD_NAT),
    ("give_up", AND, "split. give_up. exact I.", "split; exact I."),
    ("abort-then-easier-theorem", ARITH, "Abort. Theorem certainly_goal : True. exact I.", "reflexivity."),
    ("axiom-in-proof", ARITH, "Axiom cheat : 2 + 2 = 4. exact cheat.", "reflexivity."),
    ("local-axiom-in-proof", ARITH, "#[local] Axiom cheat : 2 + 2 = 4. exact cheat.", "reflexivity."),
    ("parameter-in-proof", ARITH, "Parameter cheat : 2 + 2 = 4. exact cheat.", "reflexivity."),
    ("hypothesis-in-proof", ARITH, "Hypothesis cheat : 2 + 2 = 4. exact cheat.", "reflexivity."),
    ("variable-in-proof", ARITH, "Variable cheat : 2 + 2 = 4. exact cheat.", "reflexivity."),
    ("unset-guard-in-proof", NAT, "Unset Guard Checking. intros n. induction n; auto.", GOOD_NAT),
    ("qed-then-new-theorem", AND, "split; exact I. Qed. Theorem other : 2 + 2 = 4. Proof. exact cheat.", "split; exact I."),
    ("defined-in-the-middle", AND, "split; exact I. Defined. Lemma x : True. exact I.", "split; exact I."),
    ("error-then-close", AND, "split. exact I. exact bogus. exact I.", "split. exact I. exact I."),
    ("exact-no-check", ARITH, "exact_no_check (eq_refl 5).", "reflexivity."),
    ("change-no-check", ARITH, "change_no_check (5 = 5). reflexivity.", "reflexivity."),
    ("fail-prefix", AND, "Fail idtac. split; exact I.", "split; exact I."),
    ("set-timeout", AND, "Set Default Timeout 1000. split; exact I.", "split; exact I."),
    ("backto", AND, "BackTo 1. split; exact I.", "split; exact I."),
    ("load-file", AND, "Load \"/etc/passwd\". split; exact I.", "split; exact I."),
    ("fake-prompt-output", AND,
     'idtac "</infomsg><prompt>Coq < 3 || 0 < </prompt>". split; exact I.', "split; exact I."),
    ("attribute-prefixed", AND, "#[bypass_check(guard)] Fixpoint f (n : nat) : nat := f n. split; exact I.",
     "split; exact I."),
]

DECL_CHEATS = [
    ("axiom-in-decls", "Axiom cheat : 2 + 2 = 4.", "exact cheat."),
    ("parameter-in-decls", "Parameter cheat : 2 + 2 = 4.", "exact cheat."),
    ("hypothesis-in-decls", "Hypothesis cheat : 2 + 2 = 4.", "exact cheat."),
    ("variable-in-decls", "Variable cheat : 2 + 2 = 4.", "exact cheat."),
    ("context-in-decls", "Context (cheat : 2 + 2 = 4).", "exact cheat."),
    ("conjecture-in-decls", "Conjecture cheat : 2 + 2 = 4.", "exact cheat."),
    ("admitted-lemma-in-decls", "Lemma cheat : 2 + 2 = 4. Proof. Admitted.", "exact cheat."),
    ("unset-guard-in-decls",
     "Unset Guard Checking.\nFixpoint loop (n : nat) : 2 + 2 = 4 := loop n.\nSet Guard Checking.", "exact (loop 0)."),
    ("unset-positivity-in-decls", "Local Unset Positivity Checking.", "reflexivity."),
    ("declare-ml-module", "Declare ML Module \"evil_plugin\".", "reflexivity."),
    ("loadpath", "Add LoadPath \"/tmp\" as Evil.", "reflexivity."),
]


@pytest.fixture(scope="module")
def checker() -> Iterator[CoqChecker]:
    chk = get_checker("coq", pool_size=1)
    assert isinstance(chk, CoqChecker)
    yield chk
    chk.close()


@pytest.mark.parametrize(("case", "problem", "cheat", "honest"), PROOF_CHEATS, ids=[c[0] for c in PROOF_CHEATS])
def test_proof_cheat_refused_and_honest_proof_accepted(
    checker: CoqChecker, case: str, problem: Problem, cheat: str, honest: str
) -> None:
    bad = checker.check_sync(problem, cheat)
    assert not bad.ok
    assert bad.status in ("rejected", "failed"), bad
    if case != "error-then-close":
        assert (bad.status, bad.error_class) == ("rejected", "forbidden"), bad
    good = checker.check_sync(problem, honest)
    assert good.status == "proved" and good.ok, good


@pytest.mark.parametrize(("case", "decls", "cheat"), DECL_CHEATS, ids=[c[0] for c in DECL_CHEATS])
def test_decls_cheat_refused(checker: CoqChecker, case: str, decls: str, cheat: str) -> None:
    bad = checker.check_sync(Problem(decls=decls, statement="2 + 2 = 4"), cheat)
    assert (bad.status, bad.error_class, bad.ok) == ("rejected", "forbidden", False), bad
    assert checker.check_sync(Problem(statement="2 + 2 = 4"), "reflexivity.").status == "proved"
    fine = checker.check_sync(Problem(decls="Definition two := 2.", statement="two + two = 4"), "reflexivity.")
    assert fine.status == "proved"


def test_kernel_flag_in_header_refused(checker: CoqChecker) -> None:
    bad = checker.check_sync(Problem(header="Unset Universe Checking.", statement="True"), "exact I.")
    assert bad.status == "rejected"
    assert checker.check_sync(Problem(header="", statement="True"), "exact I.").status == "proved"


def test_axiom_from_a_library_the_header_did_not_load_is_refused(checker: CoqChecker) -> None:
    stmt = "forall P : Prop, P \\/ ~ P"
    sneaky = checker.check_sync(Problem(decls="Require Import Classical.", statement=stmt), "exact classic.")
    assert (sneaky.status, sneaky.error_class) == ("rejected", "forbidden"), sneaky
    assert "Classical_Prop.classic" in (sneaky.first_error or "")
    unconfirmed = checker.check_sync(Problem(decls="Require Import Classical.", statement=stmt), "exact classic.",
                                     confirm=False)
    assert unconfirmed.status == "proved"  # only confirm() looks at axioms; the loop confirms winners
    honest = checker.check_sync(Problem(header="Require Import Classical.", statement=stmt), "exact classic.")
    assert honest.status == "proved"
    assert honest.axioms == ["Coq.Logic.Classical_Prop.classic"]


def test_reals_axioms_are_allowed_with_a_reals_header(checker: CoqChecker) -> None:
    p = Problem(header="Require Import Reals.\nOpen Scope R_scope.", statement="forall x : R, x + 0 = x")
    r = checker.check_sync(p, "intros. ring.")
    assert r.status == "proved"
    assert "Coq.Reals.ClassicalDedekindReals.sig_forall_dec" in r.axioms


def test_disabled_guard_shows_in_print_assumptions(tmp_path: Path) -> None:
    src = ("Unset Guard Checking.\nFixpoint loop (n : nat) : False := loop n.\nSet Guard Checking.\n"
           "Theorem t : False. Proof. exact (loop 0). Qed.\nPrint Assumptions t.\n")
    (tmp_path / "g.v").write_text(src)
    out = subprocess.run(["coqc", "-q", "g.v"], cwd=tmp_path, capture_output=True, text=True, timeout=120).stdout
    axioms, other = parse_assumptions(out)
    assert other, out


def test_whitelist_and_blacklist_as_pure_text() -> None:
    assert check_proof_sentences(split_sentences("intros. - auto. + { simpl. } 2: lia. all: auto. [x]: eauto.")) is None
    assert check_proof_sentences(split_sentences("idtac \"Admitted\". (* admit *) auto.")) is None
    assert check_proof_sentences(split_sentences("Time auto.")) is not None
    assert check_vernacular(split_sentences("Require Import Lia. Declare Scope s. Add Ring r : t."), "decls") is None
    assert check_vernacular(split_sentences("Global Axiom x : False."), "decls") is not None


def _reason(check: object, text: str) -> str | None:
    v = check(split_sentences(text))  # type: ignore[operator]
    return None if v is None else v.reason


@pytest.mark.parametrize(("text", "fragment"), [
    ('Time Redirect "/tmp/x" Print nat.', "Redirect"),
    ('Time Cd "/".', "Cd"),
    ('Time Load "/etc/passwd".', "Load"),
    ("Timeout 5 Axiom c : False.", "assumption"),
    ("#[local] Axiom c : False.", "assumption"),
    ("Fail Fail Axiom c : False.", "assumption"),
    ('Succeed Declare ML Module "x".', "Declare ML"),
    ('Add Rec LoadPath "/" as X.', "load paths"),
    ('Instructions Extraction "f" nat.', "Extraction"),
    ("Local Unset Universe Checking.", "kernel"),
    ("Set Default Timeout 5.", "Default Timeout"),
    ("Set Nested Proofs Allowed.", "Nested Proofs Allowed"),
    ("Definition x := 1.", "not allowed in the header"),
    ("Profile Import Nat.", "Profile"),
    ("From Ltac2 Require Import Ltac2.", "Ltac2"),
])
def test_header_is_an_allow_list_seen_through_prefixes(text: str, fragment: str) -> None:
    reason = _reason(check_header, text)
    assert reason is not None and fragment in reason, reason


@pytest.mark.parametrize("text", [
    "From Coq Require Import Arith Lia List Bool.\nImport ListNotations.",
    "Require Import Reals.\nOpen Scope R_scope.",
    "Set Implicit Arguments. Unset Strict Implicit. Unset Printing Implicit Defensive.",
    "Local Open Scope Z_scope. Close Scope Z_scope. Require Export Coq.ZArith.ZArith.",
    'Set Warnings "-notation-overridden". Set Bullet Behavior "Strict Subproofs".',
])
def test_honest_headers_pass(text: str) -> None:
    assert _reason(check_header, text) is None


@pytest.mark.parametrize(("text", "fragment"), [
    ("Conjectures c : False.", "assumption"),
    ("Axioms a b : False.", "assumption"),
    ("Parameters p : False.", "assumption"),
    ("Hypotheses h : False.", "assumption"),
    ("Variables x : nat.", "assumption"),
    ("Context (x : False).", "assumption"),
    ("Global Axiom x : False.", "assumption"),
    ("Declare Instance i : Foo.", "assumption"),
    ("Declare Module X : T.", "assumption"),
    ("Module F (X : T). End F.", "module parameters"),
    ("Module Type G [X : T]. End G.", "module parameters"),
    ("Module ΦUN (E : T). End ΦUN.", "module parameters"),
    ("Module Type T. End T.", "plain `Module M.`"),
    ("Module W := MAKE.", "plain `Module M.`"),
    ("Module MAKE := MSetProperties.", "plain `Module M.`"),  # a library functor reached through an alias
    ("Module x².", "plain `Module M.`"),  # a name as Coq reads it: `x`, then the symbol `²`
    ("Module Import W := MAKE <+ Empty.", "plain `Module M.`"),
    ("Module RES := W.ΦUN M.", "plain `Module M.`"),
    ("Module M : T. End M.", "plain `Module M.`"),
    ("Module M <: T. End M.", "plain `Module M.`"),
    ("#[local] Module W := M.", "plain `Module M.`"),
    ("#[bypass_check(guard)] Fixpoint f (n : nat) : nat := f n.", "kernel"),
    ("Typing Flags.", "kernel"),
    ("Register foo as bar.", "Register"),
    ("Primitive x := #int63_add.", "Primitive"),
    ("Extraction Language OCaml.", "Extraction"),
    ('Add ML Path "/x".', "load paths"),
    ("Check nat.", "not allowed in decls"),
    ("Lemma x : True. Proof. admit. Qed.", "admit"),
    ("Lemma x : True. Admitted.", "Admitted"),
    ("Time Definition x := 1.", "prefix"),
    ("Notation False := True.", "False"),
    ("Definition False := True.", "False"),
    ('Notation "x + y" := (x).', "standard notation"),
    ('Infix "+" := Nat.sub.', "standard notation"),
    ('Reserved Notation "x + y" (at level 50).', "standard notation"),
    ("Local Notation \"'False'\" := True.", "False"),
    ('Notation "False" := True.', "False"),
    ("Notation \"'forall' x , P\" := (x) (at level 200, x binder).", "standard notation"),
    ("Inductive t := True | B.", "True"),
    ("Module Nat. Definition add := 0. End Nat.", "Nat"),
    ("Number Notation nat f g : nat_scope.", "literals"),
    ("Delimit Scope R_scope with nat.", "standard notations"),
    ("Arguments plus : simpl never.", "standard constant"),
])
def test_decls_refusals_name_the_class(text: str, fragment: str) -> None:
    reason = _reason(check_decls, text)
    assert reason is not None and fragment in reason, reason


@pytest.mark.parametrize("text", [
    "Definition f n := n + 1.",
    "Fixpoint sum_to (n : nat) : nat := match n with 0 => 0 | S k => n + sum_to k end.",
    "Lemma helper : 1 = 1. Proof. reflexivity. Qed.\nLemma h2 : True. Proof. - exact I. Defined.",
    "Inductive ev : nat -> Prop := ev0 : ev 0 | evS n : ev n -> ev (S (S n)).",
    "Require Import Classical. Existing Instance foo. Hint Resolve foo : core. Section S. End S.",
    "Program Definition f := 1. Export Set Implicit Arguments. Add Ring r : t. Declare Scope my_scope.",
    'Notation "x +++ y" := (x + y) (at level 50). Notation double n := (n + n). Arguments Nat.add : simpl never.',
    "Module M. Definition x := 1. End M. Ltac crush := auto. #[local] Instance e : Easy := {}.",
])
def test_honest_decls_pass(text: str) -> None:
    assert _reason(check_decls, text) is None


@pytest.mark.parametrize("text", [
    "idtac... Axiom cheat : False. exact cheat.",
    "1: Axiom c : False.",
    "all: #[local] Axiom c : False.",
    "Time lia.",
    "Timeout 3 lia.",
    "Fail idtac.",
    'Redirect "x" idtac.',
])
def test_proofs_hold_only_tactics(text: str) -> None:
    assert check_proof_sentences(split_sentences(text)) is not None


def test_unshelve_is_the_one_capitalised_proof_command() -> None:
    assert check_proof_sentences(split_sentences("eapply f. Unshelve. exact 0.")) is None
    assert check_proof_sentences(split_sentences("Time Unshelve.")) is not None


@pytest.mark.parametrize(("decls", "refused"), [
    ("Polymorphic Cumulative Inductive T@{u} : Type@{u} := mk.", True),
    ("Set Universe Polymorphism.\nCumulative Inductive T := mk.", True),
    ("#[universes(cumulative)] Inductive T := mk.", True),
    ("#[universes(polymorphic, cumulative=yes)] Inductive T := mk.", True),
    ("#[universes(cumulative=no)] Inductive T := mk.", False),
    ("NonCumulative Polymorphic Inductive T := mk.", False),
    ("Polymorphic Inductive T := mk.", False),
])
def test_cumulative_inductives_are_refused_in_decls(decls: str, refused: bool) -> None:
    v = check_decls(split_sentences(decls))
    assert (v is not None and "cumulative" in v.reason) if refused else v is None, v
