"""What an `instance` is an instance of, and which classes a `class` extends, read from tokens.

The declarations rule (`lean_decls`) allows an instance only when its class
or the type it is about is declared there, and a class only when its parents
are. Both need the head of a type: `head_and_arguments` takes the conclusion
(leading `∀ ... ,` binders and everything up to the last top-level arrow
stripped, outer parentheses and `@` dropped) and returns its head name and
the head name of each explicit argument that is a plain application `T args...`
(`(T → ℕ)` or `(T × ℕ)` has none). `instance_binders` gives the names
the instance binds itself (its own binders and the `∀`/`→` binders of its
type), which are variables there, whatever the declarations named so.
"""

from __future__ import annotations

from scillm.integrations.certainly.checkers.lean_rules import CLOSES, OPENS, keyword, top_level
from scillm.integrations.certainly.checkers.lean_tokens import Token

_BINDERS = ("∀", "forall", "Π")
_ARROWS = ("→", "->")


def instance_type(code: list[Token], k: int, end: int) -> list[Token]:
    """The type of the `instance` at `code[k]` (the command ends at `end`): what follows its top-level `:`."""
    rest = code[k + 1:end]
    colon = next(iter(top_level(rest, (":", ":=", "where"))), None)
    if colon is None or keyword(rest[colon]) != ":":
        return []
    body = rest[colon + 1:]
    stop = next(iter(top_level(body, (":=", "where", "|"))), len(body))
    return body[:stop]


def _group_names(group: list[Token], *, typed: bool = False) -> list[str]:
    """Names a bracketed binder group binds: those before its top-level `:` (or `:=`); all of `{X}`, none of `[C X]`.

    With `typed`, a group without `:` binds nothing: before an arrow `(Add X)` is a type, `(X : Type)` a binder.
    """
    inner = group[1:-1] if len(group) > 1 and keyword(group[-1]) in CLOSES else group[1:]
    cut = next(iter(top_level(inner, (":", ":="))), None)
    if cut is None and (typed or keyword(group[0]) == "["):
        return []
    return [t.name for t in inner[:cut] if t.kind == "ident"]


def binder_names(tokens: list[Token]) -> list[str]:
    """Names bound by binders as written after `∀`, `variable` or before an instance's `:`.

    Bracketed groups bind the names before their `:`; plain names bind up to
    a top-level `:` (`∀ x y : T`); the rest is the binders' types.
    """
    names, i = [], 0
    while i < len(tokens):
        word = keyword(tokens[i])
        if word in OPENS:
            size = _group(tokens[i:])
            names += _group_names(tokens[i:i + size])
            i += size
            continue
        if word == ":":
            break
        if tokens[i].kind == "ident":
            names.append(tokens[i].name)
        i += 1
    return names


def instance_binders(code: list[Token], k: int, end: int) -> set[str]:
    """Names the `instance` at `code[k]` binds: its binder groups and the `∀`/`→` binders of its type.

    `(priority := high)` counts as binding `priority`, which only refuses more.
    """
    rest = code[k + 1:end]
    signature = rest[:next(iter(top_level(rest, (":", ":="))), len(rest))]
    names: set[str] = set()
    i = 0
    while i < len(signature):
        size = _group(signature[i:])
        if keyword(signature[i]) in OPENS:
            names.update(_group_names(signature[i:i + size]))
        i += size
    names.update(_peel(instance_type(code, k, end))[0])
    return names


def named_argument(tokens: list[Token]) -> bool:
    """Whether the conclusion passes an argument by name (`Add (α := Nat)`): then positions say nothing."""
    tokens = conclusion(tokens)
    return any(keyword(tokens[i]) == "(" and tokens[i + 1].kind == "ident" and keyword(tokens[i + 2]) == ":="
               for i in range(len(tokens) - 2))


def conclusion(tokens: list[Token]) -> list[Token]:
    """The type after its binders: `∀ [h : C], Add Nat` and `C → Add Nat` conclude `Add Nat`."""
    return _peel(tokens)[1]


def _peel(tokens: list[Token]) -> tuple[set[str], list[Token]]:
    """(names the type's `∀` binders and typed `→` premises bind, the conclusion after them)."""
    names: set[str] = set()
    while tokens:
        if keyword(tokens[0]) in _BINDERS:
            commas = top_level(tokens, (",",))
            names.update(binder_names(tokens[1:commas[0] if commas else len(tokens)]))
            tokens = tokens[commas[0] + 1:] if commas else []
        elif arrows := top_level(tokens, _ARROWS):
            for before, arrow in zip([-1, *arrows], arrows, strict=False):
                piece = tokens[before + 1:arrow]
                if piece and keyword(piece[0]) in OPENS and _group(piece) == len(piece):
                    names.update(_group_names(piece, typed=True))
            tokens = tokens[arrows[-1] + 1:]
        elif keyword(tokens[0]) == "(" and top_level(tokens, CLOSES)[:1] == [len(tokens) - 1]:
            tokens = tokens[1:-1]
        elif keyword(tokens[0]) == "@":
            tokens = tokens[1:]
        else:
            break
    return names, tokens


def _head(tokens: list[Token]) -> Token | None:
    """The type an argument is: `Nat`, or `List` in `(List α)`, only for a plain application `T args...`.

    An instance on `(T → ℕ)`, `(T × ℕ)` or `(T ⊕ ℕ)` is one on a function,
    product or sum type, which already has instances, so anything with a
    symbol between the arguments (an arrow, an infix operator) has no head.
    """
    while tokens and keyword(tokens[0]) == "(" and _group(tokens) == len(tokens):
        tokens = tokens[1:-1]
    if tokens and keyword(tokens[0]) == "@":
        tokens = tokens[1:]
    if not tokens or tokens[0].kind != "ident":
        return None
    rest = _after_universes(tokens[1:])
    while rest:
        size = _group(rest)
        if size == 1 and rest[0].kind not in ("ident", "number"):
            return None
        rest = rest[size:]
    return tokens[0]


def _after_universes(rest: list[Token]) -> list[Token]:
    """`rest` without a leading universe list `.{u}`."""
    if len(rest) > 1 and keyword(rest[0]) == "." and keyword(rest[1]) == "{":
        return rest[1 + _group(rest[1:]):]
    return rest


def _group(tokens: list[Token]) -> int:
    """Length of the argument `tokens` starts with: one token, or a bracketed group up to its closing bracket."""
    if keyword(tokens[0]) not in OPENS:
        return 1
    closes = top_level(tokens, CLOSES)
    return closes[0] + 1 if closes else len(tokens)


def head_and_arguments(tokens: list[Token]) -> tuple[Token | None, list[Token | None]]:
    """(head, each explicit argument's head) of a type's conclusion: `HAdd V (List α) V` gives `HAdd`, `V List V`.

    A universe list `.{u}` after the head is skipped; an argument that does
    not start with a name (a number, `{ x // p }`, `⟨a, b⟩`) has no head.
    """
    tokens = conclusion(tokens)
    if not tokens or tokens[0].kind != "ident":
        return None, []
    rest = _after_universes(tokens[1:])
    heads = []
    while rest:
        size = _group(rest)
        heads.append(_head(rest[:size]) if keyword(rest[0]) in ("(", "@") or size == 1 else None)
        rest = rest[size:]
    return tokens[0], heads


def class_parents(code: list[Token], k: int, end: int) -> list[list[Token]]:
    """The parents of the `class` at `code[k]`: what follows `extends`, or `:=` in a `class abbrev`.

    `extends A : T` is read both ways Lean versions read it (parent `A` with
    the class's type `T`, or a parent named `A` of type `T`), so both count.
    """
    rest = code[k + 1:end]
    marker = ":=" if rest and keyword(rest[0]) == "abbrev" else "extends"
    found = top_level(rest, (marker,))
    if not found:
        return []
    body = rest[found[0] + 1:]
    stop = next(iter(top_level(body, ("where", ":=", "deriving"))), len(body))
    body = body[:stop]
    parents, start = [], 0
    for comma in [*top_level(body, (",",)), len(body)]:
        part = body[start:comma]
        if len(part) > 2 and part[0].kind == "ident" and keyword(part[1]) == ":":
            parents.append(part[:1])
            part = part[2:]
        parents.append(part)
        start = comma + 1
    return [p for p in parents if p]


__all__ = ["binder_names", "class_parents", "conclusion", "head_and_arguments", "instance_binders", "instance_type",
           "named_argument"]
