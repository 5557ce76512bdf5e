"""A Lean 4 tokenizer, so soundness rules see what Lean's parser sees, not a regex over text.

It follows Lean's own lexical rules (`Lean.Parser.Basic`): identifiers start
with an ASCII letter, `_` or a letter-like symbol and continue with ASCII
letters and digits, `_`, `'`, `!`, `?`, letter-like symbols and subscripts;
a part may be escaped as `«...»`; parts joined by `.` form one dotted name.
`name` is the name with every escape removed, so `«debug».«skipKernelTC»`
reads `debug.skipKernelTC` and `«sorry»` reads `sorry`. Comments (`--`,
nested `/- -/`), strings with escapes, raw strings `r#"..."#` and char
literals are single tokens; code inside a string's `{...}` (interpolation in
`s!`, `m!`, `throwError`, ...) is tokenized too and returned as `embedded`,
and a string whose end would move if it were interpolated (a `{...}` holding
a string or a `--` comment that runs to its `}`) is reported.
Text Lean itself could not lex (an unterminated comment, string or `«`) is
reported in `problems` instead of guessed at.

A block comment ends where Lean's `whitespace` ends it: its body starts three
characters after its start (after `/-` Lean skips one more character, and
the doc comments `/--` and `/-!` start theirs after the marker), so the
second `/-` of `/-/- -/` opens nothing. Lean looks for a comment only
between tokens, and a token of its table may end in `/` or `-` (`//` of
`{ x // p }`, `\\/`, or one from an imported library): the two known ones are
read as tokens, and any other symbol written right before `/-` or `--` is
reported in `problems`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Literal

TokenKind = Literal["ident", "number", "string", "char", "comment", "hash", "symbol"]

_SYMBOLS = (":=", "@[", "=>", "<;>", "...", "..", "<|>", "<|", "|>.", "|>", "->", "<-", "//", "\\/", "''")
_NO_LONGER_TOKEN = "()[]{}⟨⟩⦃⦄,"
"""Symbols that end every token they are in, so a comment may follow them directly."""
GLUED_COMMENT = "a comment right after a symbol (Lean may read them as one token; put a space before the comment)"
INTERPOLATED_COMMENT = ("a `--` comment that runs to the `}` of a string's `{...}` (in an interpolated string Lean "
                        "reads `{...}` as code, so the comment would run past `}` and the string's end; end it with a "
                        "line break or remove it)")
GLUED_QUOTE = ("a character literal right after a symbol (Lean may read the `'` as the end of that symbol, as in "
               "`∑'`; put a space before the literal)")


@dataclass(frozen=True)
class Token:
    """One lexeme: its kind, raw text, escape-free name and where it starts (1-based line, 0-based column)."""

    kind: TokenKind
    text: str
    start: int
    end: int
    line: int
    column: int
    name: str = ""
    """For `ident`: the dotted name without `«»`; for `hash`: `#eval` etc.; otherwise the text."""

    @property
    def parts(self) -> tuple[str, ...]:
        """Components of a dotted identifier (`("Lean", "ofReduceBool")`)."""
        return _split_name(self.text) if self.kind == "ident" else (self.name,)


@dataclass
class Lexed:
    """Tokens of a text (comments included), code found inside strings, and what could not be lexed."""

    tokens: list[Token] = field(default_factory=list)
    embedded: list[Token] = field(default_factory=list)
    problems: list[Token] = field(default_factory=list)

    @property
    def code(self) -> list[Token]:
        """Tokens without comments."""
        return [t for t in self.tokens if t.kind != "comment"]


def is_letter_like(c: str) -> bool:
    """Lean's `isLetterLike`: Greek (not λ, Π, Σ), Coptic, letter-like symbols, math alphanumerics."""
    v = ord(c)
    return ((0x3B1 <= v <= 0x3C9 and v != 0x3BB) or (0x391 <= v <= 0x3A9 and v not in (0x3A0, 0x3A3))
            or 0x3CA <= v <= 0x3FB or 0x1F00 <= v <= 0x1FFE or 0x2100 <= v <= 0x214F
            or 0x1D49C <= v <= 0x1D59F)


def _is_subscript(c: str) -> bool:
    v = ord(c)
    return 0x2080 <= v <= 0x2089 or 0x2090 <= v <= 0x209C or 0x1D62 <= v <= 0x1D6A or v == 0x2C7C


def is_id_first(c: str) -> bool:
    """Lean's `isIdFirst` (ASCII letters only: `é` does not start an identifier)."""
    return (c.isascii() and c.isalpha()) or c == "_" or is_letter_like(c)


def is_id_rest(c: str) -> bool:
    """Lean's `isIdRest`."""
    return (c.isascii() and c.isalnum()) or c in "_'!?" or is_letter_like(c) or _is_subscript(c)


def _split_name(raw: str) -> tuple[str, ...]:
    parts: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        if raw[i] == "«":
            j = raw.find("»", i + 1)
            j = n if j < 0 else j
            parts.append(raw[i + 1:j])
            i = j + 1
        else:
            j = i
            while j < n and raw[j] != ".":
                j += 1
            parts.append(raw[i:j])
            i = j
        if i < n and raw[i] == ".":
            i += 1
    return tuple(parts)


_LETTER_LIKE = "\u03b1-\u03ba\u03bc-\u03c9\u0391-\u039f\u03a1\u03a2\u03a4-\u03a9\u03ca-\u03fb\u1f00-\u1ffe\u2100-\u214f\U0001d49c-\U0001d59f"
_SUBSCRIPT = "\u2080-\u2089\u2090-\u209c\u1d62-\u1d6a\u2c7c"
_ID_REST_RUN = re.compile(f"[A-Za-z0-9_'!?{_LETTER_LIKE}{_SUBSCRIPT}]*")
_SPACE_RUN = re.compile(r"\s*")
_PART = f"[A-Za-z_{_LETTER_LIKE}][A-Za-z0-9_'!?{_LETTER_LIKE}{_SUBSCRIPT}]*"
_PLAIN_IDENT = re.compile(f"{_PART}(?:\\.{_PART})*")


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0] + [k + 1 for k, ch in enumerate(text) if ch == "\n"]

    def token(self, kind: TokenKind, start: int, end: int, name: str | None = None) -> Token:
        line = bisect.bisect_right(self._line_starts, start)
        raw = self.text[start:end]
        return Token(kind, raw, start, end, line, start - self._line_starts[line - 1],
                     raw if name is None else name)

    def run(self, start: int, end: int, out: Lexed, *, stop_at_brace: bool = False) -> int:
        """Lex text[start:end] into `out`; with `stop_at_brace`, return at an unmatched `}`."""
        text, i, depth = self.text, start, 0
        while i < end:
            c = text[i]
            if c.isspace():
                i = min(_SPACE_RUN.match(text, i).end(), end)  # type: ignore[union-attr]
            elif text.startswith("--", i):
                self._glued(i, out)
                j = text.find("\n", i, end)
                j = end if j < 0 else j
                out.tokens.append(self.token("comment", i, j))
                i = j
            elif text.startswith("/-", i):
                self._glued(i, out)
                i = self._block_comment(i, end, out)
            elif c == '"':
                i = self._string(i, end, out)
            elif c == "r" and self._raw_string_at(i, end):
                i = self._raw_string(i, end, out)
            elif c == "'" and self._glued_quote(i, end, out):
                i += 1
            elif c == "'" and not text.startswith("''", i):
                i = self._char(i, end, out)
            elif (plain := _PLAIN_IDENT.match(text, i, end)) is not None:
                j = plain.end()
                if text.startswith(".«", j):
                    i = self._ident(i, end, out)
                else:
                    out.tokens.append(self.token("ident", i, j))
                    i = j
            elif c == "«" or is_id_first(c):
                i = self._ident(i, end, out)
            elif c.isascii() and c.isdigit():
                i = self._number(i, end, out)
            elif c == "#" and i + 1 < end and is_id_first(text[i + 1]):
                j = i + 1
                j = min(_ID_REST_RUN.match(text, j).end(), end)  # type: ignore[union-attr]
                out.tokens.append(self.token("hash", i, j))
                i = j
            else:
                if stop_at_brace and c == "}" and depth == 0:
                    return i
                depth += 1 if c == "{" else -1 if c == "}" else 0
                sym = next((s for s in _SYMBOLS if text.startswith(s, i)), c)
                out.tokens.append(self.token("symbol", i, i + len(sym)))
                i += len(sym)
        return i

    def _problem(self, out: Lexed, start: int, end: int, why: str) -> None:
        out.problems.append(self.token("symbol", start, end, why))

    def _glued(self, i: int, out: Lexed) -> None:
        """A comment written right after a symbol that may be the start of a longer token of Lean's."""
        last = out.tokens[-1] if out.tokens else None
        if last is not None and last.kind == "symbol" and last.end == i and last.text[-1] not in _NO_LONGER_TOKEN:
            self._problem(out, last.start, i + 2, GLUED_COMMENT)

    def _glued_quote(self, i: int, end: int, out: Lexed) -> bool:
        """A `'` right after a symbol ends that symbol (`∑'`, `⁻¹'`), as in Mathlib's token table, when no char follows.

        Lean starts a char literal at `'` only between tokens: with `∑'` in its
        table the `'` is part of the token, without it the literal must be
        well formed. Where a literal could start too, the reading depends on
        the imports, so it is reported. True when the `'` was read here.
        """
        last = out.tokens[-1] if out.tokens else None
        if (last is None or last.kind != "symbol" or last.end != i or last.text[-1] in _NO_LONGER_TOKEN
                or self.text.startswith("''", i)):
            return False
        if self._char_end(i, end) is not None:
            self._problem(out, last.start, i + 1, GLUED_QUOTE)
            return False
        out.tokens[-1] = self.token("symbol", last.start, i + 1)
        return True

    def _block_comment(self, i: int, end: int, out: Lexed) -> int:
        """`/-` up to its matching `-/`, the body read from `i + 3` as Lean's `whitespace` reads it."""
        text, depth, j = self.text, 1, i + 3
        while j < end and depth:
            if text.startswith("/-", j):
                depth, j = depth + 1, j + 2
            elif text.startswith("-/", j):
                depth, j = depth - 1, j + 2
            else:
                j += 1
        if depth:
            self._problem(out, i, end, "unterminated comment")
            j = end
        out.tokens.append(self.token("comment", i, j))
        return j

    def _string(self, i: int, end: int, out: Lexed) -> int:
        """A plain string; its `{...}` parts are also read as interpolated code (Lean does after `s!`)."""
        text, j = self.text, i + 1
        while j < end and text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        if j >= end:
            self._problem(out, i, end, "unterminated string")
            out.tokens.append(self.token("string", i, end))
            return end
        out.tokens.append(self.token("string", i, j + 1))
        if "{" in text[i:j]:
            self._interpolation(i, j, out)
        return j + 1

    def _interpolation(self, i: int, plain_end: int, out: Lexed) -> None:
        """Lex each `{...}` inside the plain string as code (Lean does after `s!`, `m!`, `throwError`).

        Linear and bounded by the plain string: whatever would move the
        string's end when it is read as interpolation is reported instead of
        being guessed at: an unclosed `{` (a plain brace, or interpolated
        code holding a string), a lexeme the segment's `}` cuts short (a
        char, block comment, `«`) and a `--` comment running to that `}`
        (Lean's would run to the end of the line, past `}` and the `"`).
        """
        text, depth, j, segment = self.text, 0, i + 1, i + 1
        while j < plain_end:
            c = text[j]
            if c == "\\":
                j += 2
                continue
            if c == "{":
                depth += 1
                if depth == 1:
                    segment = j + 1
            elif c == "}" and depth:
                depth -= 1
                if depth == 0:
                    inner = Lexed()
                    self.run(segment, j, inner)
                    if any(t.kind == "comment" and t.text.startswith("--") and t.end == j for t in inner.tokens):
                        self._problem(out, segment, j, INTERPOLATED_COMMENT)
                    out.embedded.extend(t for t in [*inner.tokens, *inner.embedded] if t.kind != "comment")
                    out.problems.extend(inner.problems)
            j += 1
        if depth:
            self._problem(out, i, plain_end + 1, "a string with an unclosed `{` (as interpolation its end would move)")

    def _raw_string_at(self, i: int, end: int) -> bool:
        j = i + 1
        while j < end and self.text[j] == "#":
            j += 1
        return j < end and self.text[j] == '"'

    def _raw_string(self, i: int, end: int, out: Lexed) -> int:
        j = i + 1
        while self.text[j] == "#":
            j += 1
        closing = '"' + "#" * (j - i - 1)
        k = self.text.find(closing, j + 1, end)
        if k < 0:
            self._problem(out, i, end, "unterminated raw string")
            out.tokens.append(self.token("string", i, end))
            return end
        out.tokens.append(self.token("string", i, k + len(closing)))
        return k + len(closing)

    def _char_end(self, i: int, end: int) -> int | None:
        """End of the char literal at `i`: `'c'` or `'\\n'`, `'\\xHH'`, `'\\uHHHH'`; None if it is not one."""
        text, j = self.text, i + 1
        if j < end and text[j] == "\\":
            kind = text[j + 1] if j + 1 < end else ""
            j += 2 + {"x": 2, "u": 4}.get(kind, 0)
        elif j < end and text[j] != "\n":
            j += 1
        return j + 1 if j < end and text[j] == "'" else None

    def _char(self, i: int, end: int, out: Lexed) -> int:
        """A char literal; Lean reports anything else after `'` (not followed by `'`) as an error."""
        j = self._char_end(i, end)
        if j is not None:
            out.tokens.append(self.token("char", i, j))
            return j
        self._problem(out, i, min(i + 2, end), "missing end of character literal")
        out.tokens.append(self.token("symbol", i, i + 1))
        return i + 1

    def _ident(self, i: int, end: int, out: Lexed) -> int:
        text, j = self.text, i
        while True:
            if text[j] == "«":
                k = text.find("»", j + 1, end)
                if k < 0:
                    self._problem(out, j, end, "unterminated «")
                    j = end
                    break
                j = k + 1
            else:
                j = min(_ID_REST_RUN.match(text, j).end(), end)  # type: ignore[union-attr]
            if j + 1 < end and text[j] == "." and (is_id_first(text[j + 1]) or text[j + 1] == "«"):
                j += 1
                continue
            break
        raw = text[i:j]
        out.tokens.append(self.token("ident", i, j, ".".join(_split_name(raw))))
        return j

    def _number(self, i: int, end: int, out: Lexed) -> int:
        """Exactly Lean's numeric literal, so `2sorry` is `2` then `sorry`, as Lean reads it."""
        text = self.text
        digits = "0123456789"
        j = i + 1
        if text[i] == "0" and j < end and text[j] in "xXbBoO":
            digits = {"x": "0123456789abcdefABCDEF", "b": "01", "o": "01234567"}[text[j].lower()]
            j += 1
        while j < end and text[j] in digits:
            j += 1
        if digits == "0123456789":
            if j + 1 < end and text[j] == "." and text[j + 1] in digits:
                j += 2
                while j < end and text[j] in digits:
                    j += 1
            k = j + 1 if j < end and text[j] in "eE" else j
            k = k + 1 if k != j and k < end and text[k] in "+-" else k
            if k != j and k < end and text[k] in digits:
                j = k
                while j < end and text[j] in digits:
                    j += 1
        out.tokens.append(self.token("number", i, j))
        return j


def tokenize(text: str) -> Lexed:
    """All tokens of `text` in order, code embedded in strings, and unlexable spans."""
    out = Lexed()
    _Lexer(text).run(0, len(text), out)
    return out


__all__ = ["GLUED_COMMENT", "GLUED_QUOTE", "INTERPOLATED_COMMENT", "Lexed", "Token", "TokenKind", "is_id_first", "is_id_rest", "is_letter_like", "tokenize"]
