"""A warm session starts the next candidate for the same statement at the state after `Proof.`.

Real sandboxed coqtop. The reuse must be invisible: the same verdicts, errors
and positions as a fresh start, and nothing a candidate did survives into the
next one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scillm.integrations.certainly.checkers import get_checker
from scillm.integrations.certainly.checkers.coq import CoqChecker
from scillm.integrations.certainly.checkers.coq_session import CoqSession
from scillm.integrations.certainly.models import Problem

pytestmark = pytest.mark.needs_coq

NAT = Problem(header="Require Import Lia.", statement="forall n : nat, n + 0 = n")


@pytest.fixture
def checker() -> Iterator[CoqChecker]:
    chk = get_checker("coq", pool_size=1, timeout_ms=10_000)
    assert isinstance(chk, CoqChecker)
    yield chk
    chk.close()


def _session(checker: CoqChecker) -> CoqSession:
    sessions = checker.pool.sessions()
    assert len(sessions) == 1
    return sessions[0]


def test_the_second_candidate_starts_after_proof_and_gets_the_same_answers(checker: CoqChecker) -> None:
    first = checker.check_sync(NAT, "intros. lia.", confirm=False)
    start = _session(checker).proof_start
    assert first.status == "proved" and start is not None
    failed = checker.check_sync(NAT, "intros.\n  rewrite\n   bogus_lemma.\nlia.", confirm=False)
    assert _session(checker).proof_start == start  # state ids only grow: the same id is the same state
    assert (failed.status, failed.error_class) == ("failed", "unknown_identifier")
    assert (failed.messages[0].line, failed.messages[0].column) == (3, 3)
    open_goals = checker.check_sync(NAT, "intros n.", confirm=False)
    assert (open_goals.status, open_goals.error_class) == ("failed", "unsolved_goals")
    assert open_goals.goals and "n + 0 = n" in open_goals.goals[0]
    assert checker.check_sync(NAT, "intros. lia.", confirm=True).status == "proved"
    assert _session(checker).proof_start == start


@pytest.mark.parametrize("leftover", [
    "intros. assert (secret : 0 = 0) by reflexivity. exact I.",
    "intros. abstract lia.",
    "intros. lia.",
])
def test_nothing_a_candidate_did_survives_into_the_next(checker: CoqChecker, leftover: str) -> None:
    checker.check_sync(NAT, leftover, confirm=False)
    for uses in ("exact secret.", "exact certainly_goal_subproof.", "exact certainly_goal."):
        r = checker.check_sync(NAT, uses, confirm=False)
        assert r.status == "failed", (leftover, uses, r)
    assert checker.check_sync(NAT, "intros. lia.", confirm=False).status == "proved"


def test_other_decls_or_another_statement_start_from_the_header(checker: CoqChecker) -> None:
    one = Problem(decls="Definition k := 1.", statement="k = 1")
    two = Problem(decls="Definition k := 2.", statement="k = 1")
    assert checker.check_sync(one, "reflexivity.", confirm=False).status == "proved"
    assert checker.check_sync(two, "reflexivity.", confirm=False).status == "failed"
    assert checker.check_sync(Problem(statement="k = 1"), "reflexivity.", confirm=False).error_class == \
        "unknown_identifier"
    assert checker.check_sync(one, "reflexivity.", confirm=False).status == "proved"


def test_a_statement_that_does_not_elaborate_is_never_kept(checker: CoqChecker) -> None:
    bad = Problem(statement="forall n : nat, n + true = n")
    assert checker.check_sync(bad, "intros. reflexivity.", confirm=False).status == "failed"
    assert _session(checker).proof_start is None
    assert checker.check_sync(bad, "intros. reflexivity.", confirm=False).status == "failed"


def test_going_back_anywhere_else_forgets_the_kept_state(checker: CoqChecker) -> None:
    assert checker.check_sync(NAT, "intros. lia.", confirm=False).status == "proved"
    session = _session(checker)
    assert session.proof_start is not None
    session.request([f"BackTo {session.header.base_state}."], 10)
    assert session.proof_start is None
    assert checker.check_sync(NAT, "intros. lia.", confirm=False).status == "proved"


def _default_timeout(session: CoqSession) -> str:
    return session.request(["Test Default Timeout."], 10).segments[0].strip()


def test_one_requests_timeout_does_not_stick_to_the_kept_state(checker: CoqChecker) -> None:
    """Tenant A asks for 1 s; tenant B's candidate for the same statement runs under B's own timeout."""
    assert checker.check_sync(NAT, "intros. lia.", confirm=False, timeout_ms=1000).status == "proved"
    session = _session(checker)
    assert _default_timeout(session).endswith("is 1")
    assert checker.check_sync(NAT, "intros. lia.", confirm=False, timeout_ms=7000).status == "proved"
    assert _default_timeout(session).endswith("is 7")
    assert checker.check_sync(NAT, "intros. lia.", confirm=False).status == "proved"
    assert _default_timeout(session).endswith("is 10")
    assert checker.check_sync(NAT, "intros. lia.", confirm=False, timeout_ms=1000).status == "proved"
    assert _default_timeout(session).endswith("is 1")
