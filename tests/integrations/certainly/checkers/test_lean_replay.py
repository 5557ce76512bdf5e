"""LeanChecker end to end against real Lean REPL output, replayed by a stand-in subprocess.

The stand-in (`tests/support/lean_replay.py`) answers each command with a
reply real Lean printed; these tests exercise the client's framing, header
env bookkeeping, verdicts, error replies and pool recovery. They say nothing
about whether a given proof is right: Lean is not installed here.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from scillm.integrations.certainly.checkers.base import Checker
from scillm.integrations.certainly.checkers.lean import LeanChecker, LeanConfig, assemble
from scillm.integrations.certainly.models import Problem
from scillm.settings import CertainlySettings
from tests.support.lean_replay import logged_commands, replay_argv, replay_mounts

pytestmark = pytest.mark.needs_shared

PROBLEM = Problem(backend="lean", header="import Lean\nopen Nat", theorem_name="add_comm'",
                  statement="∀ a b : Nat, a + b = b + a")
PROOF = "by\n  intro a b\n  rw [Nat.add_comm]"


def _checker(tmp_path: Path, sessions: list[list[str]], **options: object) -> tuple[LeanChecker, Path]:
    argv, log = replay_argv(tmp_path / "replay", sessions)
    config = LeanConfig(project=tmp_path, repl_cmd=tuple(argv), pool_size=1, **options)  # type: ignore[arg-type]
    return LeanChecker(config, extra_mounts=replay_mounts(tmp_path / "replay")), log


async def test_a_clean_reply_is_proved_on_the_header_env(tmp_path: Path) -> None:
    checker, log = _checker(tmp_path, [["import_lean#0", "file_env#1"]])
    assert isinstance(checker, Checker)
    try:
        result = await checker.check(PROBLEM, PROOF, confirm=False)
    finally:
        await checker.aclose()
    assert result.ok and result.status == "proved" and result.checker is not None
    assert result.checker.mode == "warm"
    header, check = logged_commands(log)
    assert header == {"cmd": "import Lean"}
    assert check["env"] == 0
    assert check["cmd"] == "open Nat\ntheorem add_comm' : ∀ a b : Nat, a + b = b + a := " + PROOF
    assert result.code == "import Lean\n" + check["cmd"]


async def test_a_clean_search_check_is_not_proved_without_the_independent_verdict(tmp_path: Path) -> None:
    checker, log = _checker(tmp_path, [["import_lean#0", "file_env#1"]], lean_cmd=(str(tmp_path / "no-lean"),))
    try:
        result = await checker.check(PROBLEM, PROOF)
        confirmed = await checker.confirm(PROBLEM, PROOF)
    finally:
        await checker.aclose()
    assert (result.status, result.ok) == ("env_unavailable", False)
    assert "independent verdict" in (result.first_error or "")
    assert (confirmed.status, confirmed.ok) == ("env_unavailable", False)
    assert [c.get("env") for c in logged_commands(log)] == [None, 0], "confirm() never asks the search REPL"


async def test_lean_verdicts_are_mapped_to_the_full_source(tmp_path: Path) -> None:
    checker, log = _checker(tmp_path, [["import_lean#0", "tactic_sorry#0", "incomplete#1", "dup_msg#2",
                                        "line_breaks#0"]])
    try:
        sorry = await checker.check(PROBLEM, PROOF)
        unsolved = await checker.check(PROBLEM, PROOF)
        unknown = await checker.check(PROBLEM, PROOF)
        parse = await checker.check(PROBLEM, PROOF)
    finally:
        await checker.aclose()
    assert (sorry.status, sorry.error_class) == ("rejected", "forbidden")
    assert sorry.goals == ["⊢ Nat"]
    assert (unsolved.status, unsolved.error_class) == ("failed", "unsolved_goals")
    assert len(unsolved.goals) == 2 and unsolved.messages[0].line == 3 + 1
    assert (unknown.status, unknown.error_class) == ("failed", "unknown_identifier")
    assert (parse.status, parse.error_class) == ("failed", "parse_error")
    headers = [c for c in logged_commands(log) if c == {"cmd": "import Lean"}]
    assert len(headers) == 1, "the header is elaborated once and its env reused"
    assert checker.pool().stats()["started"] == 1


async def test_prewarmed_sessions_serve_the_first_check(tmp_path: Path) -> None:
    checker, log = _checker(tmp_path, [["import_lean#0", "file_env#1"]])
    try:
        checker.prewarm(PROBLEM.header)
        checker.pool().wait_idle()
        assert checker.pool().stats()["idle"] == 1
        assert logged_commands(log) == [{"cmd": "import Lean"}]
        result = await checker.check(PROBLEM, PROOF, confirm=False)
    finally:
        await checker.aclose()
    assert result.ok and checker.pool().stats()["started"] == 1


async def test_an_unknown_environment_reply_discards_the_session(tmp_path: Path) -> None:
    checker, _ = _checker(tmp_path, [["import_lean#0", "unknown_environment#0"], ["import_lean#0", "file_env#1"]])
    try:
        lost = await checker.check(PROBLEM, PROOF, confirm=False)
        again = await checker.check(PROBLEM, PROOF, confirm=False)
    finally:
        await checker.aclose()
    assert lost.status == "crashed" and "Unknown environment." in (lost.first_error or "")
    assert again.status == "proved"
    assert checker.pool().stats()["retired"] >= 1


async def test_a_hung_repl_times_out_and_the_next_check_works(tmp_path: Path) -> None:
    checker, _ = _checker(tmp_path, [["import_lean#0", "hang"], ["import_lean#0", "file_env#1"]])
    try:
        hung = await checker.check(PROBLEM, PROOF, timeout_ms=500, confirm=False)
        again = await checker.check(PROBLEM, PROOF, confirm=False)
    finally:
        await checker.aclose()
    assert (hung.status, hung.error_class, hung.ok) == ("timeout", "timeout", False)
    assert again.status == "proved"


async def test_a_crashed_repl_is_reported_and_replaced(tmp_path: Path) -> None:
    checker, _ = _checker(tmp_path, [["import_lean#0", "exit"], ["import_lean#0", "file_env#1"]])
    try:
        crashed = await checker.check(PROBLEM, PROOF, confirm=False)
        again = await checker.check(PROBLEM, PROOF, confirm=False)
    finally:
        await checker.aclose()
    assert crashed.status == "crashed" and not crashed.ok
    assert again.status == "proved"


async def test_a_header_that_fails_is_env_unavailable_and_not_retried(tmp_path: Path) -> None:
    checker, log = _checker(tmp_path, [["dup_msg#2"]])
    try:
        first = await checker.check(PROBLEM, PROOF)
        second = await checker.check(PROBLEM, PROOF)
    finally:
        await checker.aclose()
    assert first.status == second.status == "env_unavailable"
    assert "Unknown identifier `g`" in (first.first_error or "")
    assert len(logged_commands(log)) == 1


async def test_headers_share_a_bounded_pool(tmp_path: Path) -> None:
    other = PROBLEM.model_copy(update={"header": "import Lean.Elab"})
    checker, log = _checker(tmp_path, [["import_lean#0", "file_env#1"]])
    try:
        assert (await checker.check(PROBLEM, PROOF, confirm=False)).ok
        assert (await checker.check(other, PROOF, confirm=False)).ok
    finally:
        await checker.aclose()
    assert checker.pool().stats()["started"] == 2
    assert [c["cmd"] for c in logged_commands(log) if "env" not in c] == ["import Lean", "import Lean.Elab"]


async def test_forbidden_and_bad_input_never_reach_lean(tmp_path: Path) -> None:
    checker, log = _checker(tmp_path, [["import_lean#0", "file_env#1"]])
    try:
        sorry = await checker.check(PROBLEM, "by\n  intro a b\n  sorry")
        axiom = await checker.check(PROBLEM.model_copy(update={"decls": "axiom cheat : False"}), PROOF)
        empty = await checker.check(PROBLEM, "   ")
        wrong_type = await checker.check(PROBLEM, 42)  # type: ignore[arg-type]
        bad_name = await checker.check(PROBLEM.model_copy(update={"theorem_name": "a b"}), PROOF)
    finally:
        await checker.aclose()
    assert (sorry.status, sorry.error_class) == ("rejected", "forbidden")
    assert (sorry.messages[0].line, sorry.messages[0].column) == (5, 2)
    assert axiom.status == "rejected" and axiom.messages[0].line == 3
    assert [r.status for r in (empty, wrong_type, bad_name)] == ["failed"] * 3
    assert logged_commands(log) == []


async def test_status_says_why_lean_is_unavailable(tmp_path: Path) -> None:
    unset = LeanChecker(LeanConfig(project=None))
    missing = LeanChecker(LeanConfig(project=tmp_path / "absent"))
    no_binary = LeanChecker(LeanConfig(project=tmp_path, repl_cmd=("no-such-lake-binary", "env", "repl")))
    assert "CERTAINLY_LEAN_PROJECT" in (unset.status().reason or "")
    assert "does not exist" in (missing.status().reason or "")
    assert "not on PATH" in (no_binary.status().reason or "")
    result = await unset.check(PROBLEM, PROOF)
    assert result.status == "env_unavailable" and not result.ok
    await unset.aclose()


async def test_a_repl_that_cannot_start_falls_back_to_cold(tmp_path: Path) -> None:
    config = LeanConfig(project=tmp_path, repl_cmd=(sys.executable, "-c", "import sys; sys.exit(5)"),
                        lean_cmd=(str(tmp_path / "no-such-lean"),), pool_size=1)
    checker = LeanChecker(config)
    try:
        result = await checker.check(PROBLEM, PROOF)
    finally:
        await checker.aclose()
    assert result.status in ("env_unavailable", "crashed") and not result.ok


def test_assembly_keeps_imports_apart() -> None:
    job = assemble(PROBLEM.model_copy(update={"decls": "def two := 2"}), ":= by simp")
    assert job.imports == "import Lean" and job.offset == 1
    assert job.cmd == "open Nat\ndef two := 2\ntheorem add_comm' : ∀ a b : Nat, a + b = b + a := by simp"
    assert (job.body_line, job.decls_line) == (4, 3)


@pytest.mark.needs_lean
async def test_real_lean_proves_and_refuses() -> None:
    config = LeanConfig.from_settings(CertainlySettings.from_env())
    if config.project is None or shutil.which("lake") is None:
        pytest.skip("set CERTAINLY_LEAN_PROJECT to a Lake project with the REPL built")
    checker = LeanChecker(config)
    problem = Problem(backend="lean", theorem_name="t", statement="∀ a b : Nat, a + b = b + a")
    try:
        good = await checker.check(problem, "by intro a b; exact Nat.add_comm a b")
        bad = await checker.check(problem, "by intro a b; rfl")
        false = await checker.check(problem.model_copy(update={"statement": "1 = 2"}), "by decide")
    finally:
        await checker.aclose()
    assert good.ok and set(good.axioms) <= {"propext", "Classical.choice", "Quot.sound"}
    assert bad.status == "failed"
    assert false.status == "failed"
    cold = LeanChecker(LeanConfig.from_settings(CertainlySettings.from_env(), mode="cold"))
    cold_good = await cold.check(problem, "by intro a b; exact Nat.add_comm a b")
    cold_bad = await cold.check(problem, "by intro a b; rfl")
    assert cold_good.ok and cold_good.checker is not None and cold_good.checker.mode == "cold"
    assert cold_bad.status == "failed"
