"""Verdicts and error classes from the messages real Lean printed (recorded REPL transcripts)."""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.lean_diagnostics import classify, goals_of, judge
from scillm.integrations.certainly.checkers.lean_repl import ReplReply, parse_replies
from tests.support.lean_replay import FIXTURES

pytestmark = pytest.mark.needs_shared


def _reply(name: str, index: int) -> ReplReply:
    return parse_replies((FIXTURES / f"{name}.expected.out").read_text(encoding="utf-8"))[index]


@pytest.mark.parametrize(
    ("name", "index", "status", "error_class"),
    [
        ("file_env", 1, "proved", None),
        ("import_lean", 0, "proved", None),
        ("tactic_sorry", 0, "rejected", "forbidden"),
        ("term_sorry", 0, "rejected", "forbidden"),
        ("dup_sorries", 1, "rejected", "forbidden"),
        ("incomplete", 0, "failed", "unsolved_goals"),
        ("unfinished_tactic_block", 0, "failed", "unsolved_goals"),
        ("dup_msg", 2, "failed", "unknown_identifier"),
        ("invalid_line_break", 0, "failed", "unknown_identifier"),
        ("line_breaks", 0, "failed", "parse_error"),
        ("app_type_mismatch", 0, "failed", "other"),
    ],
)
def test_recorded_replies_get_their_verdict(name: str, index: int, status: str, error_class: str | None) -> None:
    reply = _reply(name, index)
    verdict = judge(reply.messages, reply.sorries, line_offset=0)
    assert (verdict.status, verdict.error_class) == (status, error_class)


def test_sorry_is_caught_from_the_warning_alone() -> None:
    reply = _reply("tactic_sorry", 0)
    verdict = judge(reply.messages, [], line_offset=0)
    assert verdict.status == "rejected"


def test_goals_and_coordinates_of_unsolved_goals() -> None:
    reply = _reply("incomplete", 1)
    verdict = judge(reply.messages, reply.sorries, line_offset=2)
    assert verdict.goals == ["case pos\nx : Bool\nh✝ : x = true\n⊢ Nat", "case neg\nx : Bool\nh✝ : ¬x = true\n⊢ Nat"]
    first = verdict.messages[0]
    assert (first.line, first.column, first.end_line, first.end_column) == (5, 19, 5, 20)


def test_classes_of_every_recorded_error() -> None:
    errors = {}
    for path in sorted(FIXTURES.glob("*.expected.out")):
        for reply in parse_replies(path.read_text(encoding="utf-8")):
            for m in reply.messages:
                if m.severity == "error":
                    errors[m.data] = classify(m.data)
    assert errors["Unknown identifier `my_fake_premise`"] == "unknown_identifier"
    assert errors["unexpected token 'sorry'; expected command"] == "parse_error"
    assert errors["unsolved goals\n⊢ 1 = 1"] == "unsolved_goals"
    assert errors["(kernel) declaration has metavariables '_example'"] == "other"
    assert set(errors.values()) <= {"unknown_identifier", "parse_error", "unsolved_goals", "other",
                                    "tactic_failed", "type_mismatch"}


def test_error_classes_of_common_lean_messages() -> None:
    assert classify("type mismatch\n  h\nhas type\n  a = b : Prop\nbut is expected to have type\n  b = a : Prop") \
        == "type_mismatch"
    assert classify("unknown constant 'Nat.foo'") == "unknown_identifier"
    assert classify("linarith failed to find a contradiction") == "tactic_failed"
    assert classify("(deterministic) timeout at `whnf`, maximum number of heartbeats (200000)") == "timeout"
    assert goals_of("type mismatch") == []
