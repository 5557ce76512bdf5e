"""CoqChecker on a real coqtop: verdicts, positions, isolation, timeouts, crashes, bad input."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scillm.integrations.certainly.checkers import available_backends, check_file, get_checker
from scillm.integrations.certainly.checkers.base import Checker
from scillm.integrations.certainly.checkers.coq import CoqChecker
from scillm.integrations.certainly.models import CheckResult, Problem

pytestmark = pytest.mark.needs_coq

NAT = Problem(header="Require Import Lia.", statement="forall n : nat, n + 0 = n")


@pytest.fixture(scope="module")
def checker() -> Iterator[CoqChecker]:
    chk = get_checker("coq", pool_size=1, timeout_ms=10_000)
    assert isinstance(chk, CoqChecker)
    yield chk
    chk.close()


def test_available_backends_reports_coq_with_version() -> None:
    coq = next(b for b in available_backends() if b.name == "coq")
    assert coq.available and coq.version and coq.version[0].isdigit()
    assert any(b.name == "lean" for b in available_backends())


def test_checker_follows_the_protocol(checker: CoqChecker) -> None:
    assert isinstance(checker, Checker)


def test_proved_result_fields(checker: CoqChecker) -> None:
    r = checker.check_sync(NAT, "intros. lia.")
    assert (r.ok, r.status, r.error_class) == (True, "proved", None)
    assert r.checker is not None and r.checker.name == "coq" and r.checker.mode == "warm"
    assert r.checker.version == next(b for b in available_backends() if b.name == "coq").version
    assert r.code == "Require Import Lia.\nTheorem certainly_goal : forall n : nat, n + 0 = n.\nProof.\nintros.\nlia.\nQed.\n"
    assert r.time_ms > 0


def test_error_position_is_in_the_candidate(checker: CoqChecker) -> None:
    r = checker.check_sync(NAT, "intros.\n  rewrite\n   bogus_lemma.\nlia.")
    assert (r.status, r.error_class) == ("failed", "unknown_identifier")
    m = r.messages[0]
    assert (m.line, m.column, m.end_line) == (3, 3, 3)
    assert "bogus_lemma" in m.text


def test_unsolved_goals_are_reported(checker: CoqChecker) -> None:
    r = checker.check_sync(NAT, "intros n.")
    assert (r.status, r.error_class) == ("failed", "unsolved_goals")
    assert r.goals and "n + 0 = n" in r.goals[0]


def test_goals_of_a_failed_step_and_warnings_of_a_passing_one_are_reported(checker: CoqChecker) -> None:
    # Goals are not printed after every sentence; the ones left at Qed still come back, and so do warnings.
    r = checker.check_sync(Problem(statement="forall n : nat, n = n /\\ True"), "intros n. split. reflexivity.")
    assert (r.status, r.error_class) == ("failed", "unsolved_goals")
    assert r.goals and "True" in r.goals[0]
    div2 = Problem(header="Require Import Arith.Div2.", statement="Nat.div2 2 = 1")
    ok = checker.check_sync(div2, "change (div2 2 = 1). reflexivity.", confirm=False)
    assert ok.ok, ok
    assert any(m.severity == "warning" and "deprecated" in m.text for m in ok.messages), ok.messages


@pytest.mark.parametrize(
    ("proof", "error_class"),
    [("intros. reflexivity.", "type_mismatch"), ("intros. exfalso. lia.", "tactic_failed"),
     ("intros. ( lia.", "parse_error")],
)
def test_error_classes(checker: CoqChecker, proof: str, error_class: str) -> None:
    r = checker.check_sync(NAT, proof)
    assert (r.status, r.error_class) == ("failed", error_class), r


def test_one_candidate_cannot_affect_the_next(checker: CoqChecker) -> None:
    p1 = Problem(decls="Definition secret := 3.", statement="secret = 3")
    assert checker.check_sync(p1, "reflexivity.").status == "proved"
    r = checker.check_sync(Problem(statement="secret = 3"), "reflexivity.")
    assert (r.status, r.error_class) == ("failed", "unknown_identifier")
    half = checker.check_sync(NAT, "intros. induction n.")
    assert half.status == "failed"
    assert checker.check_sync(NAT, "intros. lia.").status == "proved"


def test_missing_library_is_env_unavailable(checker: CoqChecker) -> None:
    r = checker.check_sync(Problem(header="Require Import ScillmAbsent.Library.", statement="True"), "exact I.")
    assert r.status == "env_unavailable" and not r.ok
    assert "ScillmAbsent.Library" in (r.first_error or "")


def test_from_stdlib_header_works_on_this_coq(checker: CoqChecker) -> None:
    p = Problem(header="From Stdlib Require Import Lia.", statement="forall n : nat, n + 0 = n")
    assert checker.check_sync(p, "intros. lia.").status == "proved"


@pytest.mark.parametrize(
    ("problem", "proof", "needle"),
    [
        (NAT, "", "empty"),
        (NAT, "   \n", "empty"),
        (NAT, 42, "must be a string"),
        (NAT, b"\xff\xfe intros.", "UTF-8"),
        (NAT, "intros. \ud800 lia.", "UTF-8"),
        (NAT, "intros. " * 200_000, "limit"),
        (NAT, "intros.\x00", "NUL"),
        (Problem(statement="True. Qed. Theorem x : False"), "exact I.", "statement"),
        (Problem(statement="forall n : nat, n +"), "intros.", ""),
        (Problem(statement="True", theorem_name="bad name"), "exact I.", "identifier"),
        ("not a problem", "exact I.", "Problem"),
    ],
)
def test_bad_input_gets_a_status_not_an_exception(checker: CoqChecker, problem: Any, proof: Any, needle: str) -> None:
    r = checker.check_sync(problem, proof)
    assert not r.ok and r.status == "failed" and r.error_class in ("parse_error",), r
    assert needle in (r.first_error or "")
    assert checker.check_sync(NAT, "intros. lia.").status == "proved"


def test_coq_timeout_is_a_timeout_and_the_session_survives(checker: CoqChecker) -> None:
    before = checker.pool.stats()["started"]
    slow = checker.check_sync(NAT, "intros. do 100000000 (idtac). lia.", timeout_ms=500)
    assert (slow.status, slow.error_class, slow.ok) == ("timeout", "timeout", False), slow
    assert checker.check_sync(NAT, "intros. lia.").status == "proved"
    assert checker.pool.stats()["started"] == before


def _busy_pid(checker: CoqChecker) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and checker.pool.stats()["busy"] == 0:
        time.sleep(0.02)
    time.sleep(0.3)
    pids = [pid for s in checker.pool.sessions() if (pid := s.prover_pid()) is not None]
    assert len(pids) == 1
    return pids[0]


def test_hung_prover_hits_the_wall_clock_and_is_replaced(checker: CoqChecker) -> None:
    before = checker.pool.stats()["started"]
    result: list[CheckResult] = []
    t = threading.Thread(target=lambda: result.append(
        checker.check_sync(NAT, "intros. do 100000000 (idtac). lia.", timeout_ms=1000)))
    t.start()
    os.kill(_busy_pid(checker), signal.SIGSTOP)  # a prover that stops answering, even to its own timeout
    t.join(60)
    assert result and (result[0].status, result[0].error_class) == ("timeout", "timeout"), result
    assert "session replaced" in (result[0].first_error or "")
    assert checker.check_sync(NAT, "intros. lia.").status == "proved"
    assert checker.pool.stats()["started"] > before


def test_crashed_session_is_reported_and_replaced(checker: CoqChecker) -> None:
    result: list[CheckResult] = []
    t = threading.Thread(target=lambda: result.append(
        checker.check_sync(NAT, "intros. do 100000000 (idtac). lia.", timeout_ms=60_000)))
    t.start()
    os.kill(_busy_pid(checker), signal.SIGKILL)
    t.join(60)
    assert result and result[0].status == "crashed" and not result[0].ok, result
    assert checker.check_sync(NAT, "intros. lia.").status == "proved"


def test_memory_cap_stops_a_memory_bomb_and_the_session_is_replaced() -> None:
    chk = get_checker("coq", pool_size=1, mem_bytes=1 << 30)
    assert isinstance(chk, CoqChecker)
    try:
        p = Problem(statement="True")
        r = chk.check_sync(p, "let x := eval vm_compute in (Nat.pow 10 8) in idtac. exact I.")
        assert r.status in ("failed", "crashed") and not r.ok, r
        assert chk.check_sync(p, "exact I.").status == "proved"
        assert chk.pool.stats()["retired"] >= 1
    finally:
        chk.close()


def test_async_check_and_confirm(checker: CoqChecker) -> None:
    async def go() -> tuple[CheckResult, CheckResult, CheckResult]:
        a = await checker.check(NAT, "intros. lia.", confirm=False)
        b = await checker.confirm(NAT, "intros. lia.")
        c = await checker.check(NAT, "intros.")
        return a, b, c

    a, b, c = asyncio.run(go())
    assert (a.status, b.status, c.status) == ("proved", "proved", "failed")


def test_check_file_whole_file(checker: CoqChecker) -> None:
    text = "Require Import Lia.\n\nTheorem add0 (n : nat) : n + 0 = n.\nProof.\n  lia.\nQed.\n"
    r = asyncio.run(check_file(text, "add0", checker=checker))
    assert r.status == "proved"
    admitted = asyncio.run(check_file(text.replace("  lia.\nQed.", "Admitted."), "add0", checker=checker))
    assert admitted.status == "rejected"
    missing = asyncio.run(check_file(text, "nope", checker=checker))
    assert (missing.status, missing.error_class) == ("failed", "parse_error")


def test_cold_checker_agrees_with_warm(checker: CoqChecker) -> None:
    cold = get_checker("coq", mode="cold")
    good = cold.check_sync(NAT, "intros. lia.")  # type: ignore[attr-defined]
    bad = cold.check_sync(NAT, "intros.\n rewrite bogus. lia.")  # type: ignore[attr-defined]
    assert good.status == "proved" and good.checker.mode == "cold"
    assert (bad.status, bad.error_class) == ("failed", "unknown_identifier")
    assert (bad.messages[0].line, bad.messages[0].column) == (2, 9)
    assert cold.check_sync(NAT, "intros. admit.").status == "rejected"  # type: ignore[attr-defined]


def test_result_code_recompiles_with_coqc(checker: CoqChecker, tmp_path: Path) -> None:
    r = checker.check_sync(NAT, "Proof. intros.\n lia. Qed.")
    (tmp_path / "again.v").write_text(r.code)
    done = subprocess.run(["coqc", "-q", "again.v"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
