"""Lean messages -> `Message`s in the checked source's coordinates, an error class and open goals.

Pure functions over the REPL's structured output (or `lean --json` lines,
which share the `{severity, pos, endPos, data}` shape). The verdict rests on
severities and the `sorries` list; message text only picks the error class.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from scillm.integrations.certainly.checkers.lean_repl import ReplMessage, ReplSorry
from scillm.integrations.certainly.checkers.lean_soundness import is_sorry_warning
from scillm.integrations.certainly.models import CheckStatus, ErrorClass, Message

_CLASSES: tuple[tuple[ErrorClass, re.Pattern[str]], ...] = (
    ("unsolved_goals", re.compile(r"^unsolved goals", re.IGNORECASE)),
    ("timeout", re.compile(r"deterministic\) timeout|maximum recursion depth|heartbeats", re.IGNORECASE)),
    ("unknown_identifier", re.compile(r"unknown (identifier|constant|namespace|declaration)", re.IGNORECASE)),
    ("type_mismatch", re.compile(r"type mismatch|is expected to have type|has type\b.*\bbut is expected",
                                 re.IGNORECASE | re.DOTALL)),
    ("parse_error", re.compile(r"unexpected token|unexpected end of input|unknown tactic|expected (term|command|'|`)"
                               r"|unterminated comment|invalid 'by'|missing end of character literal",
                               re.IGNORECASE)),
    ("tactic_failed", re.compile(r"failed|made no progress|could not|no goals|did not|not applicable"
                                 r"|cannot", re.IGNORECASE)),
)


def classify(text: str) -> ErrorClass:
    """The error class of one Lean error message."""
    for error_class, pattern in _CLASSES:
        if pattern.search(text):
            return error_class
    return "other"


def to_message(msg: ReplMessage, line_offset: int) -> Message:
    """Shift a message from command coordinates to checked-source coordinates."""
    severity = msg.severity if msg.severity in ("error", "warning", "info") else "error"
    line = msg.pos.line + line_offset if msg.pos.line > 0 else None
    end = msg.end_pos
    return Message(
        severity=severity,  # type: ignore[arg-type]
        text=msg.data,
        line=line,
        column=msg.pos.column if line is not None else None,
        end_line=end.line + line_offset if end is not None and end.line > 0 else None,
        end_column=end.column if end is not None and end.line > 0 else None,
    )


def goals_of(text: str) -> list[str]:
    """Goals printed after `unsolved goals`, one entry per goal (blank-line separated in Lean)."""
    if not text.lower().startswith("unsolved goals"):
        return []
    body = text.split("\n", 1)[1] if "\n" in text else ""
    return [g.strip() for g in re.split(r"\n\s*\n", body) if g.strip()]


@dataclass
class LeanVerdict:
    """What Lean's answer to one command says, before axioms are confirmed."""

    status: CheckStatus
    error_class: ErrorClass | None = None
    messages: list[Message] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)


def judge(messages: Sequence[ReplMessage], sorries: Sequence[ReplSorry], line_offset: int) -> LeanVerdict:
    """`failed` on any error, `rejected` on any sorry, otherwise `proved` (pending confirmation)."""
    mapped = [to_message(m, line_offset) for m in messages]
    errors = [m for m in messages if m.severity == "error"]
    if errors:
        goals = [g for m in errors for g in goals_of(m.data)]
        classes = [classify(m.data) for m in errors]
        # A parse error is the root cause: Lean then also reports the cut-off proof's open goals.
        error_class = "parse_error" if "parse_error" in classes else classes[0]
        return LeanVerdict("failed", error_class, mapped, goals)
    if sorries or any(is_sorry_warning(m.data) for m in messages):
        where = next((s.pos for s in sorries if s.pos is not None), None)
        note = Message(severity="error", text="the proof uses `sorry` (or a tactic that expands to it)",
                       line=where.line + line_offset if where else None, column=where.column if where else None)
        return LeanVerdict("rejected", "forbidden", [note, *mapped], [s.goal for s in sorries if s.goal])
    return LeanVerdict("proved", None, mapped)


__all__ = ["LeanVerdict", "classify", "goals_of", "judge", "to_message"]
