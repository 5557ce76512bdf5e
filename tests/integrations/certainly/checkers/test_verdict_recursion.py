"""Proofs that define their own recursion are not proved: the kernel's guard checker is not trusted (real coqc/coqchk).

Coq 8.16's guard checker, which `coqchk` shares, accepts a `fix` whose
recursive call is on a match over a match (rocq#20455), and with it a proof
of `False` made of tactics only; later releases fixed that one and have
others open. So the verdict reads the proof term itself (`verdict_recursion`):
a `fix`/`cofix` is accepted only where it is the body of a defined function
(unfolded by `cbv`, `unfold`), recursion otherwise goes through induction
principles. Each attack below came back `proved` with no axiom before.
"""

from __future__ import annotations

from typing import Any

import pytest

import scillm
from scillm.integrations.certainly.checkers.verdict import independent_verdict
from scillm.integrations.certainly.checkers.verdict_recursion import recursion_answer
from scillm.integrations.certainly.models import Problem

pytestmark = [pytest.mark.needs_coq, pytest.mark.needs_bwrap]

_SPEC = "(match n with 0 => False | S _ => True end)"
_TWO = "(match x with 0 => False | S x' => match x' with 0 => False | S _ => True end end)"
_BODY = (f"match n as n0 return (match n0 with 0 => False | S _ => True end) -> False with\n"
         f"  | 0 => fun h => h\n"
         f"  | S subn => fun h =>\n"
         f"    let f (b : bool) (e : b = true) (x : nat) (Hx : {_TWO}) :=\n"
         f"      let arg := (match (if b then x else subn) with 0 => subn | S subsubn => subsubn end) in\n"
         f"      issue arg _\n"
         f"    in f true eq_refl 5 I\n"
         f"  end")
_CLOSE = "subst b. destruct x; cbn in Hx.\n- now exfalso.\n- assumption."
#: The `fix` tactic: the word `fix` is only a tactic's name.
FIX_TACTIC = (f"assert (H : forall n : nat, {_SPEC} -> False).\n{{ fix issue 1. intros n.\nrefine ({_BODY}).\n"
              f"{_CLOSE} }}\nexfalso. exact (H 1 I).")
#: The same recursion as a term.
FIX_TERM = f"refine ((fix issue (n : nat) {{struct n}} : {_SPEC} -> False :=\n{_BODY}) 1 I).\n{_CLOSE}"


@pytest.mark.parametrize(("statement", "proof"), [
    ("1 = 2", FIX_TACTIC),
    ("False", FIX_TACTIC),
    ("False", FIX_TERM),
    ("1 = 2", "exfalso. " + FIX_TERM),
    ("forall n : nat, n + 1 = n", "intros. exfalso. " + FIX_TERM),
    ("1 = 2", f"exfalso. assert (H : forall n : nat, {_SPEC} -> False) by abstract (fix issue 1; intros n; "
              f"refine ({_BODY}); subst b; destruct x; cbn in Hx; [now exfalso | assumption]). exact (H 1 I)."),
])
def test_a_proof_by_its_own_fixpoint_is_not_proved(statement: str, proof: str) -> None:
    v = independent_verdict(Problem(statement=statement), proof)
    assert v.status == "rejected", v
    assert "recursion" in v.message


def test_through_the_public_api_the_guard_bug_gives_no_proved() -> None:
    fields: dict[str, Any] = {"requirement_text": "1 = 2", "tactics": [FIX_TACTIC]}
    response = scillm.certainly_prove([fields], tactics_only=True, cache=False, request_timeout=240)
    result = response.additional_kwargs["certainly"]["results"][0]
    assert result["status"] != "proved", result


@pytest.mark.parametrize(("decls", "statement", "proof"), [
    ("", "forall n : nat, n + 0 = n", "induction n. reflexivity. simpl. rewrite IHn. reflexivity."),
    # `cbv` unfolds Nat.add and Nat.mul: their bodies, fixpoints included, enter the proof term.
    ("", "forall n : nat, n + 0 = n", "intros n. induction n. cbv. reflexivity. cbv. cbv in IHn. rewrite IHn. "
                                      "reflexivity."),
    ("", "forall n : nat, n * 0 = 0", "intros n. induction n. reflexivity. cbv. cbv in IHn. exact IHn."),
    ("Fixpoint dbl (n : nat) := match n with 0 => 0 | S k => S (S (dbl k)) end.", "forall n, dbl n = n + n",
     "induction n. reflexivity. unfold dbl. fold dbl. rewrite IHn. simpl. rewrite <- plus_n_Sm. reflexivity."),
    ("", "forall n : nat, n + 0 = n /\\ True", "intros n. split. transparent_abstract (induction n; simpl; auto). "
                                              "exact I."),
])
def test_recursion_through_induction_or_defined_functions_is_proved(decls: str, statement: str, proof: str) -> None:
    v = independent_verdict(Problem(decls=decls, statement=statement), proof)
    assert v.status == "proved", v


def test_an_honest_proof_by_fix_is_refused_and_says_why() -> None:
    v = independent_verdict(Problem(statement="forall n : nat, n + 0 = n"),
                            "fix IH 1. intros [|n]. reflexivity. simpl. rewrite IH. reflexivity.")
    assert v.status == "rejected" and "induction" in v.message, v


@pytest.mark.parametrize(("region", "answer"), [
    ("\n- : bool = false\n", False),
    ("- : bool = true", True),
    ("", None),
    ("- : bool = false\n- : bool = false", None),
    ("Error", None),
])
def test_the_scan_answer_is_read_exactly(region: str, answer: bool | None) -> None:
    assert recursion_answer(region) is answer
