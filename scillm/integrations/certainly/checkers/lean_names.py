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

from scillm.integrations.certainly.checkers.lean_tokens import Token

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


__all__ = ["OTHER_DECLARATIONS", "Declared"]
