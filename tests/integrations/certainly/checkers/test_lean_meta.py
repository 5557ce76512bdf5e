"""Metaprogramming, IO and evaluation are refused in every part of a Lean problem or proof (rt13 F1-F3).

Each attack is paired with an honest control of the same shape that is still accepted.
"""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.lean_soundness import (
    forbidden_in_decls,
    forbidden_in_proof,
    forbidden_in_statement,
    header_parts,
)

META_DECLS = {
    "open Lean in a TacticM def": ("open Lean Elab Tactic Meta in\ndef h : TacticM Unit := do\n"
                                   "  let g ← getMainGoal\n  g.assign (mkConst ``True.intro)"),
    "dotted Lean name": "def h := Lean.Elab.Tactic.evalTactic",
    "guillemet Lean name": "def h := «Lean».Meta.evalExpr",
    "one guillemet for a dotted Lean name": "def h := «Lean.Meta».evalExpr",
    "_root_ Lean": "def h := _root_.Lean.addDecl",
    "namespace Lean": "namespace Lean\ndef h : Nat := 1\nend Lean",
    "open Lean ... in": "open Lean in\ndef h : Name := .anonymous",
    "open a sub-namespace": "open Elab.Tactic in\ndef h := 1",
    "meta monad alone": "def h : MetaM Unit := pure ()",
    "IO": "def h : IO Unit := IO.println \"x\"",
    "unsafeIO": "def h : Nat := match unsafeIO (pure 1) with | .ok n => n | .error _ => 0",
    "unsafeBaseIO": "def h : Nat := unsafeBaseIO (pure 1)",
    "evalConst": "def h := evalConst Nat `x",
    "addDecl with options": "def h := withOptions id (addDecl d)",
    "Name.mkStr": "def o := Name.mkStr (Name.mkSimple \"debug\") \"skipKernelTC\"",
    "name literal": "def n := `scillmAuxFact",
    "double-backtick name literal": "def n := ``False",
    "syntax quotation": "def s := `(command| axiom x : False)",
    "Mathlib tactic namespace": "def h := Mathlib.Tactic.Ring.proveEq",
    "Aesop namespace": "def h := Aesop.BuiltinRules.intros",
    "System namespace": "def h := System.FilePath.pathExists",
    "ST monad": "def h : ST Nat Nat := pure 1",
    "interpolated Lean name": 'def s : String := s!"{Lean.versionString}"',
}

HONEST_DECLS = [
    "def double (n : Nat) : Nat := 2 * n",
    "inductive Expr | num (n : Nat) | add (a b : Expr)\ndef Expr.eval : Expr → Nat\n  | .num n => n\n"
    "  | .add a b => a.eval + b.eval",
    "def sumTo (n : Nat) : Nat := Id.run do\n  let mut s := 0\n  for i in [0:n] do\n    s := s + i\n  return s",
    "def lean : Nat := 4\ndef elab_count : Nat := 1",
    'def greeting : String := "open Lean in IO.println"',
    "theorem t : (2 : Nat) ≤ 3 := by linarith (config := {splitNe := true})",
]


@pytest.mark.parametrize("name", sorted(META_DECLS))
def test_meta_code_in_decls_is_refused(name: str) -> None:
    assert forbidden_in_decls(META_DECLS[name]) != []


@pytest.mark.parametrize("decls", HONEST_DECLS)
def test_honest_decls_of_the_same_shape_pass(decls: str) -> None:
    assert forbidden_in_decls(decls) == []


META_PROOFS = {
    "aesop tactic rule builder": "by aesop (add safe tactic scillmHelper)",
    "aesop norm tactic rule": "by aesop (add norm 1 tactic h)",
    "eval%": "by\n  have _x : Nat := eval% (1 + 1)\n  simp",
    "eval% of unsafeIO": "by\n  have _x : ℕ := eval% (match unsafeIO (pure 1 : IO ℕ) with | .ok n => n | .error _ => 0)\n  simp",
    "linarith preprocessor closure": ("by\n  linarith (config := { preprocessors := [{ name := \"p\", "
                                      "transform := fun g _ => do\n      pure [] }] })"),
    "linarith field-style preprocessor": "by linarith (preprocessors := [⟨\"p\", fun g _ => pure []⟩])",
    "solve_by_elim discharge": "by solve_by_elim (config := { discharge := fun _ => pure none })",
    "config through a def": "by linarith (config := myConfig)",
    "config with a lambda": "by solve_by_elim (config := { proc := λ _ _ => pure none })",
    "config with a cdot function": "by simp (config := { maxSteps := (· + 1) 2 })",
    "config with bind": "by linarith (discharger := failure >>= id)",
    "structure instance with monadic code": "by exact { run := do pure () }",
    "Lean.Elab.admitGoal": "by run_tac' Lean.Elab.admitGoal",
    "open Lean in a proof": "by\n  open Lean in\n  exact (mkConst `x : Expr)",
    "plausible evaluates the goal": "by plausible",
    "config through a qualified name": "by linarith (config := Linarith.LinarithConfig.mk)",
}

HONEST_PROOFS = [
    "by aesop",
    "by aesop (add safe apply Nat.le_refl)",
    "by aesop (config := { maxRuleApplications := 200, terminal := true })",
    "by simp (config := {decide := true})",
    "by linarith (config := {splitNe := true})",
    "by nlinarith [sq_nonneg (a - b), sq_nonneg (a + b)]",
    "by rw (config := {occs := .pos [1, 2]}) [Nat.add_comm]",
    "by simp (config := { zeta := false, maxSteps := 400000 }) [foo]",
    "by decide (config := {kernel := true})",
    "by exact Finset.sum_congr (s₂ := Finset.range n) rfl (by simp)",
    "by\n  refine ⟨{ toFun := fun x => x, invFun := fun x => x, left_inv := fun _ => rfl, "
    "right_inv := fun _ => rfl }, ?_⟩\n  simp",
    "by\n  have h : n % 2 = 0 := by omega\n  exact h",
    "by norm_num [Nat.factorial]",
    "fun x => x.elim",
    "by simp +decide",
]


@pytest.mark.parametrize("name", sorted(META_PROOFS))
def test_meta_code_and_evaluation_in_proofs_is_refused(name: str) -> None:
    assert forbidden_in_proof(META_PROOFS[name]) != []


@pytest.mark.parametrize("proof", HONEST_PROOFS)
def test_honest_proofs_with_tactic_configs_pass(proof: str) -> None:
    assert forbidden_in_proof(proof) == []


def test_meta_code_in_statements_and_headers_is_refused() -> None:
    assert forbidden_in_statement("(eval% (2 : ℕ)) = 2") != []
    assert forbidden_in_statement("Lean.versionString = \"4\"") != []
    assert forbidden_in_statement("(2 : ℕ) = 2 ∧ (fun n : ℕ => n % 2) 4 = 0") == []
    for header in ("import Mathlib\nopen Lean", "import Mathlib\nopen Lean.Elab Std", "import Mathlib\nopen Aesop",
                   "import Mathlib\nopen Mathlib.Tactic"):
        assert header_parts(header)[2] != [], header
    assert header_parts("import Lean\nimport Lean.Elab.Tactic\nimport Mathlib\nopen Nat Real")[2] == []


@pytest.mark.parametrize("proof", ["by exact binop% HAdd.hAdd 1 1", "by\n  have := type_of% 1\n  simp",
                                   "by exact eval%(1)", "by exact Batteries.Lean.foo", "by exact Foo.Aesop.bar"])
def test_other_term_elaborators_and_meta_components_are_refused(proof: str) -> None:
    assert forbidden_in_proof(proof) != []


@pytest.mark.parametrize("proof", ["by\n  have : n%2 = n % 2 := rfl\n  omega", "by exact (n%(k+1)).le"])
def test_modulo_written_without_spaces_passes(proof: str) -> None:
    assert forbidden_in_proof(proof) == []
