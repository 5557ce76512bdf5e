"""The independent Lean verdict: the modules scillm writes and how Lean's answer is read.

Lean cannot run here, so the `#print axioms` sentences below are the shapes
Lean prints (`'Classical.em' depends on axioms: [Classical.choice, propext,
Quot.sound]`, `'contra' depends on axioms: [sorryAx]`, `... does not depend
on any axioms`); the end-to-end run is `test_real_lean_verdict`, which skips
without lean/lake.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scillm.integrations.certainly.checkers import lean_verdict
from scillm.integrations.certainly.checkers.lean import LeanChecker, LeanConfig
from scillm.integrations.certainly.checkers.lean_cold import ColdOutcome
from scillm.integrations.certainly.checkers.lean_repl import ReplMessage
from scillm.integrations.certainly.checkers.lean_verdict import (
    IndependentVerdict,
    axiom_policy,
    candidate_module,
    independent_verdict,
    parse_axioms,
    read_verify,
    verify_module,
)
from scillm.integrations.certainly.models import Problem
from scillm.settings import CertainlySettings

PROBLEM = Problem(backend="lean", header="import Mathlib\nopen Nat", decls="def two : Nat := 2",
                  theorem_name="goal", statement="two + 0 = 2")
TARGET = "ScillmCandidate.goal"


def _msg(line: int, data: str, severity: str = "info") -> ReplMessage:
    return ReplMessage.model_validate({"severity": severity, "pos": {"line": line, "column": 0}, "data": data})


def test_the_candidate_module_states_the_problem_before_any_proof_text() -> None:
    text = candidate_module(PROBLEM, ":= by simp [two]")
    assert text == ("import Mathlib\nopen Nat\n\ndef two : Nat := 2\n\n"
                    "def _root_.scillm_statement : Prop := two + 0 = 2\n\n"
                    "theorem _root_.ScillmCandidate.goal : two + 0 = 2 := by simp [two]\n")
    assert text.index("scillm_statement") < text.index("by simp")


def test_the_verify_module_imports_the_candidate_and_nothing_of_the_proof() -> None:
    text, line = verify_module(PROBLEM, "import Mathlib")
    assert text == ("import Mathlib\nimport ScillmCheck.Candidate\n\n"
                    "example : scillm_statement := @ScillmCandidate.goal\n#print axioms ScillmCandidate.goal\n")
    assert text.splitlines()[line - 1] == "#print axioms ScillmCandidate.goal"


def test_axiom_answers_are_read_whole_and_for_the_right_name() -> None:
    assert parse_axioms(f"'{TARGET}' depends on axioms: [Classical.choice, propext, Quot.sound]", TARGET) == (
        "Classical.choice", "propext", "Quot.sound")
    assert parse_axioms(f"'{TARGET}' depends on axioms: [propext,\n Classical.choice,\n Quot.sound]", TARGET) == (
        "propext", "Classical.choice", "Quot.sound")
    assert parse_axioms(f"'{TARGET}' depends on axioms: [sorryAx]", TARGET) == ("sorryAx",)
    assert parse_axioms(f"'{TARGET}' does not depend on any axioms", TARGET) == ()
    assert parse_axioms(f"'{TARGET}' depends on axioms: [«my axiom, with comma», propext]", TARGET) == (
        "my axiom, with comma", "propext")


@pytest.mark.parametrize(
    "forged",
    [
        "'other' does not depend on any axioms",
        f"cheat : '{TARGET}' does not depend on any axioms",
        f"'{TARGET}' does not depend on any axioms\n'{TARGET}' depends on axioms: [cheat]",
        f"'{TARGET}' depends on axioms: [propext] and [cheat]",
        f"'{TARGET}' depends on axioms: []",
        f"'{TARGET}' depends on axioms: [propext, 1 + 1]",
        "constructor List.cons.{u} : {α : Type u} → α → List α → List α",
    ],
)
def test_forged_or_foreign_axiom_text_is_unreadable(forged: str) -> None:
    assert parse_axioms(forged, TARGET) is None


def test_only_the_one_answer_at_the_print_line_counts() -> None:
    good = f"'{TARGET}' depends on axioms: [propext]"
    assert read_verify([_msg(5, good)], TARGET, 5) == ("proved", "", ("propext",))
    assert read_verify([_msg(4, good)], TARGET, 5)[0] == "error"
    assert read_verify([_msg(5, good), _msg(5, f"'{TARGET}' does not depend on any axioms")], TARGET, 5)[0] == "error"
    status, why, _ = read_verify([_msg(4, "type mismatch", "error"), _msg(5, good)], TARGET, 5)
    assert status == "rejected" and "does not have the problem's statement" in why


def test_axiom_policy_names_what_is_not_trusted() -> None:
    assert axiom_policy(("propext", "Classical.choice", "Quot.sound")) == ("proved", "")
    assert axiom_policy(("propext", "sorryAx"))[0] == "rejected"
    status, why = axiom_policy(("Lean.ofReduceBool", "cheat"))
    assert status == "rejected" and "Lean.ofReduceBool, cheat" in why
    assert axiom_policy(("Lean.ofReduceBool",), allow_native_decide=True) == ("proved", "")


def test_without_lean_the_verdict_is_env_unavailable(tmp_path: Path) -> None:
    config = LeanConfig(project=tmp_path, lean_cmd=(str(tmp_path / "no-lean"),))
    verdict = independent_verdict(PROBLEM, "by simp [two]", timeout_s=5, config=config)
    assert verdict.status == "env_unavailable" and verdict.axioms == ()
    assert "-- ScillmCheck.Candidate" in verdict.file and "-- ScillmCheck.Verify" in verdict.file
    added = independent_verdict(PROBLEM, "by simp [two]", ("Mathlib.Tactic.Ring",), timeout_s=5, config=config)
    assert "import Mathlib\nimport Mathlib.Tactic.Ring\nopen Nat" in added.file


@pytest.mark.parametrize("module", ["Evil.Module", "Mathlib.«x»", "Mathlib\nset_option debug.skipKernelTC true",
                                    "Mathlib Evil", ""])
def test_search_added_imports_must_be_plain_trusted_modules(tmp_path: Path, module: str) -> None:
    config = LeanConfig(project=tmp_path, lean_cmd=(str(tmp_path / "no-lean"),))
    verdict = independent_verdict(PROBLEM, "by simp [two]", (module,), timeout_s=5, config=config)
    assert verdict.status == "rejected" and "trusted" in verdict.message


async def test_confirm_rejects_attacks_before_running_anything(tmp_path: Path) -> None:
    checker = LeanChecker(LeanConfig(project=tmp_path, lean_cmd=(str(tmp_path / "no-lean"),)))
    attack = await checker.confirm(PROBLEM, "by\n  set_option «debug».«skipKernelTC» true in\n  simp [two]")
    honest = await checker.confirm(PROBLEM, "by simp [two]")
    assert (attack.status, attack.error_class) == ("rejected", "forbidden")
    assert honest.status == "env_unavailable"


@pytest.mark.needs_lean
async def test_real_lean_verdict() -> None:
    config = LeanConfig.from_settings(CertainlySettings.from_env())
    if config.project is None or shutil.which("lake") is None:
        pytest.skip("set CERTAINLY_LEAN_PROJECT to a Lake project to run the verdict against real Lean")
    checker = LeanChecker(config)
    problem = Problem(backend="lean", header="", theorem_name="t", statement="∀ a b : Nat, a + b = b + a")
    good = await checker.confirm(problem, "by intro a b; exact Nat.add_comm a b")
    wrong = await checker.confirm(problem.model_copy(update={"statement": "1 = 2"}), "by decide")
    classical = await checker.confirm(problem.model_copy(update={"statement": "∀ p : Prop, p ∨ ¬p"}),
                                      "Classical.em")
    with_decls = await checker.confirm(problem.model_copy(update={
        "decls": "def double (n : Nat) : Nat := 2 * n", "statement": "double 2 = 4"}), "by decide")
    hidden_hypothesis = await checker.confirm(problem.model_copy(update={
        "decls": "variable (h : False)\ninclude h", "statement": "1 = 2"}), "h.elim")
    await checker.aclose()
    assert good.ok and good.checker is not None and good.checker.mode == "verdict"
    assert wrong.status == "failed"
    assert classical.ok and "Classical.choice" in classical.axioms
    assert with_decls.ok, with_decls.first_error
    assert not hidden_hypothesis.ok, "a theorem that gained a hypothesis does not have the problem's statement"


class _FakeLean:
    """Stands in for `run_module`: records what each run's root held and answers as Lean would, or as told."""

    def __init__(self, *, candidate_marker: bool = True, verify_marker: bool = True, litter: bool = True,
                 symlink: bool = False) -> None:
        self.candidate_marker, self.verify_marker = candidate_marker, verify_marker
        self.litter, self.symlink = litter, symlink
        self.runs: list[tuple[str, str, list[str]]] = []

    def __call__(self, config: LeanConfig, root: str, module: str, text: str, timeout_s: float, *,
                 olean: bool) -> ColdOutcome:
        held = sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file())
        self.runs.append((module, root, held))
        base = Path(root) / module.replace(".", "/")
        base.parent.mkdir(parents=True, exist_ok=True)
        base.with_suffix(".lean").write_text(text)
        last = text.count("\n")
        marker = text.splitlines()[-1].removeprefix('#print "').removesuffix('"')
        if olean:
            if self.symlink:
                (base.parent / "elsewhere.olean").write_bytes(b"olean")
                base.with_suffix(".olean").symlink_to(base.parent / "elsewhere.olean")
            else:
                base.with_suffix(".olean").write_bytes(b"olean")
            if self.litter:
                (base.parent / "Verify.olean").write_bytes(b"forged")
                (Path(root) / "Mathlib.olean").write_bytes(b"forged")
            return ColdOutcome("ran", messages=[_msg(last, marker)] if self.candidate_marker else [])
        answer = _msg(last - 1, f"'{TARGET}' does not depend on any axioms")
        return ColdOutcome("ran", messages=[answer, *([_msg(last, marker)] if self.verify_marker else [])])


def _fake_verdict(monkeypatch: pytest.MonkeyPatch, fake: _FakeLean) -> IndependentVerdict:
    monkeypatch.setattr(lean_verdict, "run_module", fake)
    monkeypatch.setattr(lean_verdict, "_runnable", lambda cmd: True)
    return independent_verdict(PROBLEM, "by simp [two]", timeout_s=5, config=LeanConfig(lean_cmd=("lean",)))


def test_verify_runs_in_a_fresh_root_holding_only_the_candidate_olean(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeLean()
    verdict = _fake_verdict(monkeypatch, fake)
    assert verdict.status == "proved", verdict.message
    (candidate, built, _), (verify, fresh, held) = fake.runs
    assert (candidate, verify) == ("ScillmCheck.Candidate", "ScillmCheck.Verify")
    assert fresh != built and held == ["ScillmCheck/Candidate.olean"]


def test_a_symlinked_candidate_olean_is_not_staged(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeLean(symlink=True)
    verdict = _fake_verdict(monkeypatch, fake)
    assert verdict.status == "error" and len(fake.runs) == 1


def test_a_candidate_run_that_ends_early_is_not_proved(monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = _fake_verdict(monkeypatch, _FakeLean(candidate_marker=False))
    assert verdict.status == "error" and "end marker" in verdict.message


def test_a_verify_run_without_its_end_marker_is_not_proved(monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = _fake_verdict(monkeypatch, _FakeLean(verify_marker=False))
    assert verdict.status == "error" and "end marker" in verdict.message


def test_markers_are_fresh_per_verdict_and_end_both_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = _fake_verdict(monkeypatch, _FakeLean()), _fake_verdict(monkeypatch, _FakeLean())
    lines = [[line for line in v.file.splitlines() if line.startswith('#print "')] for v in (first, second)]
    assert len(lines[0]) == 2 and len(set(lines[0] + lines[1])) == 4
    text, line = verify_module(PROBLEM, "import Mathlib", marker="m-1")
    assert text.splitlines()[line - 1].startswith("#print axioms") and text.splitlines()[line] == '#print "m-1"'
    assert candidate_module(PROBLEM, "by simp [two]", marker="m-2").splitlines()[-1] == '#print "m-2"'
    good = f"'{TARGET}' depends on axioms: [propext]"
    assert read_verify([_msg(5, good), _msg(6, "m-1")], TARGET, 5, marker="m-1")[0] == "proved"
    assert read_verify([_msg(5, good), _msg(6, "m-0")], TARGET, 5, marker="m-1")[0] == "error"
    assert read_verify([_msg(5, good), _msg(6, "m-1"), _msg(6, "m-1")], TARGET, 5, marker="m-1")[0] == "error"
    assert read_verify([_msg(5, good), _msg(6, "m-1", "warning")], TARGET, 5, marker="m-1")[0] == "error"
