"""What a problem's Lean declarations may contain: new definitions, never new meanings for old names.

The rules are listed in `lean_soundness`, which re-exports `forbidden_in_decls`.
"""

from __future__ import annotations

from dataclasses import dataclass

from scillm.integrations.certainly.checkers.lean_instances import (
    binder_names,
    class_parents,
    conclusion,
    head_and_arguments,
    instance_binders,
    instance_type,
    named_argument,
)
from scillm.integrations.certainly.checkers.lean_meta import meta_names, tactic_arguments
from scillm.integrations.certainly.checkers.lean_names import (
    OTHER_DECLARATIONS,
    Declared,
    declared_name,
    foreign_namespaces,
    full_name,
    statement_needs_decls,
)
from scillm.integrations.certainly.checkers.lean_rules import (
    DECL_STARTS,
    Violation,
    always,
    at,
    command_end,
    keyword,
    open_end,
    set_option_rule,
    top_level,
    unique,
)
from scillm.integrations.certainly.checkers.lean_tokens import Token, tokenize

ATTRIBUTES_ALLOWED = frozenset({
    "simp", "reducible", "irreducible", "semireducible", "inline", "noinline", "specialize", "ext", "norm_cast",
    "push_cast", "simps", "elab_as_elim", "refl", "symm", "trans", "congr", "gcongr", "mono", "match_pattern",
    "induction_eliminator", "cases_eliminator", "nolint", "deprecated", "inherit_doc",
})


def _bracket_end(code: list[Token], k: int) -> int:
    """Index of the `]` closing the `[`/`@[` at `code[k]`."""
    depth = 0
    for j in range(k, len(code)):
        if keyword(code[j]) in ("[", "@["):
            depth += 1
        elif keyword(code[j]) == "]":
            depth -= 1
            if depth == 0:
                return j
    return len(code)


def _attributes(code: list[Token], k: int) -> tuple[list[Violation], int]:
    """Entries of the attribute list opening at `code[k]` must all be in `ATTRIBUTES_ALLOWED`."""
    end = _bracket_end(code, k)
    found, entry_start, depth = [], True, 0
    for tok in code[k + 1:end]:
        if keyword(tok) in ("(", "[", "{"):
            depth += 1
        elif keyword(tok) in (")", "]", "}"):
            depth -= 1
        if depth == 0 and keyword(tok) == ",":
            entry_start = True
            continue
        if entry_start and keyword(tok) not in ("local", "scoped", "-"):
            entry_start = False
            if tok.kind != "ident" or tok.name not in ATTRIBUTES_ALLOWED:
                found.append(at(tok, f"attribute `{tok.name}` (allowed: {', '.join(sorted(ATTRIBUTES_ALLOWED))})"))
            continue
        if entry_start and keyword(tok) == "-":
            found.append(at(tok, "removing an attribute changes what existing names mean"))
    return found, end + 1


@dataclass(frozen=True)
class _Scope:
    """One level Lean's `namespace`, `section` or `mutual` opened: `namespace A.B` opens two."""

    kind: str
    part: str
    """The component of the written name this level is for; "" when the scope has no name."""
    opener: Token
    written: str
    """The name as written after the keyword."""

    def __str__(self) -> str:
        return f"`{self.kind} {self.written}`" if self.written else f"`{self.kind}`"


class _Scopes:
    """What the declarations opened and have not closed yet, innermost last, matched as Lean's `end` matches."""

    def __init__(self) -> None:
        self.levels: list[_Scope] = []

    @property
    def namespace(self) -> list[str]:
        """The current namespace, as components."""
        return [s.part for s in self.levels if s.kind == "namespace"]

    def open(self, opener: Token, name: Token | None) -> None:
        kind = "section" if keyword(opener) == "noncomputable" else keyword(opener)
        written = name.text if name is not None else ""
        self.levels += [_Scope(kind, part, opener, written) for part in (name.parts if name is not None else ("",))]

    def close(self, end: Token, name: Token | None) -> Violation | None:
        parts = list(name.parts) if name is not None else [""]
        written = f"end {name.text}" if name is not None else "end"
        if len(parts) > len(self.levels):
            self.levels.clear()
            return at(end, f"`{written}` closes more than these declarations opened")
        closing = self.levels[len(self.levels) - len(parts):]
        del self.levels[len(self.levels) - len(parts):]
        if [s.part for s in closing] != parts:
            return at(end, f"`{written}` does not close the innermost {closing[-1]}")
        return None

    def left_open(self) -> list[Violation]:
        """One violation per opening command whose levels are still open."""
        found, seen = [], []
        for level in self.levels:
            if level.opener in seen:
                continue
            seen.append(level.opener)
            rest = [s for s in self.levels if s.opener == level.opener]
            closing = "end " + ".".join(s.part for s in rest) if rest[0].part else "end"
            found.append(at(level.opener, f"{level} is not closed (add `{closing}`): the statement would be "
                                          "read inside it"))
        return found


def _name_after(code: list[Token], k: int) -> Token | None:
    """The name written after the keyword at `code[k]` (`namespace A.B`, `end A.B`, `section S`), if any."""
    if k + 1 < len(code) and code[k + 1].kind == "ident" and keyword(code[k + 1]) not in DECL_STARTS:
        return code[k + 1]
    return None


def _open(code: list[Token], k: int) -> tuple[Violation | None, int]:
    """`open` at `code[k]` only as `open ... in` before a declaration; (violation, index after the names)."""
    after = open_end(code, k)
    if after >= len(code) or keyword(code[after]) != "in":
        return at(code[k], "command `open` in the declarations would change what the statement's names mean "
                           "(put `open` in the header, or write `open ... in` before one declaration)"), after
    return None, after


_MODIFIERS = frozenset({"private", "protected", "noncomputable", "partial", "nonrec", "unsafe", "public"})


def _protected(code: list[Token], k: int) -> bool:
    """Whether the declaration keyword at `code[k]` has `protected` among the modifiers written before it."""
    j = k - 1
    while j >= 0 and keyword(code[j]) in _MODIFIERS:
        if keyword(code[j]) == "protected":
            return True
        j -= 1
    return False


_PREFIXES = frozenset({"in", "private", "protected", "noncomputable", "partial", "nonrec", "local", "scoped",
                       "public"})
"""What belongs to the command after it, so the declarations may not end with it."""
_OUT_PARAM_FIRST = frozenset({"Membership", "Singleton", "Insert", "HasQuotient", "MonadExcept", "MonadReader",
                               "MonadState", "MonadWithReader"})
"""Classes whose first parameter is an `outParam`: instance search ignores it, so the second one is what the
instance is about (`Membership V (Set Nat)` would give `x ∈ s` a new meaning for every `s : Set Nat`)."""


def _instance(code: list[Token], k: int, scope: list[str], declared: Declared) -> Violation | None:
    """The `instance` at `code[k]` is allowed when its conclusion's class or first argument is declared here.

    Names the instance binds itself are variables (`lean_names`), and an
    argument passed by name (`Add (α := Nat)`) leaves the first argument
    unknown, so then only a class declared here allows it.
    """
    end = command_end(code, k)
    typ = instance_type(code, k, end)
    bound = instance_binders(code, k, end)
    head, arguments = head_and_arguments(typ)
    if declared.counts(head, scope, bound):
        return None
    what = " ".join(t.text for t in conclusion(typ)) or "?"
    if named_argument(typ):
        return at(code[k], f"`instance` of `{what}`: an argument given by name, of a class not declared here "
                           "(write the class's arguments in order)")
    about = arguments[1:2] if head is not None and head.parts[-1] in _OUT_PARAM_FIRST else arguments[:1]
    if any(declared.counts(a, scope, bound) for a in about):
        return None
    return at(code[k], f"`instance` of `{what}`: neither its class nor its first argument is declared here, "
                       "so it would change what existing notation means")


def _class(code: list[Token], k: int, scope: list[str], declared: Declared) -> Violation | None:
    """A `class` (or `class abbrev`) may extend only classes declared here: a parent's projection is an instance."""
    for parent in class_parents(code, k, command_end(code, k + 1 if keyword(code[k + 1]) == "abbrev" else k)):
        head, _ = head_and_arguments(parent)
        if not declared.counts(head, scope):
            what = " ".join(t.text for t in parent)
            return at(code[k], f"`class` extending `{what}`, which is not declared here: an instance of the new "
                               "class would also be one of it, changing what existing notation means")
    return None


def forbidden_in_decls(decls: str, *, allow_native_decide: bool = False,
                       statement: str | None = None) -> list[Violation]:
    """Declarations may add definitions, never change what the statement's names or notation mean.

    With the `statement` (None: unknown, so it may need them), names under an
    imported namespace are refused only when the statement may read the decls.
    """
    lexed = tokenize(decls)
    found = always(lexed, allow_native_decide) + meta_names(lexed)
    code = lexed.code
    found += tactic_arguments(code, proof=False)
    scopes = _Scopes()
    declared = Declared()
    names: list[tuple[Token, list[str]]] = []
    k = 0
    while k < len(code):
        tok, name = code[k], keyword(code[k])
        scope = scopes.namespace
        if not name:
            k += 1
            continue
        if (named := declared_name(code, k)) is not None:
            names.append((named[0], full_name(*named, scope)))
        after_class = k > 0 and keyword(code[k - 1]) == "class"
        if name in OTHER_DECLARATIONS and k + 1 < len(code) and not after_class:
            declared.add_other(code[k + 1])
        if name == "variable":
            declared.variables.update(binder_names(code[k + 1:command_end(code, k)]))
        if name == "@[" or (name == "attribute" and k + 1 < len(code) and keyword(code[k + 1]) == "["):
            bad, k = _attributes(code, k if name == "@[" else k + 1)
            found += bad
            if name == "@[" and k >= len(code):
                found.append(at(tok, "attributes end the declarations, so they would apply to the statement"))
            continue
        if name == "open":
            wrong, k = _open(code, k)
            found += [wrong] if wrong is not None else []
            continue
        if name == "namespace" and _name_after(code, k) is not None:
            scopes.open(tok, _name_after(code, k))
        elif name in ("section", "mutual"):
            scopes.open(code[k - 1] if k and keyword(code[k - 1]) == "noncomputable" else tok,
                        _name_after(code, k) if name == "section" else None)
        elif name == "end":
            wrong = scopes.close(tok, _name_after(code, k))
            found += [wrong] if wrong is not None else []
        elif name in ("class", "structure", "inductive") and k + 1 < len(code) and not after_class:
            skip = keyword(code[k + 1]) in ("inductive", "abbrev") and k + 2 < len(code)
            nxt = code[k + 2] if skip else code[k + 1]
            wrong = _class(code, k, scope, declared) if name == "class" else None
            found += [wrong] if wrong is not None else []
            if nxt.kind == "ident":
                declared.add_type(nxt, scope, protected=_protected(code, k))
        elif name == "set_option":
            wrong, _ = set_option_rule(code, k)
            if wrong is not None:
                found.append(wrong)
        elif name in ("import", "prelude"):
            found.append(at(tok, f"`{name}` (imports belong in the header)"))
        elif name == "export":
            found.append(at(tok, "`export` (aliases change what names in the statement mean)"))
        elif name == "opaque" and not top_level(code[k:command_end(code, k)], (":=",)):
            found.append(at(tok, "`opaque` without a body (give its value with `:=`)"))
        elif name == "instance":
            wrong = _instance(code, k, scope, declared)
            found += [wrong] if wrong is not None else []
        elif name == "deriving" and k + 1 < len(code) and keyword(code[k + 1]) == "instance":
            end = command_end(code, k + 1)
            at_for = next((j for j in range(k, end) if keyword(code[j]) == "for"), end)
            targets = [t for t in code[at_for + 1:end] if keyword(t) != ","]
            if not targets or not all(declared.counts(t, scope) for t in targets):
                found.append(at(tok, "`deriving instance` for a type not declared here"))
            k += 1
        k += 1
    found += scopes.left_open()
    if statement_needs_decls(statement, [full for _, full in names], declared.variables):
        found += foreign_namespaces(names)
    if code and keyword(code[-1]) in _PREFIXES:
        found.append(at(code[-1], f"`{code[-1].text}` ends the declarations, so it would apply to the statement"))
    return unique(found)


__all__ = ["ATTRIBUTES_ALLOWED", "forbidden_in_decls"]
