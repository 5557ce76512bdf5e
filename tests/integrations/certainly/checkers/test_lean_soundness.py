"""Lean soundness text rules: what a proof may not contain, and axiom lists."""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.lean_soundness import (
    ATTRIBUTES_ALLOWED,
    blank_comments_and_strings,
    forbidden_in_decls,
    forbidden_in_proof,
    forbidden_in_statement,
    header_parts,
    is_sorry_warning,
)


@pytest.mark.parametrize(
    ("proof", "what"),
    [
        ("by sorry", "`sorry`"),
        ("by\n  intro h\n  admit", "`admit`"),
        ("by native_decide", "`native_decide`"),
        ("by decide +native", "`native`"),
        ("by decide (config := { native := true })", "`native`"),
        ("by\n  set_option debug.skipKernelTC true in\n  exact h", "`debug.skipKernelTC` (bypasses the kernel)"),
        ("by exact Lean.ofReduceBool _ _ rfl", "`Lean.ofReduceBool`"),
        ("trivial\n\naxiom cheat : False", "`axiom`"),
        ("trivial\ntheorem other : 1 = 2 := cheat", "command `theorem`"),
        ("by simp\nend", "command `end`"),
        ("by simp\n#eval 1", "`#eval` command"),
        ("trivial\nunseal Nat.add", "command `unseal`"),
        ("by\n  open Classical\n  simp", "command `open` (only `open ... in` is allowed in a proof)"),
        ("by\n  set_option maxHeartbeats 0\n  simp", "command `set_option` (only `set_option ... in`"),
        ("by exact (unsafe_cast 1 : Nat)", None),
        ("by exact unsafeCast h", "`unsafeCast` (metaprogramming, IO or evaluation)"),
    ],
)
def test_forbidden_constructs_in_proofs(proof: str, what: str | None) -> None:
    found = [v.what for v in forbidden_in_proof(proof)]
    if what is None:
        assert found == []
    else:
        assert any(f.startswith(what) for f in found), found


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
    assert [v.what for v in forbidden_in_proof("by native_decide; sorry", allow_native_decide=True)] == [
        "`sorry` (sorry)"]


def test_decls_may_hold_commands_but_not_cheats() -> None:
    assert forbidden_in_decls("def double (n : Nat) := 2 * n\ntheorem helper : double 1 = 2 := rfl") == []
    found = forbidden_in_decls("def f := 1\naxiom cheat : False\n@[implemented_by g] def h := 2")
    assert [(v.what, v.line, v.column) for v in found] == [
        ("`axiom`", 2, 0), ("`implemented_by` (bypasses the kernel)", 3, 2),
        ("attribute `implemented_by` (allowed: " + ", ".join(sorted(ATTRIBUTES_ALLOWED)) + ")", 3, 2)]
    assert [v.what for v in forbidden_in_decls("unsafe def loop : Nat := loop")] == [
        "`unsafe` (bypasses the kernel)"]


def test_positions_survive_blanking() -> None:
    text = 'by -- c\n  exact "x"\n  sorry'
    blanked = blank_comments_and_strings(text)
    assert len(blanked) == len(text) and blanked.count("\n") == 2
    assert "sorry" in blanked and '"x"' not in blanked
    assert [(v.line, v.column) for v in forbidden_in_proof(text)] == [(3, 2)]


def test_a_char_literal_quote_does_not_hide_code() -> None:
    assert [v.what for v in forbidden_in_proof("by\n  have := '\"'\n  sorry -- \"")] == ["`sorry` (sorry)"]


@pytest.mark.parametrize("statement", ["f '' s = t", "∑' n : ℕ, (0:ℝ) = 0", "f ⁻¹' s = t"])
def test_mathlib_tokens_ending_in_a_quote_are_no_char_literals(statement: str) -> None:
    assert forbidden_in_statement(statement) == []
    assert [v.what for v in forbidden_in_statement(statement + " ∧ '\"' = '\"' -- sorry")] == []
    assert [v.what for v in forbidden_in_statement(statement + " ∨ sorry = 0")] == ["`sorry` (sorry)"]


def test_header_allows_imports_opens_universes_and_listed_options() -> None:
    header = "import Mathlib\nimport Aesop\nset_option maxHeartbeats 400000\nopen BigOperators Real Nat\nuniverse u"
    imports, rest, found = header_parts(header)
    assert (imports, found) == ("import Mathlib\nimport Aesop", [])
    assert rest == "set_option maxHeartbeats 400000\nopen BigOperators Real Nat\nuniverse u"
    _, _, bad = header_parts("import Lean\nset_option «debug».«skipKernelTC» true\ndef x := 1")
    assert [(v.line, v.column) for v in bad] == [(2, 11), (2, 11), (3, 0)], bad
    assert "debug.skipKernelTC" in bad[0].what and "`def`" in bad[2].what


def test_sorry_warning_in_both_quote_styles() -> None:
    assert is_sorry_warning("declaration uses `sorry`")
    assert is_sorry_warning("declaration uses 'sorry'")
    assert not is_sorry_warning("unsolved goals\n⊢ Nat")


def test_an_escaped_keyword_is_an_identifier() -> None:
    assert [v.what for v in forbidden_in_proof("by\n  open Nat «in»\n  simp")] == [
        "command `open` (only `open ... in` is allowed in a proof)"]
    assert forbidden_in_proof("fun («theorem» : Nat) => «theorem»") == []
    decls = ("namespace Foo\nstructure Add where\nend Foo\ndef d := fun («namespace» Foo : Nat) => 0\n"
             "instance : Add Nat := ⟨Nat.sub⟩")
    assert [v.what.split(":")[0] for v in forbidden_in_decls(decls, statement="True")] == [
        "`instance` of `Add Nat`"]
    assert [v.what.split(" (")[0] for v in forbidden_in_decls("@[simp, «]», csimp] theorem t : 1 = 1 := rfl")] == [
        "attribute `]`", "attribute `csimp`"]


@pytest.mark.parametrize(
    ("decls", "what"),
    [
        ("namespace Foo\ndef False : Prop := True", "`namespace Foo` is not closed (add `end Foo`): the statement"),
        ("namespace A.B\ndef x := 1\nend B", "`namespace A.B` is not closed (add `end A`)"),
        ("section S\ndef x := 1", "`section S` is not closed (add `end S`)"),
        ("noncomputable section\ndef x := 1", "`section` is not closed (add `end`)"),
        ("mutual\ndef f : Nat := 0", "`mutual` is not closed (add `end`)"),
        ("namespace Foo\ndef x := 1\nend", "`end` does not close the innermost `namespace Foo`"),
        ("namespace Foo\nnamespace Bar\nend Foo\nend Bar", "`end Foo` does not close the innermost `namespace Bar`"),
        ("def x := 1\nend", "`end` closes more than these declarations opened"),
        ("open Nat", "command `open` in the declarations would change what the statement's names mean (put `open` "
                     "in the header"),
        ("def x := 1\nopen Nat in", "`in` ends the declarations, so it would apply to the statement"),
        ("def x := 1\nset_option maxHeartbeats 400 in", "`in` ends the declarations"),
        ("def x := 1\nprivate", "`private` ends the declarations"),
        ("def x := 1\n@[simp]", "attributes end the declarations, so they would apply to the statement"),
    ],
)
def test_decls_close_what_they_open_and_leave_names_as_they_were(decls: str, what: str) -> None:
    found = [v.what for v in forbidden_in_decls(decls)]
    assert any(f.startswith(what) for f in found), found


def test_balanced_scopes_and_open_in_pass() -> None:
    decls = ("namespace A.B\ndef x := 1\nend A.B\nnamespace C\nnamespace D\ndef y := 2\nend D\nend C\n"
             "section\nvariable (n : Nat)\nend\nnoncomputable section S\ndef z := 3\nend S\n"
             "mutual\ndef f : Nat → Nat\n  | 0 => 0\n  | n + 1 => g n\ndef g : Nat → Nat\n  | 0 => 0\n  | n + 1 => f n\nend\n"
             "open Nat in\ntheorem t : succ 0 = 1 := rfl\ndef w := open Nat in succ 0")
    assert forbidden_in_decls(decls, statement="True") == []


@pytest.mark.parametrize(
    ("decls", "allowed"),
    [
        ("class MyC : Prop where\ninstance : MyC := ⟨⟩\ninstance (priority := high) : ∀ [h : MyC], Add Nat := ⟨Nat.sub⟩",
         False),
        ("class MyC : Prop where\ninstance : MyC := ⟨⟩\ninstance : (h : MyC) → Add Nat := fun _ => ⟨Nat.sub⟩", False),
        ("class MyC : Prop where\ninstance [MyC] : Add Nat := ⟨Nat.sub⟩", False),
        ("structure V where\ninstance {α : Type} : Add (List α) := ⟨fun a _ => a⟩", False),
        ("structure V where\ninstance : (Add Nat) := ⟨Nat.sub⟩", False),
        ("structure V where\ninstance : @Add.{0} Nat := ⟨Nat.sub⟩", False),
        ("structure V where\ninstance : HAdd Nat V Nat := ⟨fun a _ => a⟩", False),
        ("structure V where\ninstance : Membership V (List Nat) := ⟨fun _ _ => True⟩", False),
        ("structure V where\ninstance : Singleton.{0, 0} V (List Nat) := ⟨fun _ => []⟩", False),
        ("structure V where\ninstance : Membership Nat V := ⟨fun _ _ => True⟩", True),
        ("structure V where\ninstance : Add.{0} V := ⟨fun a _ => a⟩", True),
        ("structure V where\n  x : Nat\ninstance : Add V := ⟨fun a _ => a⟩", True),
        ("structure V where\n  x : Nat\ninstance : ∀ n : Nat, HAdd V (Fin n) V := fun _ => ⟨fun a _ => a⟩", True),
        ("structure V where\n  x : Nat\ninstance : (Add (V)) := ⟨fun a _ => a⟩", True),
        ("class C (α : Type) where\n  c : α\ninstance {α} [C α] : C (List α) := ⟨[]⟩", True),
        ("namespace N\nstructure V where\nend N\ninstance : Add N.V := ⟨fun a _ => a⟩", True),
        ("namespace N\nstructure V where\ninstance : Add V := ⟨fun a _ => a⟩\nend N", True),
        ("namespace N\nstructure V where\nend N\ninstance : Add _root_.N.V := ⟨fun a _ => a⟩", True),
        ("structure X where\ninstance {X : Type} : Add X := ⟨fun a _ => a⟩", False),
        ("structure X where\ninstance [inst : Add X] : Add X := inst", True),
        ("structure X where\ninstance {α : Type} : Add X := ⟨fun a _ => a⟩", True),
        ("structure X where\ninstance : ∀ {X : Type}, Add X := ⟨fun a _ => a⟩", False),
        ("structure X where\ninstance : ∀ X Y : Type, Add X := fun _ _ => ⟨fun a _ => a⟩", False),
        ("structure X where\ninstance : ∀ n : Nat, Add X := fun _ => ⟨fun a _ => a⟩", True),
        ("structure X where\ninstance : {X : Type} → Add X := ⟨fun a _ => a⟩", False),
        ("structure X where\ninstance : (Add X) → Add X := fun h => h", True),
        ("structure X where\nvariable (X : Type)\ninstance : Add X := ⟨fun a _ => a⟩", False),
        ("structure X where\nvariable (n : Nat)\ninstance : Add X := ⟨fun a _ => a⟩", True),
        ("namespace Foo\nprotected structure Nat where\ninstance : Add Nat := ⟨fun a _ => a⟩\nend Foo", False),
        ("namespace Foo\nprotected structure Nat where\nend Foo\ninstance : Add Foo.Nat := ⟨fun a _ => a⟩", True),
        ("namespace Foo\nprivate protected structure N where\ninstance : Add N := ⟨fun a _ => a⟩\nend Foo", False),
        ("structure α where\ninstance : Add (α := Nat) := ⟨Nat.sub⟩", False),
        ("class C (α : Type) where\ninstance : C (α := Nat) := ⟨⟩", True),
        ("structure «fun» where\ninstance : Add ((fun _ => Nat) 0) := ⟨Nat.sub⟩", False),
        ("structure «fun» where\ninstance : Add «fun» := ⟨fun a _ => a⟩", True),
        ("structure X (n : Nat) where\nnamespace N\nabbrev X := Nat\nend N\nopen N in\ninstance : Add X := ⟨Nat.sub⟩",
         False),
        ("structure X where\nnamespace N\ndef X := Nat\nend N\ninstance : Add X := ⟨fun a _ => a⟩", False),
        ("structure X where\nnamespace N\nabbrev Y := Nat\nend N\nopen N in\ninstance : Add X := ⟨fun a _ => a⟩",
         True),
        ("inductive T | a\ninstance : LE (T → ℕ) := ⟨fun _ _ => True⟩", False),
        ("inductive T | a\ninstance : Add (T × ℕ) := ⟨fun _ _ => (T.a, 0)⟩", False),
        ("inductive T | a\ninstance : Add (T ⊕ ℕ) := ⟨fun f _ => f⟩", False),
        ("inductive T | a\ninstance : Add ((T → ℕ) → ℕ) := ⟨fun f _ => f⟩", False),
        ("inductive T | a\ninstance : HAdd (T → ℕ) (T → ℕ) (T → ℕ) := ⟨fun f _ => f⟩", False),
        ("inductive T | a\ninstance : Coe (T → ℕ) ℕ := ⟨fun _ => 0⟩", False),
        ("inductive T | a\ninstance : Add (T -> ℕ) := ⟨fun f _ => f⟩", False),
        ("inductive T | a\ninstance : Add ((T) → ℕ) := ⟨fun f _ => f⟩", False),
        ("inductive T | a\ninstance : Add (T <| ℕ) := ⟨fun f _ => f⟩", False),
        ("inductive T (n : ℕ) | a\ninstance : Add (T 2 × ℕ) := ⟨fun f _ => f⟩", False),
        ("inductive T (n : ℕ) | a\ninstance : Add (T 2) := ⟨fun f _ => f⟩", True),
        ("inductive T (α : Type) | a\ninstance : Add (T (ℕ → ℕ)) := ⟨fun f _ => f⟩", True),
        ("inductive T | a\ninstance : HAdd T (T → ℕ) T := ⟨fun f _ => f⟩", True),
        ("inductive T | a\ninstance : Coe T (ℕ → ℕ) := ⟨fun _ => id⟩", True),
        ("inductive T | a\ninstance : Add ((T)) := ⟨fun f _ => f⟩", True),
    ],
)
def test_an_instance_is_judged_by_its_conclusion(decls: str, allowed: bool) -> None:
    found = [v.what for v in forbidden_in_decls(decls, statement="True")]
    assert (found == []) == allowed, found


@pytest.mark.parametrize(
    ("decls", "allowed"),
    [
        ("class C extends Add Nat", False),
        ("class C (α : Type) extends Add α, Mul α", False),
        ("class C (α : Type) extends toAdd : Add α", False),
        ("class abbrev C (α : Type) := Add α, Mul α", False),
        ("class A (α : Type) where\n  a : α\nclass B (α : Type) extends A α where\n  b : α", True),
        ("class A (α : Type) where\nclass B (α : Type) where\nclass abbrev C (α : Type) := A α, B α", True),
        ("structure S extends Add Nat", True),
    ],
)
def test_a_class_may_extend_only_classes_declared_here(decls: str, allowed: bool) -> None:
    found = [v.what for v in forbidden_in_decls(decls)]
    assert (found == []) == allowed, found


@pytest.mark.parametrize(
    ("header", "refused"),
    [("import Lean\nuniverse u v unseal Nat.add", "`unseal`"), ("import Lean\nuniverse u Nat.add", "`Nat.add`"),
     ("import Lean\nopen Nat seal Nat.add", "`seal`"), ("import Lean\nopen Nat\nwith_weak_namespace Foo", "`with_weak_namespace`")],
)
def test_header_universe_and_open_stop_at_the_next_command(header: str, refused: str) -> None:
    found = [v.what for v in header_parts(header)[2]]
    assert len(found) == 1 and found[0].startswith(refused + " is not allowed in the header"), found


@pytest.mark.parametrize(
    ("decls", "allowed"),
    [
        ("structure MyS where\nderiving instance Repr for MyS", True),
        ("structure MyS where\nstructure MyT where\nderiving instance Repr, BEq for MyS, MyT", True),
        ("structure MyS where\nderiving instance BEq for MyS, Nat", False),
        ("deriving instance BEq for Nat", False),
        ("structure MyS where\nderiving instance Repr", False),
    ],
)
def test_deriving_instance_only_for_types_declared_here(decls: str, allowed: bool) -> None:
    found = [v.what for v in forbidden_in_decls(decls)]
    assert (found == []) == allowed, found


def test_an_opaque_body_is_a_top_level_assignment() -> None:
    assert [v.what for v in forbidden_in_decls("opaque bad : (fun (_ : Nat) => False) (let y := 1; y)")] == [
        "`opaque` without a body (give its value with `:=`)"]
    assert forbidden_in_decls("opaque f : Nat → Nat := fun n => let m := n; m") == []


@pytest.mark.parametrize(
    ("decls", "statement", "allowed"),
    [
        ("def Nat.zero.succ : ℕ := 2", "Nat.zero.succ = 2", False),
        ("noncomputable def NNReal.val (_ : NNReal) : ℝ := 0", "∀ x : NNReal, x.val = 0", False),
        ("namespace Nat\ndef zero.succ : ℕ := 2\nend Nat", "Nat.zero.succ = 2", False),
        ("namespace Nat.zero\ndef succ : ℕ := 2\nend Nat.zero", "Nat.zero.succ = 2", False),
        ("namespace Foo\ndef _root_.Nat.zero.succ : ℕ := 2\nend Foo", "Nat.zero.succ = 2", False),
        ("private def «Nat».«zero».succ : ℕ := 2", "Nat.zero.succ = 2", False),
        ("abbrev Int.toNat' (_ : ℤ) : ℕ := 0", "(5 : ℤ).toNat' = 0", False),
        ("structure Nat.Foo where\n  x : ℕ", "∀ f : Nat.Foo, f.x = f.x", False),
        ("theorem Nat.helper (n : ℕ) : n + 0 = n := rfl", "∀ n : ℕ, n + 0 = n ∧ Nat.helper n = rfl", False),
        ("def Nat.zero.succ : ℕ := 2", None, False),
        ("alias Nat.zero.succ := Nat.two", "Nat.zero.succ = 2", False),
        ("instance Nat.myInst : Inhabited Bool := ⟨true⟩", "(default : Bool) = instInhabitedBool.default", False),
        ("class inductive Nat.Good : Prop | yes", "Nat.Good", False),
        ("mutual\ndef Nat.f : ℕ → ℕ\n  | 0 => 0\n  | n + 1 => Nat.g n\ndef Nat.g : ℕ → ℕ\n  | 0 => 1\n  | n + 1 => "
         "Nat.f n\nend", "Nat.f 1 = 1", False),
        ("opaque Nat.zero.succ : ℕ := 2", "Nat.zero.succ = 2", False),
        ("protected def Nat.zero.succ : ℕ := 2", "Nat.zero.succ = 2", False),
        ("instance (priority := low) Nat.zero.succ : Inhabited Bool := ⟨true⟩", "Nat.zero.succ.default = true", False),
        ("def myval : ℕ := 2\ndef Nat.zero.succ : ℕ := myval", "Nat.zero.succ = myval", False),
        ("namespace Foo\ndef Nat.zero.succ : ℕ := 2\nend Foo", "Foo.Nat.zero.succ = 2", False),
        ("inductive T | a\ndef T.next : T → T := id", "T.next T.a = T.a", True),
        ("inductive T | a\nnamespace T\ndef next : T → T := id\nend T", "T.a.next = T.a", True),
        ("def f : ℕ := 1\ndef f.twice : ℕ := 2", "f.twice = 2", True),
        ("theorem Nat.helper (n : ℕ) : n + 0 = n := rfl", "∀ n : ℕ, n + 0 = n", True),
        ("namespace Foo\ndef two : ℕ := 2\nend Foo", "(1 : ℕ) + 1 = 2", True),
        ("def two : ℕ := 2", "two = 2", True),
        ("structure S where\n  val : ℕ", "∀ s : S, s.val = s.val", True),
    ],
)
def test_decls_may_not_name_things_inside_an_imported_namespace(decls: str, statement: str | None,
                                                               allowed: bool) -> None:
    found = [v.what for v in forbidden_in_decls(decls, statement=statement)]
    assert (found == []) == allowed, found
