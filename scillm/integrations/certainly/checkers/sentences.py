"""Client-side Coq lexer: cut a script into sentences exactly where Coq 8.16 does.

coqtop would let an unterminated comment or string, or a missing final `.`,
swallow whatever we send next, and a sentence boundary we miss is a command
we never checked, so every script is cut here first. The rules follow Coq's
own lexer (`parsing/cLexer.ml`) and grammar, and are measured against a real
coqtop by a property test:

* a sentence ends at a `.` or `...` token followed by a blank (space, tab,
  CR, LF; not other Unicode spaces) or the end of input; `..` is a token of
  its own and does not end one (`Nat.add`, `1.5`, `x.(f)` do not either);
* nested comments `(* (* *) *)` with strings inside, strings with `""`
  escapes; `(*` inside a string is not a comment;
* at the start of a sentence, and only when the previous sentence ended with
  a dot, a bullet or a plain brace, runs of one bullet character (`-`, `++`,
  `***`) are sentences of their own; `{` and `}` are sentences, and so are
  goal selectors before a brace (`2: {`, `[x]: {`, `all: {`, `1-2,4: {`);
  after a selector brace a `-` is an operator again, not a bullet. Selector
  braces are cut outside proofs too, where Coq reads them as part of a
  failing command: one cut more than Coq only means more text is checked.

Whatever Coq would read differently from this lexer is refused with a
`LexError` rather than guessed: runs of four or more dots, `...` glued to the
next token, `..` glued to a symbol before it (a notation token such as `+.`
would turn its second dot into an end), and a comment glued to a character
`c` when `c(` can be part of a token of the problem's grammar: `.(` and
`` `( `` always (the only such tokens of the standard library and of the
Debian Coq libraries, measured), and any `c(` inside a string literal of the
text or of `grammar` (the header and decls, where notations, infixes and
tactic notations declare their tokens). `.(* c *)` is the keyword `.(`
followed by `*`, not a comment; `+(* c *)` is a comment unless a notation
declares a token holding `+(`.
Positions are 1-based lines and 0-based columns in the text given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

SentenceKind = Literal["bullet", "brace", "command"]

BLANKS = frozenset(" \t\n\r")
_BULLET = re.compile(r"-+|\++|\*+")
_SELECTOR_WORD = re.compile(r"all(?![\w'])|!")
_IDENT = re.compile(r"[A-Za-z_][\w']*")
_NUMBER = re.compile(r"[0-9]+")
_COMMENT_AFTER = frozenset("\"'_()[]{},;")
_STANDARD_GLUED = frozenset(".`")
_ANY = "\x00"
_STRING_LITERAL = re.compile(r'"(?:[^"]|"")*"')


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


def _error(text: str, offset: int, message: str) -> LexError:
    line, col = _position(text, offset)
    return LexError(message, offset, line, col)


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
    raise _error(text, start, "unterminated comment")


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
    raise _error(text, start, "unterminated string")


def _skip_blank(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        if text[i] in BLANKS:
            i += 1
        elif text.startswith("(*", i):
            i = _skip_comment(text, i)
        else:
            break
    return i


def glued_before_paren(*texts: str) -> frozenset[str]:
    """Characters `c` for which `c(` can be part of a token: the standard ones and those in string literals.

    A notation token is declared by a string literal, so a `c(` in any literal
    of the texts (comments included, whatever the command) counts; an odd
    number of quotes means the literals cannot be told apart, so every
    non-blank character counts.
    """
    found = set(_STANDARD_GLUED)
    for text in texts:
        if text.count('"') % 2:
            return frozenset({_ANY})
        for lit in _STRING_LITERAL.findall(text):
            found.update(lit[k - 1] for k in range(2, len(lit)) if lit[k] == "(" and lit[k - 1] not in BLANKS)
    return frozenset(found)


def _glued_danger(text: str, i: int, start: int, glued: frozenset[str]) -> bool:
    """The comment opening at `i` may be read as a token ending in `(` followed by `*`."""
    if i <= start or text[i - 1] in BLANKS:
        return False
    c = text[i - 1]
    return _ANY in glued or c in glued or (not c.isascii() and _is_symbol(c))


def _is_symbol(ch: str) -> bool:
    """A character Coq lexes by longest match against its keyword table."""
    return not (ch in BLANKS or ch.isalnum() or ch in _COMMENT_AFTER)


def _blank_or_end(text: str, i: int) -> bool:
    return i >= len(text) or text[i] in BLANKS


def _sentence_end(text: str, i: int, glued: frozenset[str]) -> int:
    """Index just past the `.` or `...` that ends the command sentence starting at `i`."""
    start = i
    n = len(text)
    while i < n:
        c = text[i]
        if text.startswith("(*", i):
            if _glued_danger(text, i, start, glued):
                raise _error(text, i, f"comment glued to `{text[i - 1]}`; Coq would not read it as a comment "
                             "(put a blank before `(*`)")
            i = _skip_comment(text, i)
        elif c == '"':
            i = _skip_string(text, i)
        elif c == ".":
            j = i
            while j < n and text[j] == ".":
                j += 1
            run = j - i
            if run == 1 or run == 3:
                if _blank_or_end(text, j):
                    return j
                if run == 3:
                    raise _error(text, i, "`...` must be followed by a blank")
            elif run == 2:
                if i > start and _is_symbol(text[i - 1]) and _blank_or_end(text, j):
                    raise _error(text, i, f"`..` glued to `{text[i - 1]}` is ambiguous (put a blank before it)")
            else:
                raise _error(text, i, f"a run of {run} dots; Coq reads `...` then `.` here")
            i = j
        else:
            i += 1
    raise _error(text, start, "sentence does not end with '.'")


def _selector_brace_end(text: str, i: int) -> int | None:
    """End of a goal selector followed by `{` at `i` (`2: {`, `[x]: {`, `all: {`, `1-2, 4: {`), or None."""
    m = _SELECTOR_WORD.match(text, i)
    if m is not None:
        j = m.end()
    elif text.startswith("[", i):
        j = _skip_blank(text, i + 1)
        m = _IDENT.match(text, j)
        if m is None:
            return None
        j = _skip_blank(text, m.end())
        if not text.startswith("]", j):
            return None
        j += 1
    else:
        j = i
        while True:
            m = _NUMBER.match(text, j)
            if m is None:
                return None
            j = _skip_blank(text, m.end())
            if text.startswith("-", j):
                m = _NUMBER.match(text, _skip_blank(text, j + 1))
                if m is None:
                    return None
                j = _skip_blank(text, m.end())
            if not text.startswith(",", j):
                break
            j = _skip_blank(text, j + 1)
    j = _skip_blank(text, j)
    if not text.startswith(":", j):
        return None
    j = _skip_blank(text, j + 1)
    return j + 1 if text.startswith("{", j) and not text.startswith("{|", j) else None


def split_sentences(text: str, *, grammar: str = "") -> list[Sentence]:
    """Cut `text` into sentences; raises `LexError` when it cannot be cut safely.

    `grammar` is the text that declares the problem's notations (header and
    decls) when it is not part of `text`.
    """
    glued = glued_before_paren(text, grammar)
    out: list[Sentence] = []
    i = _skip_blank(text, 0)
    n = len(text)
    after_end = True
    while i < n:
        c = text[i]
        kind: SentenceKind
        sel_end = _selector_brace_end(text, i)
        if c == "}" or (c == "{" and (after_end or not text.startswith("{|", i))):
            end, kind = i + 1, "brace"
        elif sel_end is not None:
            end, kind, after_end = sel_end, "brace", False
        elif after_end and c in "-+*":
            m_bullet = _BULLET.match(text, i)
            assert m_bullet is not None
            end, kind = m_bullet.end(), "bullet"
        else:
            end, kind, after_end = _sentence_end(text, i, glued), "command", True
        if kind != "command" and text.startswith("(*", end) and _glued_danger(text, end, i, glued):
            raise _error(text, end, f"comment glued to `{text[end - 1]}`; Coq may not read it as a comment "
                         "(put a blank before `(*`)")
        line, col = _position(text, i)
        out.append(Sentence(text=text[i:end], kind=kind, offset=i, line=line, column=col))
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


def split_top_colon(text: str) -> tuple[str, str] | None:
    """`text` split at its first `:` outside brackets that is not `:=` or `:>` (`binders : type`), or None."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == ":" and depth == 0 and text[i + 1:i + 2] not in ("=", ">"):
            return text[:i], text[i + 1:]
    return None


__all__ = ["BLANKS", "LexError", "Sentence", "SentenceKind", "glued_before_paren", "split_sentences", "split_top_colon",
           "strip_comments", "words_outside_strings"]
