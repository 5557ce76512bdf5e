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
from scillm.integrations.certainly.checkers.soundness import check_proof_sentences, check_vernacular
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
