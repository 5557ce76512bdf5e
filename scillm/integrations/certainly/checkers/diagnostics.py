"""Turn coqtop `-emacs` output into positioned `Message`s and an `error_class`.

coqtop prints an error as `Toplevel input, characters A-B:`, the echoed
source line(s), then `Error: ...`, just before the next prompt. Warnings look
the same inside `<warning>` tags, and `idtac`/loading chatter sits in
`<infomsg>` tags, so tags are taken out before looking for `Error:` (pitfall 2
in the notes). Character offsets are bytes from the start of the line the
sentence began on; the checker sends every sentence on a line of its own, so
they map straight back to the sentence in the candidate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from scillm.integrations.certainly.checkers.sentences import Sentence
from scillm.integrations.certainly.models import ErrorClass, Message

_TAGGED = re.compile(r"<(infomsg|warning)>(.*?)</\1>", re.S)
_LOCATION = re.compile(r"^Toplevel input, characters (\d+)-(\d+):\s*$", re.M)
_ERROR = re.compile(r"^(Error:|Anomaly)", re.M)
_MISSING_LIB = re.compile(
    r"Cannot find a physical path bound to logical path\s+(\S+?\s+with\s+prefix\s+\S+?|\S+?)\.?\s*$|"
    r"Unable to locate library\s+(\S+?)\.?\s*$|"
    r"Cannot load\s+(\S+?):",
    re.M,
)


@dataclass(frozen=True)
class RawDiagnostic:
    """One diagnostic as coqtop printed it, offsets still in bytes of the sent sentence."""

    severity: str
    text: str
    start: int | None
    end: int | None


def split_tags(segment: str) -> tuple[str, list[str], list[str]]:
    """(segment without tagged blocks, warnings, infos)."""
    warnings: list[str] = []
    infos: list[str] = []

    def _keep(m: re.Match[str]) -> str:
        (warnings if m.group(1) == "warning" else infos).append(m.group(2).strip())
        return ""

    return _TAGGED.sub(_keep, segment), warnings, infos


def _error_body(text: str) -> str:
    lines = [ln for ln in text.splitlines() if not ln.startswith("> ")]
    return " ".join(" ".join(lines).split())


def errors_in(segment: str) -> list[RawDiagnostic]:
    """Every `Error:`/`Anomaly` in one sentence's output, with its byte span when printed."""
    clean, _, _ = split_tags(segment)
    found: list[RawDiagnostic] = []
    for m in _ERROR.finditer(clean):
        before = clean[: m.start()]
        locs = list(_LOCATION.finditer(before))
        start = end = None
        if locs and "Error:" not in before[locs[-1].end():]:
            start, end = int(locs[-1].group(1)), int(locs[-1].group(2))
        nxt = _ERROR.search(clean, m.end())
        body = clean[m.start(): nxt.start() if nxt else len(clean)]
        body = _LOCATION.sub("", body)
        found.append(RawDiagnostic("error", _error_body(body), start, end))
    return found


def warnings_in(segment: str) -> list[RawDiagnostic]:
    """Warnings of one sentence; coqtop prints the location header just before the `<warning>` tag."""
    out = []
    prev_end = 0
    for m in _TAGGED.finditer(segment):
        if m.group(1) != "warning":
            prev_end = m.end()
            continue
        locs = list(_LOCATION.finditer(segment, prev_end, m.start())) or list(_LOCATION.finditer(m.group(2)))
        start, end = (int(locs[-1].group(1)), int(locs[-1].group(2))) if locs else (None, None)
        out.append(RawDiagnostic("warning", _error_body(_LOCATION.sub("", m.group(2))), start, end))
        prev_end = m.end()
    return out


def missing_library(text: str) -> str | None:
    """The library a `Require` could not find, if that is what the error says."""
    m = _MISSING_LIB.search(text)
    if not m:
        return None
    name = " ".join(next(g for g in m.groups() if g).split())
    pm = re.fullmatch(r"(\S+) with prefix (\S+)", name)
    return f"{pm.group(2)}.{pm.group(1)}" if pm else name


def classify(text: str) -> ErrorClass:
    """Map one Coq error text to the contract's error classes."""
    t = text
    if "Timeout!" in t or "User interrupt" in t:
        return "timeout"
    if "incomplete proof" in t or "unfocused goals" in t or "Some goals are" in t or "given up" in t:
        return "unsolved_goals"
    if "was not found in the current environment" in t or "Unknown" in t or "not a defined object" in t:
        return "unknown_identifier"
    if "Syntax error" in t or "Syntax Error" in t or "Lexer" in t or "Illegal begin of" in t:
        return "parse_error"
    if (
        "has type" in t
        or "Unable to unify" in t
        or "cannot be applied" in t
        or "Illegal application" in t
        or "expected to have type" in t
        or "Impossible to unify" in t
    ):
        return "type_mismatch"
    return "tactic_failed"


def _char_offset(text: str, byte_offset: int) -> int:
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def to_message(diag: RawDiagnostic, sentence: Sentence | None, line_offset: int = 0) -> Message:
    """Position a diagnostic in the candidate: the sentence's place plus the offset inside it."""
    severity: Literal["error", "warning"] = "error" if diag.severity == "error" else "warning"
    if sentence is None:
        return Message(severity=severity, text=diag.text)
    if diag.start is None or diag.end is None:
        return Message(severity=severity, text=diag.text, line=sentence.line + line_offset, column=sentence.column)

    def _place(byte_off: int) -> tuple[int, int]:
        k = min(_char_offset(sentence.text, byte_off), len(sentence.text))
        head = sentence.text[:k]
        nl = head.count("\n")
        if nl == 0:
            return sentence.line + line_offset, sentence.column + k
        return sentence.line + line_offset + nl, k - head.rfind("\n") - 1

    line, col = _place(diag.start)
    end_line, end_col = _place(diag.end)
    return Message(severity=severity, text=diag.text, line=line, column=col, end_line=end_line, end_column=end_col)


def goals_in(segment: str) -> list[str]:
    """Goals printed after a tactic, one string per goal (first goal with its context)."""
    clean, _, _ = split_tags(segment)
    if "No more goals" in clean:
        return []
    m = re.search(r"^\d+ goals?(?: \(ID \d+\))?\s*$", clean, re.M)
    if not m:
        return []
    body = clean[m.end():]
    body = body.split("Toplevel input", 1)[0]
    parts = re.split(r"^goal \d+ \(ID \d+\) is:\s*$", body, flags=re.M)
    return [p.strip("\n").rstrip() for p in parts if p.strip()]


__all__ = ["RawDiagnostic", "classify", "errors_in", "goals_in", "missing_library", "split_tags", "to_message", "warnings_in"]
