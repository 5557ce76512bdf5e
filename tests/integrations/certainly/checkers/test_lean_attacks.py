"""Attacks on the Lean checker, each paired with an honest control of the same shape.

Every attack is text a proposer or a client controls (proof, decls, header,
statement). The replay stand-in answers any command with a clean reply real
Lean printed, so an attack that reached it would come back `proved`: the
checker must refuse each one before Lean sees it (the log stays empty), while
the control reaches the stand-in and is `proved` by the search check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scillm.integrations.certainly.checkers.lean import LeanChecker, LeanConfig
from scillm.integrations.certainly.models import Problem
from tests.support.lean_replay import logged_commands, replay_argv, replay_mounts

pytestmark = pytest.mark.needs_shared

BASE = Problem(backend="lean", header="import Lean", theorem_name="goal", statement="1 + 1 = 2")
HONEST = "by\n  decide"
HIDE_OPEN = 's!"{1 -- }"\n  } "'
"""As interpolation, `--` eats `}"` and the string runs to the next `"`: text a plain reading takes for code."""

PROOF_ATTACKS = {
    "guillemet kernel option": "by\n  set_option «debug».«skipKernelTC» true in\n  decide",
    "dotted guillemet option": "by\n  set_option debug.«skipKernelTC» true in\n  decide",
    "one guillemet for the dotted option": "by\n  set_option «debug.skipKernelTC» true in\n  decide",
    "open-in then simproc": "by decide\nopen Nat in\nsimproc cheat (_) := fun _ => pure .continue",
    "run_tac": "by run_tac Lean.Elab.Tactic.evalTactic (← `(tactic| decide))",
    "by_elab": "(by_elab pure (Lean.mkConst ``True.intro))",
    "raw string hides admit": 'by\n  have := r#"a"b"#\n  admit -- "',
    "interpolated sorry": 'by\n  have := s!"{(sorry : Nat)}"\n  decide',
    "escaped native_decide": "by «native_decide»",
    "kernel option not on the list": "by\n  set_option compiler.extract_closed false in\n  decide",
    "closes and elab": 'by decide\nelab "cheat" : tactic => pure ()',
    "closes and instance": "by decide\ninstance : Add Nat := ⟨fun a _ => a⟩",
    "attribute in proof": "by decide\n@[simp] theorem other : 1 = 1 := rfl",
    "sorryAx by name": "sorryAx _ false",
    "comment opener skips a character": "by\n  /-/- -/ set_option debug.skipKernelTC true in -- -/\n  decide",
    "comment opener hides #eval": 'by decide\n/-/- -/ #eval IO.println "arbitrary code" -- -/',
    "subtype token holds a comment's slash": ("by\n  have _h : { x : Int //-x = x } := ⟨0, rfl⟩\n"
                                              "  set_option debug.skipKernelTC true in\n  decide -- -/"),
    "or token holds a comment's slash": ("by\n  have _h : True \\/-1 = (1 : Int) := Or.inl trivial\n"
                                         "  set_option debug.skipKernelTC true in\n  decide -- -/"),
    "comment in an interpolation hides run_tac": ("by\n  have _h := " + HIDE_OPEN.replace("\n  }", "\n    }") +
                                                  "\n  run_tac Lean.Elab.Tactic.evalTactic (← `(tactic| decide))\n"
                                                  '  -- "'),
}

DECLS_ATTACKS = {
    "notation": 'notation "two" => 3',
    "macro_rules": "macro_rules | `(tactic| decide) => `(tactic| sorry)",
    "instance override": "instance (priority := high) : Add Nat := ⟨fun a _ => a⟩",
    "attribute removes instance": "attribute [-instance] instAddNat",
    "#eval": "#eval Lean.Elab.Command.liftTermElabM (pure ())",
    "run_cmd": "run_cmd pure ()",
    "elab": 'elab "cheat" : tactic => pure ()',
    "simproc": "simproc cheat (_) := fun _ => pure .continue",
    "initialize": "initialize pure ()",
    "opaque without body": "opaque cheat : 1 + 1 = 2",
    "kernel option": "set_option debug.skipKernelTC true",
    "tactic attribute": "@[tactic Lean.Parser.Tactic.decide] def cheat : Lean.Elab.Tactic.Tactic := fun _ => pure ()",
    "infix": 'infixl:65 " +' " => Nat.sub",
    "export alias": "namespace X\ndef two := 3\nend X\nexport X (two)",
    "instance on Nat mentioning a new type": ("structure V where\n  x : Nat\n"
                                              "instance : HAdd Nat Nat (Nat × V) := ⟨fun _ _ => (0, ⟨0⟩)⟩"),
    "instance through an abbrev": "abbrev MyNat := Nat\ninstance : Add MyNat := ⟨Nat.sub⟩",
    "instance attribute": "def myAdd : Add Nat := ⟨Nat.sub⟩\nattribute [instance] myAdd",
    "bv_decide": "theorem h : 1 + 1 = 2 := by bv_decide",
    "binder predicate": 'binder_predicate x " > " y:term => `($x < $y)',
    "unification hint": "unif_hint (n : Nat) where n =?= 2 ⊢ n + 0 =?= 3",
    "comment opener skips a character": ("/-/- -/ set_option debug.skipKernelTC true in -- -/\n"
                                         "theorem cheat : (2 : Nat) + 2 = 5 := by decide +kernel"),
    "escaped namespace keyword moves the scope": ("namespace Foo\nstructure Add where\nend Foo\n"
                                                  "def d := fun («namespace» Foo : Nat) => 0\n"
                                                  "instance (priority := high) : Add Nat := ⟨fun _ _ => 5⟩"),
    "namespace left open": "namespace Foo\ndef False : Prop := True",
    "section left open": "noncomputable section\ndef two : Nat := 2",
    "command-level open": "namespace X\ndef two : Nat := 3\nend X\nopen X",
    "open-in before the statement": "namespace X\ndef two : Nat := 3\nend X\nopen X in",
    "escaped in keeps open command-level": ("namespace «in»\nend «in»\nnamespace X\ndef two : Nat := 3\nend X\n"
                                            "open X «in»\ndef y : Nat := two"),
    "core instance behind a forall binder": ("class MyC : Prop where\ninstance : MyC := ⟨⟩\n"
                                             "instance (priority := high) : ∀ [h : MyC], Add Nat := ⟨fun _ _ => 5⟩"),
    "core instance behind an arrow": ("class MyC : Prop where\ninstance : MyC := ⟨⟩\n"
                                      "instance (priority := high) : MyC → Add Nat := fun _ => ⟨fun _ _ => 5⟩"),
    "class extends a core class": "class C extends Add Nat\ninstance (priority := high) : C := ⟨⟨fun _ _ => 5⟩⟩",
    "class over a type extends a core class": ("class C (α : Type) extends Add α\n"
                                               "instance (priority := high) : C Nat := ⟨⟨fun _ _ => 5⟩⟩"),
    "instance of a class whose first parameter is an outParam": (
        "structure V where\ninstance : OfNat V 2 := ⟨⟨⟩⟩\n"
        "instance (priority := high) : Membership V (List Nat) := ⟨fun _ _ => True⟩"),
    "class abbrev of a core class": "class abbrev C := Add Nat\ninstance (priority := high) : C := ⟨⟨fun _ _ => 5⟩⟩",
    "instance binder shadows a declared type": ("structure X where\n"
                                                "instance (priority := high) {X : Type} : Add X := ⟨fun a _ => a⟩"),
    "forall binder shadows a declared type": ("structure X where\ninstance (priority := high) : ∀ X : Type, Add X := "
                                              "fun _ => ⟨fun a _ => a⟩"),
    "arrow binder shadows a declared type": ("structure X where\ninstance (priority := high) : (X : Type) → Add X := "
                                             "fun _ => ⟨fun a _ => a⟩"),
    "section variable shadows a declared type": ("structure X where\nsection\nvariable {X : Type}\n"
                                                 "instance (priority := high) : Add X := ⟨fun a _ => a⟩\nend"),
    "protected structure named like a core type": ("namespace Foo\nprotected structure Nat where\n"
                                                   "instance (priority := high) : Add Nat := ⟨fun a _ => a⟩\nend Foo"),
    "named argument names a core type": "structure α where\ninstance (priority := high) : Add (α := Nat) := ⟨Nat.sub⟩",
    "named outParam argument": ("structure V where\n"
                                "instance (priority := high) : Membership (γ := List Nat) V := ⟨fun _ _ => True⟩"),
    "keyword declared in guillemets": ("structure «fun» where\n"
                                       "instance (priority := high) : Add ((fun _ => Nat) 0) := ⟨Nat.sub⟩"),
    "opened abbrev wins over a declared type": ("structure X (n : Nat) where\nnamespace N\nabbrev X := Nat\nend N\n"
                                               "open N in\ninstance (priority := high) : Add X := ⟨Nat.sub⟩"),
    "opened abbrev wins over a declared class": ("class C (n : Nat) where\nnamespace N\nabbrev C := Add Nat\nend N\n"
                                                "open N in\ninstance (priority := high) : C := ⟨Nat.sub⟩"),
    "comment in an interpolation hides a kernel option": (
        "def hide : String := " + HIDE_OPEN + "\nset_option debug.skipKernelTC true in\n"
        "theorem cheat : 1 + 1 = 3 := by decide\n-- \""),
}

HEADER_ATTACKS = {
    "kernel option after imports": "import Lean\nset_option debug.skipKernelTC true",
    "guillemet kernel option": "import Lean\nset_option «debug».«skipKernelTC» true",
    "macro in header": "import Lean\nmacro \"cheat\" : tactic => `(tactic| sorry)",
    "#eval in header": "import Lean\n#eval 1",
    "axiom in header": "import Lean\naxiom cheat : False",
    "notation in header": "import Lean\nnotation \"two\" => 3",
    "import after a command": "import Lean\nopen Nat\nimport Lean.Elab",
    "namespace in header": "import Lean\nnamespace Foo",
    "comment opener skips a character": "import Lean\n/-/- -/ set_option debug.skipKernelTC true -- -/",
    "universe swallows a command": "import Lean\nuniverse u unseal Nat.add",
    "universe swallows a dotted name": "import Lean\nuniverse u Nat.add",
    "open swallows a command": "import Lean\nopen Nat with_weak_namespace Foo",
    "open Lean's meta namespaces": "import Lean\nopen Lean.Elab Std",
}

STATEMENT_ATTACKS = {
    "statement closes and declares": "1 + 1 = 2 := by decide\naxiom cheat : False\ntheorem other : 1 + 1 = 2",
    "statement runs a command": "1 + 1 = 2 := by decide\n#eval 1\nexample : 1 + 1 = 2",
    "comment opener skips a character": "1 + 1 = 2 /-/- -/ := by decide\n#eval 1\nexample : 1 + 1 = 2 -- -/",
    "comment in an interpolation hides a command": '"" = ' + HIDE_OPEN + ' := by decide\n#eval 1\nexample : 1 = 1 -- "',
}

HONEST_DECLS = ("def two : Nat := 2\n@[simp] theorem two_eq : two = 2 := rfl\nstructure V where\n  x : Nat\n"
                "instance : Add V := ⟨fun a b => ⟨a.x + b.x⟩⟩\ninstance : HAdd V Nat V := ⟨fun a n => ⟨a.x + n⟩⟩\n"
                "class Size (α : Type) where\n  size : α → Nat\ninstance : Size Nat := ⟨id⟩\n"
                "opaque f : Nat → Nat := id\n"
                "set_option maxHeartbeats 400000 in\ntheorem helper : 2 = 2 := rfl")
HONEST_SCOPED_DECLS = ("namespace Foo\ndef two : Nat := 2\nend Foo\nnamespace A.B\ndef three : Nat := 3\nend A.B\n"
                       "section\nvariable (n : Nat)\ntheorem n_eq : n = n := rfl\nend\n"
                       "noncomputable section Named\ndef four : Nat := 4\nend Named\n"
                       "open Foo in\ntheorem uses : two = 2 := rfl")
HONEST_INSTANCE_DECLS = ("class MyC (α : Type) where\n  c : α\ninstance : MyC Nat := ⟨0⟩\n"
                         "instance {α : Type} [MyC α] : MyC (List α) := ⟨[]⟩\n"
                         "instance : ∀ n : Nat, MyC (Fin (n + 1)) := fun _ => ⟨0⟩\n"
                         "class MyD (α : Type) extends MyC α where\n  d : α\n"
                         "structure MyS where\n  x : Nat\nderiving instance Repr for MyS\n"
                         "instance {α : Type} : MyC (List MyS) := ⟨[]⟩\n"
                         "section\nvariable {α : Type}\ninstance : Inhabited MyS := ⟨⟨0⟩⟩\nend\n"
                         "namespace Foo\nprotected structure Nat where\nend Foo\ninstance : Inhabited Foo.Nat := ⟨⟨⟩⟩\n"
                         "instance : MyC (α := Bool) := ⟨true⟩\nstructure «My T» where\n"
                         "instance : Inhabited «My T» := ⟨⟨⟩⟩\nnamespace N\nabbrev Y := Nat\nend N\n"
                         "open N in\ninstance : Repr MyS := ⟨fun _ _ => \"MyS\"⟩")
HONEST_HEADER = ("import Lean\n-- options\nset_option maxHeartbeats 400000\nset_option pp.all false\n"
                 "open Nat\nopen scoped List\nuniverse u")


def _checker(tmp_path: Path) -> tuple[LeanChecker, Path]:
    argv, log = replay_argv(tmp_path / "replay", [["import_lean#0", "file_env#1"]])
    config = LeanConfig(project=tmp_path, repl_cmd=tuple(argv), pool_size=1)
    return LeanChecker(config, extra_mounts=replay_mounts(tmp_path / "replay")), log


async def _refused(tmp_path: Path, problem: Problem, proof: str) -> tuple[str, str]:
    checker, log = _checker(tmp_path)
    try:
        result = await checker.check(problem, proof, confirm=False)
    finally:
        await checker.aclose()
    assert logged_commands(log) == [], "an attack reached Lean"
    return result.status, result.first_error or ""


async def _honest(tmp_path: Path, problem: Problem, proof: str) -> None:
    checker, log = _checker(tmp_path)
    try:
        result = await checker.check(problem, proof, confirm=False)
    finally:
        await checker.aclose()
    assert (result.status, result.first_error) == ("proved", None)
    assert logged_commands(log)[-1]["cmd"].endswith(proof)


@pytest.mark.parametrize("name", sorted(PROOF_ATTACKS))
async def test_proof_attacks_are_rejected_before_lean(tmp_path: Path, name: str) -> None:
    status, why = await _refused(tmp_path, BASE, PROOF_ATTACKS[name])
    assert status == "rejected" and why.startswith("forbidden in the proof")


@pytest.mark.parametrize("name", sorted(DECLS_ATTACKS))
async def test_decls_attacks_are_rejected_before_lean(tmp_path: Path, name: str) -> None:
    status, why = await _refused(tmp_path, BASE.model_copy(update={"decls": DECLS_ATTACKS[name]}), HONEST)
    assert status == "rejected" and why.startswith("forbidden in the declarations")


@pytest.mark.parametrize("name", sorted(HEADER_ATTACKS))
async def test_header_attacks_are_rejected_before_lean(tmp_path: Path, name: str) -> None:
    status, why = await _refused(tmp_path, BASE.model_copy(update={"header": HEADER_ATTACKS[name]}), HONEST)
    assert status == "rejected" and why.startswith("not allowed in the header")


@pytest.mark.parametrize("name", sorted(STATEMENT_ATTACKS))
async def test_statement_attacks_are_rejected_before_lean(tmp_path: Path, name: str) -> None:
    status, why = await _refused(tmp_path, BASE.model_copy(update={"statement": STATEMENT_ATTACKS[name]}), HONEST)
    assert status == "rejected" and why.startswith("forbidden in the statement")


async def test_honest_proof_reaches_lean_and_is_proved(tmp_path: Path) -> None:
    await _honest(tmp_path, BASE, HONEST)


async def test_honest_proof_with_allowed_options_and_opens(tmp_path: Path) -> None:
    proof = "by\n  set_option maxRecDepth 1000 in\n  open Nat in\n  decide"
    await _honest(tmp_path, BASE, proof)


async def test_honest_decls_and_header_reach_lean(tmp_path: Path) -> None:
    await _honest(tmp_path, BASE.model_copy(update={"decls": HONEST_DECLS, "header": HONEST_HEADER}), HONEST)


async def test_honest_scoped_and_instance_decls_reach_lean(tmp_path: Path) -> None:
    await _honest(tmp_path, BASE.model_copy(update={"decls": HONEST_SCOPED_DECLS}), HONEST)
    await _honest(tmp_path / "instances", BASE.model_copy(update={"decls": HONEST_INSTANCE_DECLS}), HONEST)


async def test_honest_header_universes_and_open_lists_reach_lean(tmp_path: Path) -> None:
    header = "import Lean\nuniverse u v\nopen Nat (succ)\nopen Nat hiding add\nopen Function Std\nset_option pp.all false"
    await _honest(tmp_path, BASE.model_copy(update={"header": header}), HONEST)


async def test_honest_proof_with_subtype_and_or_tokens_next_to_minus(tmp_path: Path) -> None:
    proof = ("by\n  have _h : { x : Int //-x = x } := ⟨0, rfl⟩\n"
             "  have _o : True \\/-1 = (1 : Int) := Or.inl trivial\n  decide")
    await _honest(tmp_path, BASE, proof)


async def test_honest_proof_with_interpolated_strings(tmp_path: Path) -> None:
    proof = 'by\n  have _s := s!"{1 + 1 /- two -/} and {(2 : Nat) -- two\n  }"\n  decide'
    await _honest(tmp_path, BASE, proof)


async def test_honest_term_proof_with_strings_and_comments(tmp_path: Path) -> None:
    proof = 'by\n  -- sorry is not used here\n  have _h : "sorry" = "sorry" := rfl\n  /- admit -/ decide'
    await _honest(tmp_path, BASE, proof)


RT13_F1 = ("open Lean Elab Tactic Meta in\ndef scillmHelper : TacticM Unit := do\n"
           "  let opt : Name := Name.mkStr (Name.mkSimple \"debug\") (\"skipKernel\" ++ \"TC\")\n"
           "  withOptions (fun o => o.setBool opt true) (addDecl decl)\n  replaceMainGoal []")
RT13_ATTACKS = {
    "aesop runs a TacticM def": (dict(decls=RT13_F1, statement="(1 : ℕ) = 2"),
                                 "by aesop (add safe tactic scillmHelper)"),
    "linarith preprocessor runs MetaM": (dict(statement="(2 : ℚ) ≤ 1"), (
        "by\n  linarith (config := { preprocessors := [{ name := \"p\", transform := fun g _ => do\n"
        "      Lean.withOptions id <| Lean.addDecl d\n      pure [] }] })")),
    "solve_by_elim discharge closure": (dict(statement="(1 : ℕ) = 2"),
                                        "by solve_by_elim (config := { discharge := fun _ => pure none })"),
    "eval% runs unsafe IO": (dict(statement="(1 : ℕ) = 2"), (
        "by\n  have _x : ℕ := eval% (match unsafeIO (do\n      IO.Process.exit 0 : IO ℕ) with\n"
        "    | .ok n => n\n    | .error _ => 0)\n  simp")),
    "dotted name under an imported type": (dict(decls="def Nat.zero.succ : ℕ := 2", statement="Nat.zero.succ = 2"),
                                           "rfl"),
    "dot notation under an imported type": (dict(decls="noncomputable def NNReal.val (_ : NNReal) : ℝ := 0",
                                                 statement="∀ x : NNReal, x.val = 0"), "fun _ => rfl"),
    "instance on a function type of a declared type": (
        dict(decls="inductive T | a\ninstance : LE (T → ℕ) := ⟨fun _ _ => True⟩",
             statement="(fun _ => 1 : T → ℕ) ≤ (fun _ => 0 : T → ℕ)"), "trivial"),
}
RT13_CONTROLS = {
    "aesop with an apply rule": (dict(decls="theorem helper : (1 : ℕ) = 1 := rfl", statement="(1 : ℕ) = 1"),
                                 "by aesop (add safe apply helper)"),
    "linarith with a literal config": (dict(statement="(1 : ℚ) ≤ 2"), "by linarith (config := {splitNe := true})"),
    "simp with a literal config": (dict(statement="(1 : ℕ) = 1"), "by simp (config := {decide := true})"),
    "dotted name under a declared type": (dict(decls="inductive T | a\ndef T.next : T → T := id",
                                               statement="T.a.next = T.a"), "rfl"),
    "helper under Nat the statement does not read": (
        dict(decls="theorem Nat.helper (n : ℕ) : n + 0 = n := rfl", statement="∀ n : ℕ, n + 0 = n"),
        "fun n => rfl"),
    "instance on a declared type": (dict(decls="inductive T | a\ninstance : LE T := ⟨fun _ _ => True⟩",
                                         statement="T.a ≤ T.a"), "trivial"),
}


@pytest.mark.parametrize("name", sorted(RT13_ATTACKS))
async def test_rt13_attacks_are_rejected_before_lean(tmp_path: Path, name: str) -> None:
    fields, proof = RT13_ATTACKS[name]
    status, why = await _refused(tmp_path, BASE.model_copy(update={"header": "import Mathlib", **fields}), proof)
    assert status == "rejected" and why.startswith("forbidden in the"), why


@pytest.mark.parametrize("name", sorted(RT13_CONTROLS))
async def test_rt13_controls_reach_lean(tmp_path: Path, name: str) -> None:
    fields, proof = RT13_CONTROLS[name]
    await _honest(tmp_path, BASE.model_copy(update=fields), proof)
