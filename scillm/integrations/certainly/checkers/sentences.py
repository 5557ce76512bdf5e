"""Client-side Coq lexer: cut a script into sentences before anything reaches coqtop.

coqtop itself would let an unterminated comment or string, or a missing final
`.`, swallow whatever we send next (the sentinel included), so every script is
cut here first. The lexer knows nested comments, strings (`""` escapes),
bullets (`-`, `++`, `***`), braces, goal selectors before a brace (`2: {`,
`[x]: {`) and that only a `.` followed by a blank or the end ends a sentence
(`Nat.add`, `..` and `...` do not). Positions are reported 1-based for lines
and 0-based for columns, in the coordinates of the text given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

SentenceKind = Literal["bullet", "brace", "command"]

_SELECTOR_BRACE = re.compile(r"(?:\d+|\[[A-Za-z_][\w']*\])\s*:\s*\{")
_BULLET = re.compile(r"(-+|\++|\*+)")


class LexError(ValueError):
    """The script cannot be cut into sentences; `offset` is where the problem starts."""

    def __init__(self, message: str, offset: int, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.reason = message
        self.offset = offset
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Sentence:
    """One sentence exactly as written, with where it starts in the source."""

    text: str
    kind: SentenceKind
    offset: int
    line: int
    column: int


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start


def _skip_comment(text: str, i: int) -> int:
    """Index just past the comment opening at `i` (nested comments and strings inside)."""
    depth = 0
    n = len(text)
    start = i
    while i < n:
        if text.startswith("(*", i):
            depth += 1
            i += 2
        elif text.startswith("*)", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        elif text[i] == '"':
            i = _skip_string(text, i)
        else:
            i += 1
    line, col = _position(text, start)
    raise LexError("unterminated comment", start, line, col)


def _skip_string(text: str, i: int) -> int:
    """Index just past the string opening at `i` (`""` is an escaped quote)."""
    start = i
    i += 1
    n = len(text)
    while i < n:
        if text[i] == '"':
            if i + 1 < n and text[i + 1] == '"':
                i += 2
                continue
            return i + 1
        i += 1
    line, col = _position(text, start)
    raise LexError("unterminated string", start, line, col)


def _skip_blank(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif text.startswith("(*", i):
            i = _skip_comment(text, i)
        else:
            break
    return i


def _sentence_end(text: str, i: int) -> int:
    """Index just past the `.` that ends the command sentence starting at `i`."""
    start = i
    n = len(text)
    while i < n:
        c = text[i]
        if text.startswith("(*", i):
            i = _skip_comment(text, i)
        elif c == '"':
            i = _skip_string(text, i)
        elif c == ".":
            if i + 1 < n and text[i + 1] == ".":
                while i < n and text[i] == ".":
                    i += 1
                continue
            if i + 1 >= n or text[i + 1].isspace():
                return i + 1
            i += 1
        else:
            i += 1
    line, col = _position(text, start)
    raise LexError("sentence does not end with '.'", start, line, col)


def split_sentences(text: str) -> list[Sentence]:
    """Cut `text` into sentences; raises `LexError` when it cannot be cut safely."""
    out: list[Sentence] = []
    i = _skip_blank(text, 0)
    n = len(text)
    while i < n:
        c = text[i]
        m_sel = _SELECTOR_BRACE.match(text, i)
        if c in "{}":
            end, kind = i + 1, "brace"
        elif m_sel is not None:
            end, kind = m_sel.end(), "brace"
        elif c in "-+*" and not text.startswith("(*", i):
            m_bullet = _BULLET.match(text, i)
            assert m_bullet is not None
            end, kind = m_bullet.end(), "bullet"
        else:
            end, kind = _sentence_end(text, i), "command"
        line, col = _position(text, i)
        out.append(Sentence(text=text[i:end], kind=kind, offset=i, line=line, column=col))  # type: ignore[arg-type]
        i = _skip_blank(text, end)
    return out


def strip_comments(sentence: str) -> str:
    """The sentence with comments replaced by a space and strings kept (for word scans)."""
    parts: list[str] = []
    i = 0
    n = len(sentence)
    while i < n:
        if sentence.startswith("(*", i):
            i = _skip_comment(sentence, i)
            parts.append(" ")
        elif sentence[i] == '"':
            j = _skip_string(sentence, i)
            parts.append(sentence[i:j])
            i = j
        else:
            parts.append(sentence[i])
            i += 1
    return "".join(parts)


def words_outside_strings(sentence: str) -> list[str]:
    """Identifier-like words of a sentence, ignoring comments and string contents."""
    text = strip_comments(sentence)
    text = re.sub(r'"(?:[^"]|"")*"', " ", text)
    return re.findall(r"[A-Za-z_][\w']*", text)


__all__ = ["LexError", "Sentence", "SentenceKind", "split_sentences", "strip_comments", "words_outside_strings"]
