"""Which names the declarations made theirs, for the rules that allow what is about a type declared there.

An `instance`, a `class`'s parents and `deriving instance` are allowed when
the type (or class) they are about is declared in the problem's
declarations. A name written there must also be read by Lean as that
declaration, so a written name does not count as declared here when Lean may
resolve it to something else:

- its first component is a variable: bound by the instance's own binders
  (`instance {X : Type} : Add X`, `∀ X : Type, Add X`, `(X : Type) → Add X`)
  or by a `variable` of the declarations (for the rest of them);
- the type is `protected` and the name is written without a namespace
  (`Nat` inside `namespace Foo` is the root `Nat`, not `Foo.Nat`);
- the type was declared with `«»` and the name is written without them
  (`structure «fun»` is declared, while `fun` is the keyword);
- a `def`, `abbrev`, `theorem`, `opaque` or `alias` of the declarations has
  the same last component (with `open ... in` Lean may pick it, and an
  `abbrev` can unfold to any existing type or class);
- `_root_.` is read as Lean reads it: the root namespace, never a variable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scillm.integrations.certainly.checkers.lean_rules import DECL_STARTS, Violation, at, keyword
from scillm.integrations.certainly.checkers.lean_tokens import Token, tokenize

OTHER_DECLARATIONS = frozenset({"def", "definition", "abbrev", "theorem", "lemma", "opaque", "alias",
                                "irreducible_def"})
"""Commands whose name is no type declared here, and may stand for any existing one (`abbrev X := Nat`)."""


@dataclass
class Declared:
    """What the declarations declared so far, in the order Lean reads them."""

    types: set[str] = field(default_factory=set)
    """Full names of the `structure`s, `class`es and `inductive`s."""
    protected: set[str] = field(default_factory=set)
    escaped: set[str] = field(default_factory=set)
    other_last_parts: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)

    def add_type(self, name: Token, scope: list[str], *, protected: bool) -> None:
        full = ".".join([*scope, name.name])
        self.types.add(full)
        if protected:
            self.protected.add(full)
        if "«" in name.text:
            self.escaped.add(full)

    def add_other(self, name: Token) -> None:
        if name.kind == "ident":
            self.other_last_parts.add(name.parts[-1])

    def counts(self, name: Token | None, scope: list[str], bound: frozenset[str] | set[str] = frozenset()) -> bool:
        """Whether Lean reads `name`, written in namespace `scope`, as one of the types declared here."""
        if name is None or name.kind != "ident":
            return False
        parts = list(name.parts)
        if parts[0] == "_root_":
            parts, full = parts[1:], name.name.removeprefix("_root_.")
        elif parts[0] in bound or parts[0] in self.variables:
            return False
        else:
            full = ".".join([*scope, name.name])
        if not parts or full not in self.types:
            return False
        if full in self.protected and len(parts) < 2:
            return False
        if full in self.escaped and "«" not in name.text:
            return False
        return parts[-1] not in self.other_last_parts


NAMED_DECLARATIONS = OTHER_DECLARATIONS | {"structure", "class", "inductive", "coinductive", "instance", "axiom"}


def declared_name(code: list[Token], k: int) -> tuple[Token, bool] | None:
    """(the name token, whether it is written) of the declaration at `code[k]`; the keyword itself for an
    anonymous instance; None when `code[k]` starts no named declaration (`class inductive`'s `inductive`,
    `deriving instance`)."""
    word = keyword(code[k])
    before = keyword(code[k - 1]) if k else ""
    if word not in NAMED_DECLARATIONS or before == "deriving" or (before == "class" and word in ("inductive",
                                                                                                "abbrev")):
        return None
    j = k + 1
    if word == "class" and j < len(code) and keyword(code[j]) in ("inductive", "abbrev"):
        j += 1
    if word == "instance" and j + 1 < len(code) and keyword(code[j]) == "(" and code[j + 1].text == "priority":
        while j < len(code) and keyword(code[j]) != ")":
            j += 1
        j += 1
    if j < len(code) and code[j].kind == "ident" and keyword(code[j]) not in DECL_STARTS:
        return code[j], True
    return (code[k], False) if word == "instance" else None


def full_name(name: Token, written: bool, scope: list[str]) -> list[str]:
    """The components Lean gives the name declared in namespace `scope` (`_root_.` read as Lean reads it);
    an anonymous instance's generated name ends in ""."""
    if not written:
        return [*scope, ""]
    parts = list(name.parts)
    return parts[1:] if parts[0] == "_root_" else [*scope, *parts]


def statement_needs_decls(statement: str | None, names: list[list[str]], variables: set[str]) -> bool:
    """Whether the statement may read a name the declarations declare: it has a word a declared name ends with
    (also through dot notation, `x.val`), a `variable`'s name or a generated instance name; unknown -> True."""
    if statement is None:
        return True
    lexed = tokenize(statement)
    words = {w for t in [*lexed.code, *lexed.embedded] if t.kind == "ident" for w in (*t.parts, *t.name.split("."))}
    ends = {n[-1] for n in names if n[-1]} | variables
    return bool(words & ends) or any(w.startswith("inst") for w in words)


def foreign_namespaces(declarations: list[tuple[Token, list[str]]]) -> list[Violation]:
    """Declarations whose name lies under a first component the declarations do not declare themselves.

    `def Nat.zero.succ` takes over `Nat.zero.succ` (which was `Nat.succ Nat.zero`) and
    `def NNReal.val` takes over `x.val` for every `x : NNReal`: Lean prefers the
    longest declared name to field access and unfolding.
    """
    own = {".".join(full) for _, full in declarations}
    return [at(tok, f"`{'.'.join(p for p in full if p)}` is declared under `{full[0]}`, which these declarations "
                    "do not declare: it would take over names or dot notation of an imported namespace or type")
            for tok, full in declarations if len(full) > 1 and full[0] not in own]


__all__ = ["NAMED_DECLARATIONS", "OTHER_DECLARATIONS", "Declared", "declared_name", "foreign_namespaces",
           "full_name", "statement_needs_decls"]
