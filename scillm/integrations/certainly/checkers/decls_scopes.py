"""Scope, key and argument commands in the decls, judged by what Coq says existed before them.

`Delimit Scope`, `Bind Scope`, `Open`/`Close Scope`, `Arguments`,
`Implicit Types` and importing a library module again, also through a
module alias (which replays its scope and argument commands), change
how the statement's notations and numerals read without changing any name
the statement uses, so a `Locate` comparison cannot see them (a key moved
to another scope prints nothing; `Arguments` of `PrimInt63.eqb` changes
`Uint63.eqb` too). When the statement needs the decls, they may touch only
what the decls themselves declare: a scope or key `Print Scopes` did not
list before the decls, a constant or class that `Locate` after the decls
finds under the problem's own root (a module the decls declare may be
imported; an abbreviation is not a constant).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scillm.integrations.certainly.checkers.sentences import split_sentences
from scillm.integrations.certainly.checkers.vernac import classify

_NAME = re.compile(r"@?([^\W\d][\w'.]*)")
_SCOPE_LINE = re.compile(r"^Scope (\S+)\s*$", re.M)
_KEY_LINE = re.compile(r"^Delimiting key is (\S+)\s*$", re.M)


@dataclass(frozen=True)
class ScopeUse:
    """What the decls' scope and argument commands touch."""

    arguments: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    scopes: tuple[tuple[str, str], ...] = ()
    keys: tuple[str, ...] = ()
    implicit_types: bool = False
    modules: tuple[str, ...] = ()
    unnamed_arguments: bool = False

    def names(self) -> list[str]:
        """The names to `Locate` after the decls, each once."""
        return list(dict.fromkeys((*self.arguments, *self.classes, *self.modules)))


def scope_use(decls: str) -> ScopeUse:
    """The targets of `Arguments`, `Bind`/`Delimit`/`Undelimit`/`Open`/`Close Scope` in `decls`."""
    arguments: list[str] = []
    classes: list[str] = []
    scopes: list[tuple[str, str]] = []
    keys: list[str] = []
    modules: list[str] = []
    implicit_types = unnamed = False
    for sentence in split_sentences(decls):
        cmd = classify(sentence)
        words = [w.rstrip(".") for w in cmd.words if w not in ("@", ".")]
        implicit_types = implicit_types or (cmd.head == "Implicit" and words[1:2] in (["Type"], ["Types"]))
        if cmd.head in ("Import", "Export", "Require", "From"):
            named = _imported(words)
            modules += named
            unnamed = unnamed or not named
        elif cmd.head == "Module" and ":=" in words:
            # `Module X := P` (or `F P`) makes X an alias: importing X replays what importing P does.
            named = [m.group(1) for w in words[words.index(":=") + 1:] if (m := _NAME.fullmatch(w))]
            modules += named
            unnamed = unnamed or not named
        if cmd.head == "Arguments" and len(words) > 1:
            m = _NAME.fullmatch(words[1])
            if m is None:
                unnamed = True  # a notation string names a constant only Coq can tell
            else:
                arguments.append(m.group(1))
        elif len(words) >= 3 and words[1] == "Scope" and cmd.head in ("Bind", "Delimit", "Undelimit", "Open",
                                                                        "Close"):
            scopes.append((cmd.head, words[2]))
            rest = words[4:] if len(words) > 4 and words[3] == "with" else []
            if cmd.head == "Bind":
                classes += [m.group(1) for w in rest if (m := _NAME.fullmatch(w))]
            elif cmd.head == "Delimit":
                keys += rest[:1]
    return ScopeUse(tuple(arguments), tuple(classes), tuple(scopes), tuple(keys), implicit_types,
                    tuple(modules), unnamed)


def _imported(words: list[str]) -> list[str]:
    """The module names an `Import`/`Export`/`Require`/`From ... Require` sentence names (a `From` root
    qualifies them)."""
    root = words[1] if words[0] == "From" and len(words) > 1 else ""
    names = [w for w in words[1:] if _NAME.fullmatch(w) and w not in ("Require", "Import", "Export") and w != root]
    return [f"{root}.{n}" if root else n for n in names]


def existing_scopes(print_scopes: str) -> tuple[frozenset[str], frozenset[str]]:
    """(scope names, delimiting keys) a `Print Scopes` answer lists."""
    return frozenset(_SCOPE_LINE.findall(print_scopes)), frozenset(_KEY_LINE.findall(print_scopes))


def scope_violation(use: ScopeUse, print_scopes: str, located: dict[str, str | None], root: str) -> str | None:
    """Why the decls change how scopes, keys or arguments the header gave read, or None.

    `located` is each of `use.names()` with `verdict_text.meaning` of its
    `Locate` after the decls; `root` is the problem's logical root.
    """
    scopes, keys = existing_scopes(print_scopes)
    if use.implicit_types:
        return "`Implicit Types` in decls gives the statement's binders types it does not write (write them)"
    if use.unnamed_arguments:
        return ("`Arguments` or an import in decls names its target so that only Coq can tell what it is (name "
                "a constant or module the decls declare)")
    for head, scope in use.scopes:
        if scope in scopes:
            return (f"`{head} Scope {scope}` in decls changes a scope the header already has (put scope commands "
                    "in the header)")
    for key in use.keys:
        if key in keys:
            return f"`Delimit Scope ... with {key}` in decls moves the header's delimiting key `{key}`"
    for name in use.names():
        kind, _, path = (located.get(name) or "").partition(" ")
        wanted = ("Module",) if name in use.modules else ("Constant", "Inductive", "Constructor")
        if kind not in wanted or not path.startswith(f"{root}."):
            if name in use.modules:
                return (f"the decls import `{name}`, which they did not declare: importing a library or module "
                        "again replays its scope and argument commands (load and import it in the header)")
            what = "Arguments" if name in use.arguments else "Bind Scope ... with"
            return (f"`{what} {name}` in decls changes how something the decls did not declare reads "
                    "(put it in the header)")
    return None


__all__ = ["ScopeUse", "existing_scopes", "scope_use", "scope_violation"]
