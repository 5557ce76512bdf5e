"""Coq's lexical classes, so a text scan splits names, numbers and symbols where Coq's lexer does.

Coq 8.16 starts an identifier with a Unicode letter (`Lu`, `Ll`, `Lt`, `Lo`,
`Lm`) or `_` and continues it with those, digits and other numbers (`Nd`,
`Nl`, `No`), non-spacing marks (`Mn`) and `'`; the superscripts `¹²³⁰⁴-⁹`
are symbols (`x²` is `x` then `²`). A number is read first where one starts:
`0x5last` is the number `0x5` then the name `last`, `2k` is `2` then `k`. A
scan with Python's `\\w` disagrees on both, and a check that reads another
word than Coq does can be walked around.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

_LETTERS = frozenset({"Lu", "Ll", "Lt", "Lo", "Lm"})
_PARTS = frozenset({"Nd", "Nl", "No", "Mn"})
_SUPERSCRIPTS = frozenset({0xB2, 0xB3, 0xB9, 0x2070, *range(0x2074, 0x207A)})
NUMERAL = (r"0[xX][0-9a-fA-F][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9][0-9_]*)?"
           r"|[0-9][0-9_]*(?:\.[0-9_]+)?(?:[eE][+-]?[0-9][0-9_]*)?")


def _ranges(keep: list[bool]) -> str:
    out: list[str] = []
    start = None
    for code in range(len(keep) + 1):
        inside = code < len(keep) and keep[code]
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            a, b = re.escape(chr(start)), re.escape(chr(code - 1))
            out.append(a if start == code - 1 else f"{a}-{b}")
            start = None
    return "".join(out)


@functools.cache
def classes() -> tuple[str, str]:
    """Regex class bodies (no brackets) of the characters that start an identifier and that continue one."""
    cats = [unicodedata.category(chr(c)) for c in range(sys.maxunicode + 1)]
    start = [cat in _LETTERS for cat in cats]
    start[0x5F] = True
    part = [(s or cat in _PARTS) and code not in _SUPERSCRIPTS
            for code, (s, cat) in enumerate(zip(start, cats, strict=True))]
    part[0x27] = True
    return _ranges(start), _ranges(part)


@functools.cache
def ident(qualified: bool = False) -> str:
    """A regex for one identifier (with `qualified`, dotted names `Nat.add` as one)."""
    start, part = classes()
    one = f"[{start}][{part}]*"
    return f"{one}(?:\\.{one})*" if qualified else one


@functools.cache
def _scanner(qualified: bool, extra: str) -> re.Pattern[str]:
    return re.compile(f"(?P<num>{NUMERAL})|(?P<id>{ident(qualified)})" + (f"|(?P<other>{extra})" if extra else ""))


def scan(text: str, *, qualified: bool = False, extra: str = "") -> list[tuple[str, str]]:
    """(kind, token) in order: `num`, `id`, or `other` for what the `extra` regex matches; the rest is skipped."""
    return [(m.lastgroup or "", m.group(0)) for m in _scanner(qualified, extra).finditer(text)]


def idents(text: str, *, qualified: bool = False) -> list[str]:
    """The identifiers Coq reads in `text` (comments and strings are the caller's to blank)."""
    return [tok for kind, tok in scan(text, qualified=qualified) if kind == "id"]


def is_ident(token: str, *, qualified: bool = False) -> bool:
    return re.fullmatch(ident(qualified), token) is not None


def symbol_class() -> str:
    """A regex for a run of symbol characters: neither identifier characters, blanks, brackets, quotes nor `.`."""
    return f"[^\\s()\"'.{classes()[1]}]+"


__all__ = ["NUMERAL", "classes", "ident", "idents", "is_ident", "scan", "symbol_class"]
