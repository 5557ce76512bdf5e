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


_CAST = "change ((fun _ : nat => True) ({} 0)). vm_compute. exact I."


def test_a_fix_only_in_a_vm_cast_type_is_seen() -> None:
    """`vm_compute` leaves the changed goal as a cast's type, which `cbv` of the body drops."""
    own = independent_verdict(Problem(statement="True"), _CAST.format(
        "(fix f (n : nat) : nat := match n with 0 => 0 | S k => f k end)"))
    assert own.status == "rejected" and "recursion" in own.message, own
    assert independent_verdict(Problem(statement="True"), _CAST.format("S")).status == "proved"


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
    ("\n- : int = 0\n", 0),
    ("- : int = 1", 1),
    ("- : int = 2", 2),
    ("- : int = 3", None),
    ("- : bool = true", None),
    ("", None),
    ("- : int = 0\n- : int = 0", None),
    ("Error", None),
])
def test_the_scan_answer_is_read_exactly(region: str, answer: int | None) -> None:
    assert recursion_answer(region) == answer


_ISSUE_FIXPOINT = (
    "Definition not_zero n := match n with | 0 => False | S _ => True end.\n"
    "Definition not_one n := match n with | 0 => False | S n => not_zero n end.\n"
    "Fixpoint issue (n : nat) {struct n} : not_zero n -> False :=\n"
    "  match n as n0 return (not_zero n0 -> False) with\n"
    "  | O => fun h : not_zero O => h\n"
    "  | S subn => fun _ : not_zero (S subn) =>\n"
    "      let f : forall (b : bool) (_ : b = true) (x : nat) (_ : not_one x), False :=\n"
    "        fun (b : bool) (e : b = true) (x : nat) (Hx : not_one x) =>\n"
    "        let arg : nat := match (match b return nat with | true => x | false => subn end) return nat with\n"
    "                         | O => subn | S subsubn => subsubn end in\n"
    "        issue arg\n"
    "          (@eq_ind_r bool true\n"
    "             (fun b0 : bool => not_zero (match (match b0 return nat with | true => x | false => subn end)\n"
    "                                          return nat with | O => subn | S subsubn => subsubn end))\n"
    "             (match x as n0 return (not_one n0 -> not_zero (match n0 return nat with | O => subn\n"
    "                                                                 | S subsubn => subsubn end)) with\n"
    "              | O => fun Hx0 : not_one O => False_ind _ Hx0\n"
    "              | S n0 => fun Hx0 : not_one (S n0) => Hx0\n"
    "              end Hx) b e) in\n"
    "      f true eq_refl 5 I\n"
    "  end.")
_LET_INDEX_FIXPOINT = (
    'Inductive J (A : Type) : forall (u : unit), let v := u in Type := Zj : J A tt | Sj : J A tt -> J A tt.\n'
    'Definition P (u : unit) (n : J unit u) : Prop := match n in J _ u return Prop with Zj _ => False | Sj _ _ => True end.\n'
    'Definition P2 (u : unit) (n : J unit u) : Prop := match n in J _ u return Prop with Zj _ => False | Sj _ m => P tt m end.\n'
    'Fixpoint issue (n : J unit tt) {struct n} : P tt n -> False :=\n'
    ' match n as n0 in J _ u return (P u n0 -> False) with\n'
    ' | Zj _ => fun h => h\n'
    ' | Sj _ subn => fun _ =>\n'
    '   let f := fun (b : bool) (e : b = true) (x : J unit tt) (Hx : P2 tt x) =>\n'
    '     let arg := match (match b return J unit tt with true => x | false => subn end) in J _ u return J unit tt with Zj _ => subn | Sj _ ss => ss end in\n'
    '     (match subn in J _ u return (forall y : J unit tt, P tt y -> False) with\n'
    '      | Zj _ => fun y hy => issue y hy\n'
    '      | Sj _ s2 => fun y hy => issue y hy end)\n'
    '     arg\n'
    '     (@eq_ind_r bool true (fun b0 => P tt (match (match b0 return J unit tt with true => x | false => subn end) in J _ u return J unit tt with Zj _ => subn | Sj _ ss => ss end))\n'
    "       (match x as x0 in J _ u return (P2 u x0 -> P tt (match x0 in J _ u' return J unit tt with Zj _ => subn | Sj _ ss => ss end)) with\n"
    '        | Zj _ => fun Hx0 => False_ind _ Hx0\n'
    '        | Sj _ m => fun Hx0 => Hx0 end Hx) b e)\n'
    '   in f true eq_refl (Sj unit (Sj unit (Zj unit))) I\n'
    ' end.'
)
_INNER = FIX_TACTIC[FIX_TACTIC.index("{ ") + 2: FIX_TACTIC.index(" }")]


@pytest.mark.parametrize(("decls", "statement", "proof"), [
    (_ISSUE_FIXPOINT, "1 = 2", "exact (False_ind _ (issue 1 I))."),
    # A let-in among an inductive's indices: its return clauses hold a `let`, so the count of a branch's
    # constructor arguments cannot be read from them, and a lambda of the branch must not pass for one.
    (_LET_INDEX_FIXPOINT, "1 = 2", "exact (False_ind _ (issue (Sj unit (Zj unit)) I))."),
    (_LET_INDEX_FIXPOINT, "False", "exact (issue (Sj unit (Zj unit)) I)."),
    ("Lemma helper : False.\nProof.\n" + FIX_TACTIC + "\nQed.", "1 = 2", "exfalso. exact helper."),
    (f"Definition issue : forall n : nat, {_SPEC} -> False.\nProof.\n{_INNER}\nDefined.", "False",
     "exact (issue 1 I)."),
    ("Lemma helper : forall m : nat, m + 1 = m.\nProof.\nintros m. exfalso.\n"
     + FIX_TACTIC.replace("exfalso. exact (H 1 I).", "exact (H 1 I).") + "\nQed.\nHint Resolve helper : core.",
     "forall n : nat, n + 1 = n", "auto."),
])
def test_the_decls_own_recursion_through_the_guard_bug_is_not_proved(decls: str, statement: str, proof: str) -> None:
    v = independent_verdict(Problem(decls=decls, statement=statement), proof)
    # An inductive with a let-in among its indices is refused before its recursion is read (`verdict_recursion`).
    why = "let-in" if decls == _LET_INDEX_FIXPOINT else "recursion"
    assert v.status == "rejected" and why in v.message, v


@pytest.mark.parametrize(("decls", "statement", "proof"), [
    ("Fixpoint fib (n : nat) : nat := match n with 0 | 1 => n | S (S k as m) => fib m + fib k end.", "fib 10 = 55",
     "reflexivity."),
    ("Inductive tree := Leaf | Node (l : tree) (x : nat) (r : tree).\nFixpoint size (t : tree) : nat := "
     "match t with Leaf => 0 | Node l _ r => size l + 1 + size r end.", "size (Node Leaf 1 (Node Leaf 2 Leaf)) = 2",
     "reflexivity."),
    ("Fixpoint add2 (n : nat) : nat -> nat := match n with 0 => fun m => m | S k => fun m => S (add2 k m) end.",
     "forall m, add2 2 m = S (S m)", "reflexivity."),
    ("Fixpoint ev (n : nat) : bool := match n with 0 => true | S k => od k end\n"
     "with od (n : nat) : bool := match n with 0 => false | S k => ev k end.", "ev 10 = true", "reflexivity."),
    ("Fixpoint len {A} (l : list A) : nat := match l with nil => 0 | cons _ t => S (len t) end.",
     "forall A (l : list A), len l = length l", "induction l. reflexivity. simpl. rewrite IHl. reflexivity."),
    ("Fixpoint dbl (n : nat) := match n with 0 => 0 | S k => S (S (dbl k)) end.\n"
     "Lemma dbl_plus : forall n, dbl n = n + n.\nProof. induction n. reflexivity. simpl. rewrite IHn. "
     "rewrite <- plus_n_Sm. reflexivity. Qed.", "dbl 21 = 42", "rewrite dbl_plus. reflexivity."),
])
def test_structural_decls_recursion_and_decls_lemmas_are_proved(decls: str, statement: str, proof: str) -> None:
    v = independent_verdict(Problem(decls=decls, statement=statement), proof)
    assert v.status == "proved", v
