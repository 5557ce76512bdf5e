"""Lean soundness text rules: what a proof may not contain, and axiom lists."""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.lean_soundness import (
    blank_comments_and_strings,
    forbidden_in_decls,
    forbidden_in_proof,
    is_sorry_warning,
    parse_axioms,
)


@pytest.mark.parametrize(
    ("proof", "what"),
    [
        ("by sorry", "sorry"),
        ("by\n  intro h\n  admit", "admit"),
        ("by native_decide", "native_decide"),
        ("by decide +native", "decide +native"),
        ("by decide (config := { native := true })", "native := true"),
        ("by\n  set_option debug.skipKernelTC true in\n  exact h", "debug.skipKernelTC"),
        ("by exact Lean.ofReduceBool _ _ rfl", "ofReduceBool"),
        ("trivial\n\naxiom cheat : False", "axiom"),
        ("trivial\ntheorem other : 1 = 2 := cheat", "command `theorem`"),
        ("by simp\nend", "command `end`"),
        ("by simp\n#eval 1", "`#` command"),
        ("by\n  open Classical\n  simp", "command `open` (only `open ... in` is allowed)"),
        ("by\n  set_option maxHeartbeats 0\n  simp", "command `set_option` (only `set_option ... in` is allowed)"),
        ("by exact (unsafe_cast 1 : Nat)", None),
        ("by exact unsafeCast h", None),
    ],
)
def test_forbidden_constructs_in_proofs(proof: str, what: str | None) -> None:
    found = [v.what for v in forbidden_in_proof(proof)]
    if what is None:
        assert found == []
    else:
        assert what in found


@pytest.mark.parametrize(
    "proof",
    [
        "by\n  -- no sorry here\n  simp",
        "by\n  /- admit /- nested sorry -/ still comment -/\n  rfl",
        'by\n  have h : "sorry" = "sorry" := rfl\n  exact h',
        "by exact my_sorry_lemma",
        "by exact Nat.sorry_free h'",
        "by\n  open Nat in simp",
        "by\n  set_option maxHeartbeats 400000 in\n  nlinarith [sq_nonneg (a - b)]",
        "fun n => Nat.le_refl n",
        "by exact #[1, 2].size_pos",
        "by exact admitted_lemma.symm",
    ],
)
def test_ordinary_proofs_pass(proof: str) -> None:
    assert forbidden_in_proof(proof) == []


def test_native_decide_allowed_by_flag() -> None:
    assert forbidden_in_proof("by native_decide", allow_native_decide=True) == []
    assert [v.what for v in forbidden_in_proof("by native_decide; sorry", allow_native_decide=True)] == ["sorry"]


def test_decls_may_hold_commands_but_not_cheats() -> None:
    assert forbidden_in_decls("def double (n : Nat) := 2 * n\ntheorem helper : double 1 = 2 := rfl") == []
    found = forbidden_in_decls("def f := 1\naxiom cheat : False\n@[implemented_by g] def h := 2")
    assert [(v.what, v.line, v.column) for v in found] == [("axiom", 2, 0), ("implemented_by", 3, 2)]
    assert [v.what for v in forbidden_in_decls("unsafe def loop : Nat := loop")] == ["unsafe"]


def test_positions_survive_blanking() -> None:
    text = 'by -- c\n  exact "x"\n  sorry'
    blanked = blank_comments_and_strings(text)
    assert len(blanked) == len(text) and blanked.count("\n") == 2
    assert "sorry" in blanked and '"x"' not in blanked
    assert [(v.line, v.column) for v in forbidden_in_proof(text)] == [(3, 2)]


def test_a_char_literal_quote_does_not_hide_code() -> None:
    assert [v.what for v in forbidden_in_proof("by\n  have := '\"'\n  sorry -- \"")] == ["sorry"]


def test_axiom_lists_as_lean_prints_them() -> None:
    assert parse_axioms("'foo' depends on axioms: [propext, Classical.choice, Quot.sound]") == [
        "propext", "Classical.choice", "Quot.sound"]
    wrapped = "'X.exact' depends on axioms: [propext,\n Classical.choice,\n Quot.sound]"
    assert parse_axioms(wrapped) == ["propext", "Classical.choice", "Quot.sound"]
    assert parse_axioms("'foo' depends on axioms: [sorryAx]") == ["sorryAx"]
    assert parse_axioms("'foo' does not depend on any axioms") == []
    assert parse_axioms("constructor List.cons.{u} : {α : Type u} → α → List α → List α") is None


def test_sorry_warning_in_both_quote_styles() -> None:
    assert is_sorry_warning("declaration uses `sorry`")
    assert is_sorry_warning("declaration uses 'sorry'")
    assert not is_sorry_warning("unsolved goals\n⊢ Nat")
