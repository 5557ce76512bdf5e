"""Forged `proved` through the public API: each attack is refused and its honest twin is proved.

Every attack below came back `proved` (or touched the host) before the
independent verdict and the prover sandbox existed. The items go through
`scillm.certainly_prove` with the proof given as the only tactic, so the
checker, the loop, the cache and the final verdict all take part.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

import scillm

pytestmark = [pytest.mark.needs_coq, pytest.mark.needs_bwrap]

_PHRASE = "Notation \"'Closed' 'under' 'the' 'global' 'context'\" := (1 = 2)."
# Old lexers read `tac...` as one sentence; coqtop reads two. The nested lemma hides the extra prompts.
_NESTED = ("idtac... Set Nested Proofs Allowed. idtac... " + _PHRASE + " idtac... Axiom cheat : "
           "Closed under the global context. idtac... Lemma h : True. idtac. idtac. idtac. exact I... Qed. exact cheat.")


def _prove(item: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in item.items() if k != "proof"}
    response = scillm.certainly_prove([{**fields, "tactics": [item["proof"]]}], tactics_only=True, cache=False,
                                      request_timeout=240)
    result: dict[str, Any] = response.additional_kwargs["certainly"]["results"][0]
    return result


def _item(statement: str, proof: str, **extra: str | None) -> dict[str, Any]:
    return {"requirement_text": statement, "proof": proof, "header": extra.pop("header", ""), **extra}


# Coq 8.16.1's kernel and coqchk give `RES.G.bug` and `RES'.G.bug` one canonical name (rocq#21051): a
# functor with an inner alias, re-bound by a module alias, then applied twice. The functor's name is not ASCII.
_MODULE_ALIAS_BUG = """Module Type T.
Definition n : bool. Proof. abstract exact true. Defined.
End T.
Module M. Definition n_subproof := true. Definition n := n_subproof. End M.
Module M'. Definition n_subproof := false. Definition n := n_subproof. End M'.
Module MAKE.
Module ΦUN (E : T).
Module F. Definition bug := E.n. End F.
Module G := F.
End ΦUN.
End MAKE.
Module W := MAKE.
Module RES := W.ΦUN M.
Module RES' := W.ΦUN M'.
Lemma foo : RES.G.bug = RES'.G.bug. Proof. reflexivity. Qed.
Lemma foo0 : RES.G.bug = true. Proof. reflexivity. Qed.
Lemma foo1 : RES'.G.bug = false. Proof. reflexivity. Qed.
Lemma unsound : False.
Proof. assert (true = false); [|congruence]. rewrite <- foo0; rewrite <- foo1; apply foo. Qed.
"""
_PLAIN_MODULES = """Module M. Definition n := true. End M.
Module MAKE.
Module Fm. Definition bug := M.n. End Fm.
End MAKE.
Import MAKE.Fm.
Lemma foo0 : bug = true. Proof. reflexivity. Qed.
"""

_PARADOX = "Coq.Logic.Hurkens.TypeNeqSmallType.paradox"
_REALS = "Require Import Reals."  # loads Hurkens' paradox
_SSR = "From Coq Require Import ssreflect ssrbool. Require Coq.Logic.Hurkens."
_LIST = "From Coq Require Import List."
_LIKE_HELPER = "Definition scillm_T := Type.\nDefinition T1 := scillm_T."

# (case, attack item, honest item of the same shape)
CASES = [
    # A statement's unannotated `Type`s are universes whose relation is left open: the proof may not pick it.
    ("universes-chosen-by-the-proof", _item("(Type = Type) /\\ ~ (Type = Type)",
                                            f"split. reflexivity. intro H. exact ({_PARADOX} _ (eq_sym H)).",
                                            header=_REALS),
     _item("forall (A : Type) (l : list A), rev (rev l) = l", "intros. apply rev_involutive.", header=_LIST)),
    ("universes-of-decls-chosen-by-the-proof", _item("T1 <> T2", f"intro H. exact ({_PARADOX} _ H).", header=_REALS,
                                                     decls="Definition T1 := Type.\nDefinition T2 := Type."),
     _item("T1 = T1", "reflexivity.", header=_REALS, decls="Definition T1 := Type.\nDefinition T2 := Type.")),
    ("universes-of-a-library-constant", _item("Type <> predArgType", f"intro H. exact ({_PARADOX} _ H).", header=_SSR),
     _item("predArgType = predArgType", "reflexivity.", header=_SSR)),
    ("universes-under-universe-polymorphism", _item("Type <> Type", f"intro H. exact ({_PARADOX} _ (eq_sym H)).",
                                                    header=_REALS + " Set Universe Polymorphism."),
     _item("forall (A : Type) (x : A), x = x", "intros; reflexivity.", header="Set Universe Polymorphism.")),
    # a decls name that looks like one of the verdict's own constants is still the decls'
    ("universes-of-a-decls-name-like-the-verdicts", _item("T1 <> Type", f"intro H. exact ({_PARADOX} _ H).",
                                                          header=_REALS, decls=_LIKE_HELPER),
     _item("forall A : T1, A = A", "intros; reflexivity.", decls=_LIKE_HELPER)),
    ("universes-of-polymorphic-decls",
     _item("T1 = T2", "reflexivity.", decls="Polymorphic Definition T1 := Type.\nPolymorphic Definition T2 := Type."),
     _item("forall A : T1, A = A", "intros; reflexivity.", decls="Polymorphic Definition T1 := Type.")),
    # A relation between a statement universe and a library one that the statement is tied to (a record's, one
    # reached through a notation) decides the statement too: each of these and its negation checked in plain Coq.
    ("universes-of-a-library-record", _item("exists P : predType bool, pred_sort P = Type",
                                            "exists (@PredType bool Type (fun _ _ => true)). reflexivity.",
                                            header=_SSR),
     _item("forall (A : Type) (l1 l2 : list A), length (l1 ++ l2) = length l1 + length l2",
           "intros. apply app_length.", header=_LIST)),
    ("universes-of-a-library-record-negated", _item("~ (exists P : predType bool, pred_sort P = Type)",
                                                    f"intros [P h]. exact ({_PARADOX} _ (eq_sym h)).", header=_SSR),
     _item("forall (A : Type) (x : A) (l : list A), In x (x :: l)", "intros. apply in_eq.", header=_LIST)),
    ("universes-of-a-stdlib-record", _item("exists p : DependentEliminationPackage nat, @elim_type nat p = Type",
                                           "exists {| elim_type := Type; elim := nat |}. reflexivity.",
                                           header=_REALS + " Require Import Coq.Program.Equality."),
     _item("forall (A : Type) (P : A -> Prop) (l : list A), Forall P l -> forall x, In x l -> P x",
           "intros A P l H x Hx. rewrite Forall_forall in H. auto.", header=_LIST)),
    ("universes-through-a-notation", _item("~ exists T, {: T} = {: T} /\\ Type = T",
                                           f"intros [T [_ h]]. exact ({_PARADOX} T h).",
                                           header="From Coq Require Import ssreflect ssrbool. " + _REALS),
     _item("forall T : predArgType, {: T} = {: T}", "intros; reflexivity.",
           header="From Coq Require Import ssreflect ssrbool.")),
    ("universes-in-a-whole-file", _item("From Coq Require Import ssreflect ssrbool.\n" + _REALS +
                                        "\nTheorem t : exists P : predType bool, Type = P.\nAdmitted.\n",
                                        "exists (@PredType bool Type (fun _ _ => true)). reflexivity.", header=None),
     _item("From Coq Require Import List.\nTheorem t : forall (A : Type) (l : list A), rev (rev l) = l.\nAdmitted.\n",
           "intros. apply rev_involutive.", header=None)),
    ("universes-in-an-existential", _item("~ (exists A : Type, forall B : Type, A <> B)",
                                          "intros [A H]. exact (H A eq_refl)."),
     _item("forall (A B : Type) (f : A -> B) (l : list A), length (map f l) = length l",
           "intros. apply map_length.", header=_LIST)),
    ("decls-module-alias-delta-resolver", _item("False", "exact unsound.", decls=_MODULE_ALIAS_BUG),
     _item("bug = true", "exact foo0.", decls=_PLAIN_MODULES)),
    ("decls-module-alias-delta-resolver-nat", _item("0 = 1", "destruct unsound.", decls=_MODULE_ALIAS_BUG),
     _item("0 = 0 /\\ bug = true", "split; [reflexivity | exact foo0].", decls=_PLAIN_MODULES)),
    ("decls-notation-false", _item("False", "exact I.", decls="Notation False := True."),
     _item("T", "exact I.", decls="Notation T := True.")),
    ("decls-definition-false", _item("False", "exact I.", decls="Definition False := True."),
     _item("my_true /\\ True", "split; exact I.", decls="Definition my_true := True.")),
    ("decls-notation-plus", _item("forall n : nat, n + 1 = n", "intros; reflexivity.",
                                  decls='Notation "x + y" := (x).'),
     _item("forall n : nat, add1 n = n + 1", "intros; reflexivity.",
           decls="Definition add1 (n : nat) := n + 1.")),
    ("decls-shadow-with-own-names", _item("k = 0 /\\ False", "split; [reflexivity | exact I].",
                                          decls="Definition False := True. Definition k := 0."),
     _item("k = 0 /\\ True", "split; [reflexivity | exact I].", decls="Definition k := 0.")),
    ("axiom-typed-as-the-closed-phrase", _item("1 = 2", "exact cheat.",
                                               decls=_PHRASE + " Time Axiom cheat : Closed under the global context."),
     _item("1 + 1 = 2", "reflexivity.", decls=_PHRASE)),
    ("conjectures-plural", _item("False", "exact cheat.", decls="Conjectures cheat : False."),
     _item("True", "exact I.", decls="Definition unused := 0.")),
    ("nested-lemma-balances-prompts", _item("1 = 2", _NESTED),
     _item("1 + 1 = 2", "idtac. reflexivity.")),
    ("abort-after-lexer-gap", _item("forall n : nat, n + 1 = n", "idtac... Abort. Theorem certainly_goal : True. exact I."),
     _item("forall n : nat, n + 0 = n", "intros n; induction n; simpl; auto.")),
    ("comment-glued-to-a-declared-token", _item("1 = 2", "idtac ](* . Axiom cheat : 1 = 2. *) . exact cheat.",
                                                decls='Notation "x ]( y" := (x + y) (at level 50).'),
     _item("1 + 1 = 2", "exact (@eq_refl nat (1 +(* c. *) 1)).")),
    ("false-axiom-of-a-trusted-library", _item("1 = 2", "exfalso. pose proof (Sint63.asr_spec (-1)%sint63 63%sint63) "
                                                "as H. cbv in H. discriminate H.", header="Require Import Sint63."),
     _item("(to_Z 3 < to_Z 5)%Z", "apply Sint63.ltb_spec. reflexivity.", header="Require Import Sint63 ZArith.")),
]


@pytest.mark.parametrize(("case", "attack", "honest"), CASES, ids=[c[0] for c in CASES])
def test_forged_proof_is_not_proved_and_its_honest_twin_is(case: str, attack: dict[str, Any],
                                                           honest: dict[str, Any]) -> None:
    bad = _prove(attack)
    assert bad["status"] != "proved", (case, bad)
    assert bad["attempts"], (case, bad["explanation"])
    good = _prove(honest)
    assert good["status"] == "proved", (case, good["explanation"], good["attempts"])
    assert isinstance(good["axioms"], list)


def test_proved_results_list_the_axioms_they_rest_on() -> None:
    classical = _prove(_item("forall P : Prop, P \\/ ~ P", "exact classic.", header="Require Import Classical."))
    assert classical["status"] == "proved"
    assert classical["axioms"] == ["Coq.Logic.Classical_Prop.classic"]
    plain = _prove(_item("forall n : nat, n + 0 = n", "intros n; induction n; simpl; auto."))
    assert plain["status"] == "proved" and plain["axioms"] == []


def test_axiom_of_a_library_loaded_only_by_decls_is_refused() -> None:
    bad = _prove(_item("forall P : Prop, P \\/ ~ P", "exact classic.", decls="Require Import Classical."))
    assert bad["status"] != "proved", bad


@pytest.mark.parametrize("where", ["header", "proof"])
def test_redirect_cannot_write_a_host_file(tmp_path: Path, where: str) -> None:
    target = Path("/tmp") / f"scillm_redirect_{secrets.token_hex(6)}"
    sentence = f'Time Redirect "{target}" Print nat.'
    if where == "header":
        item = _item("True", "exact I.", header=sentence)
    else:
        item = _item("True", f"idtac... {sentence} exact I.")
    _prove(item)
    assert not Path(f"{target}.out").exists() and not target.exists()
    assert _prove(_item("True", "exact I."))["status"] == "proved"


def test_load_cannot_read_a_host_file(tmp_path: Path) -> None:
    host = tmp_path / "secret_defs.v"
    host.write_text("Definition secret := 1.\n", encoding="utf-8")
    bad = _prove(_item("secret = 1", "reflexivity.", header=f'Time Load "{host.with_suffix("")}".'))
    assert bad["status"] != "proved", bad
    assert _prove(_item("secret = 1", "reflexivity.", decls="Definition secret := 1."))["status"] == "proved"


# Local decls: the proof may use them (as it could in the search), but they still cannot change the statement.
LOCAL_CASES = [
    ("local-definition", _item("False", "exact I.", decls="#[local] Definition False := True."),
     _item("foo = 1", "unfold foo. reflexivity.", decls="#[local] Definition foo := 1.")),
    ("local-notation", _item("False", "exact I.", decls="Local Notation False := True."),
     _item("forall n : nat, n + n = 2 * n", "intros n. change (dbl n = 2 * n). unfold dbl_fn. simpl. ring.",
           header="Require Import Arith.",
           decls='Definition dbl_fn (n : nat) := n + n. Local Notation "\'dbl\' x" := (dbl_fn x) (at level 10).')),
    ("local-hint", _item("1 = 2", "auto with local_db.",
                         decls="Create HintDb local_db. #[local] Hint Extern 1 => exact I : local_db."),
     _item("my_fact 3", "auto with local_db.", decls="Definition my_fact (n : nat) := n = n. "
           "Lemma my_fact_ok n : my_fact n. Proof. reflexivity. Qed. Create HintDb local_db. "
           "#[local] Hint Resolve my_fact_ok : local_db.")),
]


@pytest.mark.parametrize(("case", "attack", "honest"), LOCAL_CASES, ids=[c[0] for c in LOCAL_CASES])
def test_local_decls_serve_the_proof_but_cannot_change_the_statement(case: str, attack: dict[str, Any],
                                                                     honest: dict[str, Any]) -> None:
    bad = _prove(attack)
    assert bad["status"] != "proved", (case, bad)
    good = _prove(honest)
    assert good["status"] == "proved", (case, good["explanation"], good["attempts"])


_LE_CLASS = 'Class Le (A : Type) := le_op : A -> A -> Prop.\nInfix "≼" := le_op (at level 70).'  # a token new to the header
# Coercions, instances and `Arguments` in decls: they may not silently change how the statement elaborates.
MACHINERY_CASES = [
    ("decls-coercion-inserted", _item("false", "exact I.", decls="Coercion bool_true (b : bool) : Prop := True."),
     _item("holds true", "reflexivity.",
           decls="Definition holds (b : bool) : Prop := b = true. Coercion holds : bool >-> Sortclass.")),
    ("decls-instance-inserted", _item("le_op 3 1", "exact I.",
                                      decls=_LE_CLASS + "\n#[export] Instance le_true : Le nat := fun _ _ => True."),
     _item("@le_op nat le_nat 1 3 /\\ 1 ≼ 3", "split; unfold le_op, le_nat; repeat constructor.",
           decls=_LE_CLASS + "\n#[export] Instance le_nat : Le nat := le.")),
    ("decls-arguments-of-a-header-word", _item("forall l : list nat, length l = length l /\\ mine = 0",
                                              "intros l. split; reflexivity.",
                                              decls="Definition mine := 0. Arguments length {A} l : simpl never."),
     _item("mine 2 = 2", "reflexivity.", decls="Definition mine (n : nat) := n. Arguments mine n : simpl never.")),
]


@pytest.mark.parametrize(("case", "attack", "honest"), MACHINERY_CASES, ids=[c[0] for c in MACHINERY_CASES])
def test_decls_machinery_cannot_change_how_the_statement_elaborates(case: str, attack: dict[str, Any],
                                                                    honest: dict[str, Any]) -> None:
    bad = _prove(attack)
    assert bad["status"] != "proved", (case, bad)
    good = _prove(honest)
    assert good["status"] == "proved", (case, good["explanation"], good["attempts"])


@pytest.mark.parametrize("proof", ["intros; reflexivity.", "intros A x. exact (@eq_refl A x)."])
@pytest.mark.parametrize("requirement", ["Coq.Init.Logic.eq_refl", "forall (A : Type) (x : A), x = x"])
def test_a_type_quantified_statement_proved_at_its_own_levels_is_proved(requirement: str, proof: str) -> None:
    result = _prove({"requirement_text": requirement, "proof": proof})
    assert result["status"] == "proved", result["explanation"]


def test_a_proof_that_pins_a_statement_universe_to_a_librarys_is_refused() -> None:
    # bare `@eq_refl` has `eq`'s own universe as its binder's: `A : Type` becomes exactly that level
    result = _prove({"requirement_text": "forall (A : Type) (x : A), x = x", "proof": "exact @eq_refl."})
    assert result["status"] == "rejected" and "universe levels" in result["explanation"], result["explanation"]
