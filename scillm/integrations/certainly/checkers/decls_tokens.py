"""Tokens the decls' notations add, judged by what the header's notations already use.

A notation's terminals become tokens of Coq's lexer, which reads the longest
token it knows: after `Notation "x *- y"`, `2 *-1` is no longer `2 * -1`;
after `Notation "1+1" := 3` the digits are no longer a numeral; and
`Notation "p .1"` or `" x === y "` re-declare a header token over a decls
constant, so `Locate` of the token may print the same text as before. A
notation can only change how the statement reads through a terminal the
statement's text contains. So when the statement needs the decls, each such
terminal must be new to the header in every part: no digit, and no piece of
it (itself included) that `Locate` found as a notation token before the
decls (nor a name the header gives a meaning), no letter joined to symbols
(`'x⊕'` would read `x⊕1` as a keyword and `1`, swallowing the bound `x`),
and no ASCII symbol, since `Locate` does not list the tokens of Coq's
own grammar (`%`, `@`, `:=`): `Notation "x %Q"` would turn the scope key of
`(a == b)%Q` into an operator. Which other pieces are tokens is Coq's
answer; this module only lists the pieces to ask about.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from scillm.integrations.certainly.checkers import coq_lexicon as lexicon
from scillm.integrations.certainly.checkers.sentences import split_sentences
from scillm.integrations.certainly.checkers.vernac import classify

#: ASCII symbols: each is, or begins, a token of Coq's own term grammar (`%`, `@`, `:=`, `=>`, `.(`, `|`, `{|`),
#: which `Locate` does not list as a notation token.
_CORE = frozenset("!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_MAX_TERMINAL = 16
_STRING = re.compile(r'"(?:[^"]|"")*"')


def _unquote(word: str) -> str:
    return word[1:-1].replace('""', '"')


def notation_terminals(decls: str) -> list[str]:
    """The terminal tokens of every term notation the decls declare (`Notation "…"`, `Infix`, `Reserved …`)."""
    out: list[str] = []
    for sentence in split_sentences(decls):
        cmd = classify(sentence)
        words = list(cmd.words)
        if words[:1] == ["Reserved"]:
            words = words[1:]
        if words[:1] not in (["Notation"], ["Infix"]) or len(words) < 2 or not words[1].startswith('"'):
            continue
        string = _STRING.match(cmd.body[cmd.body.index('"'):])
        if string is None:
            continue
        notation = _unquote(string.group(0))
        body = cmd.body[cmd.body.index('"') + string.end():]
        # A name of the notation is a variable when its interpretation uses it; a reserved notation has none yet.
        interpretation = body.split(":=", 1)[1] if ":=" in body else None
        variables = set(lexicon.idents(interpretation)) if interpretation is not None else None
        for part in ([notation.strip()] if words[0] == "Infix" else notation.split()):  # Coq trims an infix
            quoted = len(part) > 2 and part[0] == part[-1] == "'"
            token = part[1:-1] if quoted else part
            if not token or (not quoted and lexicon.is_ident(token) and (variables is None or token in variables)):
                continue
            if token not in out:
                out.append(token)
    return out


def _in_statement(terminals: list[str], statement: str) -> list[str]:
    return [t for t in terminals if t in statement]


def pieces(terminals: list[str], statement: str) -> list[str]:
    """The pieces to `Locate` as notation tokens before the decls: every piece of each terminal the statement
    contains (a name-like terminal only whole)."""
    out: list[str] = []
    for t in _in_statement(terminals, statement):
        if len(t) > _MAX_TERMINAL:
            continue
        spans = [t] if lexicon.is_ident(t) else [t[i:j] for i in range(len(t)) for j in range(i + 1, len(t) + 1)]
        out += [s for s in spans if s not in out and not s.isspace()]
    return out


def relexed(terminals: list[str], statement: str, known: Callable[[str], bool]) -> str | None:
    """Why a decls terminal the statement contains would re-read the header's text, or None.

    `known(piece)` says whether `Locate "piece"` found a notation before the decls, or `Locate piece` a name:
    `Notation "'Forall'"` makes a header name a keyword of the decls, and `Locate Forall` still prints the constant.
    """
    for t in _in_statement(terminals, statement):
        if len(t) > _MAX_TERMINAL:
            return f"the decls notation token `{t}` is too long to check against the header's tokens"
        if any(c.isdigit() for c in t) and not lexicon.is_ident(t):
            return (f"the decls notation token `{t}` has a digit, so it changes how the statement's numbers are "
                    "read (put the notation in the header)")
        for piece in pieces([t], t):
            if piece in _CORE:
                return (f"the decls notation token `{t}` contains `{piece}`, a symbol of Coq's own grammar, so it "
                        "can change how the statement's text is read (use a new symbol such as `⊕`, or put the "
                        "notation in the header)")
            if known(piece):
                return (f"the decls notation token `{t}` contains `{piece}`, a token of the header's notations or a "
                        "name the header defines, so it changes how the statement's text is read (put the notation "
                        "in the header)")
        if re.search(f"[{lexicon.classes()[0]}]", t) and not lexicon.is_ident(t):
            return (f"the decls notation token `{t}` joins a name and symbols, so it can swallow a name of the "
                    "statement (`x⊕1` read as `x⊕` and `1`); use a token of symbols only, or a name alone")
    return None


__all__ = ["notation_terminals", "pieces", "relexed"]
