"""Coercions, instances and canonical structures the decls add, read from Coq's own registries.

These change how a statement elaborates without the statement naming them.
`Problem.v` prints the registries (`Print Coercions`, `Print Canonical
Projections`, `Print HintDb typeclass_instances`) before and after the decls
and the elaborated statement after them, all under `Set Printing All`: one
printer in one context, so an entry the decls added and its occurrence in the
statement print as the same name, however the decls shadow names, and no
notation stands in for either. None of them may occur in the statement
unless the statement names it by that printed name. An
unnamed instance hint (`Hint Extern`) has no registry name beyond the lemma
its tactic names, so `unnamed_machinery` refuses those forms in decls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scillm.integrations.certainly.checkers import coq_lexicon as lexicon
from scillm.integrations.certainly.checkers.sentences import split_sentences, strip_comments

_ATTRIBUTES = re.compile(r"#\[([^\]\"]*)\]\s*")
_PREFIX = re.compile(r"(?:Local|Global|Export|Polymorphic|Monomorphic|Program|Cumulative|NonCumulative|#\[[^\]]*\])\s+")
_ANONYMOUS_INSTANCE = re.compile(r"Instance\s*(?::|\{|\(|\[|!|`)")
_HINT = re.compile(r"Hint\s+(Resolve|Immediate|Extern|Constructors|Unfold|Transparent|Opaque|Mode|Cut)\b(.*)",
                   re.S)


def _command(text: str) -> str:
    """A sentence without its comments, attributes, prefixes and final period."""
    text = strip_comments(text).strip()
    while m := _ATTRIBUTES.match(text) or _PREFIX.match(text):
        text = text[m.end():]
    return text[:-1].rstrip() if text.endswith(".") else text


def _databases(rest: str) -> list[str]:
    """The hint databases a `Hint` command names after its last top-level `:` (none: `core`)."""
    _, colon, dbs = rest.rpartition(":")
    return dbs.split() if colon else ["core"]


#: The registries `Problem.v` prints, in order, each between two separators.
REGISTRY_QUERIES = ("Print Coercions.", "Print Canonical Projections.", "Print HintDb typeclass_instances.")
_IDENT = re.compile(r"[^\W\d][\w'.]*")
_HINT_LEMMA = re.compile(r"\b(?:simple\s+)?e?(?:apply|exact)\s+@?([^\W\d][\w'.]*)")
_CANONICAL = re.compile(r"\(\s*([^\W\d][\w'.]*)\s*\)\s*$", re.M)


@dataclass(frozen=True)
class Registry:
    """The coercion, canonical-structure and instance names one printing of the registries lists (for a
    `Hint Extern`, the lemma its tactic applies or gives)."""

    names: frozenset[str]


def read_registry(coercions: str, canonicals: str, hints: str) -> Registry:
    """The registry from the three answers (`REGISTRY_QUERIES`)."""
    names = set(_IDENT.findall(coercions)) | set(_CANONICAL.findall(canonicals)) | set(_HINT_LEMMA.findall(hints))
    return Registry(frozenset(names))


# `as x` and `in T x` of a match, and `{x : A & P}`, `{x | P}` bind too (over-read: a record `{| … |}` as well).
_BINDER = re.compile(r"(?:\bforall\b|\bexists2?\b|\bfun\b|\blet\b|\bfix\b|\bcofix\b|\bas\b|\bin\b|∀|∃|λ|\||\{"
                     r"|\bwith\b|\bis\b)")
_PATTERN_START = frozenset({"|", "with", "is"})  # a match's branches (the first after `with`), ssreflect's `if e is p`
_BINDER_END = re.compile(r",|=>|:=|\bin\b|\bwith\b|\bthen\b")


def bound_words(text: str) -> frozenset[str]:
    """Words the statement text binds (`forall x (y : T), ...`, `fun`, `exists`, `let`, match patterns and their
    `as`/`in`, `{x : A & P}`, ssreflect's `is`), over-read:
    every word of a binder list not after a `:` of its group, and every word of a pattern."""
    out: set[str] = set()
    for m in _BINDER.finditer(text):
        end = _BINDER_END.search(text, m.end())
        span = text[m.end(): end.start() if end else len(text)]
        if m.group(0) in _PATTERN_START:
            out.update(lexicon.idents(span, qualified=True))
            continue
        depth, typed = 0, [False]
        for kind, tok in lexicon.scan(span, qualified=True, extra=r"[()\[\]{}:]"):
            if kind == "num":
                continue
            if tok in "([{":
                depth += 1
                typed.append(False)
            elif tok in ")]}":
                depth = max(0, depth - 1)
                if len(typed) > 1:
                    typed.pop()
            elif tok == ":":
                typed[-1] = True
            elif not typed[-1]:
                out.add(tok)
    return frozenset(out)


def inserted_machinery(before: Registry, after: Registry, statement: str, named: frozenset[str]) -> str | None:
    """Why the decls' machinery is in the printed statement (`Print scillm_statement` under Printing All) without
    the statement naming it, or None.

    `named` holds the words the statement uses as references: words outside
    comments and strings that it does not bind, that `Locate` after the decls
    finds as a constant or inductive and that no notation uses as a keyword.
    The name the printer gives an entry must be one of them (a decls name
    shadowed later prints qualified, so the shadowing word does not name it).
    """
    body = statement.split("=", 1)[1] if "=" in statement else statement
    used = sorted(((after.names - before.names) & set(lexicon.idents(body, qualified=True))) - named)
    if used:
        return (f"the decls' coercion, instance or canonical structure `{used[0]}` is inserted into the statement "
                "(write the statement without relying on it, or load the library that provides it in the header)")
    return None


_GROUP = re.compile(r"For (.+?) ->(?: |$)")
_ENTRY_END = re.compile(r"(?<=, id\)) ")
_NAME = re.compile(r"[^\W\d][\w'.]*")


def _entry_name(entry: str) -> str | None:
    """The instance an entry applies: the last name of its tactic (`simple apply @eq_equivalence`)."""
    names = _NAME.findall(entry.split("(level", 1)[0])
    return names[-1] if names else None


def _pattern_names(entry: str) -> set[str]:
    return set(_NAME.findall(entry.split(", pattern", 1)[-1]))


def _entries(hints: str) -> tuple[str, dict[str, list[str]]]:
    """(the database's settings, entries per goal head) of one `Print HintDb typeclass_instances` answer."""
    text = re.sub(r"\bid \d+\)", "id)", re.sub(r"\?META\d+", "?M", " ".join(hints.split())))
    parts = _GROUP.split(text)
    groups: dict[str, list[str]] = {}
    for head, body in zip(parts[1::2], parts[2::2], strict=True):
        groups.setdefault(head, []).extend(e for e in _ENTRY_END.split(body.strip()) if e)
    return parts[0], groups


def _settings(text: str) -> list[tuple[str, frozenset[str]]]:
    """Each setting line of the database (`Unfoldable constant definitions: all except: …`, `Cut: …`) as its
    words up to the names (`… definitions: all`), and the names (`all` with no exception lists none)."""
    out = []
    for part in re.split(r"(?=Unfoldable |Cut: )", text):
        head, _, names = part.partition(" except:") if " except:" in part else part.partition(":")
        if head.startswith("Unfoldable") and ":" not in head:
            head, names = f"{head}: {names.strip()}", ""
        out.append((head.strip(), frozenset(names.split())))
    return out


def changed_instances(before: str, after: str, declared: frozenset[str]) -> str | None:
    """Why the decls change which header instance typeclass search finds, or None.

    Every entry the header's database held must still be there as it was
    (a removed hint, or a decls instance reusing a header instance's name,
    which then prints qualified, is missing), its settings (unfolding,
    cuts, modes) unchanged but for the names the decls declare (a
    definitional class is opaque to the search), and an entry the decls add
    to a header class must be about a type they declare (its pattern names
    one) and must not apply a header instance again (`Existing Instance h |
    0` changes its priority).
    """
    settings, old = _entries(before)
    settings_after, new = _entries(after)
    was, now = _settings(settings), _settings(settings_after)
    if len(was) != len(now) or any(a[0] != b[0] or not a[1] <= b[1] or not b[1] - a[1] <= declared
                                   for a, b in zip(was, now, strict=False)):
        return ("the decls change how typeclass search treats the header's constants (`Typeclasses Opaque`, "
                "`Hint Cut`, …), which can change the instances the statement is read with")
    header_names = {name for entries in old.values() for e in entries if (name := _entry_name(e))}
    for head, entries in old.items():
        left = list(new.get(head, []))
        for entry in entries:
            if entry not in left:
                return (f"the decls remove or re-declare a header instance for `{head}` "
                        f"(`{entry.split('(level', 1)[0].strip()}`), so the statement may be read with another one")
            left.remove(entry)
        for entry in left:
            name = _entry_name(entry)
            if name in header_names:
                return (f"the decls declare the header instance `{name}` again (another priority or pattern), so "
                        "the statement may be read with another instance")
            if not _pattern_names(entry) & declared:
                return (f"the decls add an instance `{name}` of the header's `{head}` for none of their own types, "
                        "so the statement may be read with it instead of the header's")
    return None


def unnamed_machinery(decls: str) -> str | None:
    """Why the decls declare a coercion, instance or instance hint the verdict could not name, or None."""
    for s in split_sentences(decls):
        cmd = _command(s.text)
        if _ANONYMOUS_INSTANCE.match(cmd):
            return "an anonymous `Instance` in decls (give it a name: `Instance name : ...`)"
        if re.match(r"SubClass\b", cmd):
            return "`SubClass` in decls declares an unnamed coercion (use `Definition` and a named `Coercion`)"
        hint = _HINT.match(cmd)
        if hint is not None and "typeclass_instances" in _databases(hint.group(2)) and \
                hint.group(1) not in ("Resolve", "Immediate"):
            return (f"`Hint {hint.group(1)}` into `typeclass_instances` in decls changes instance search without a "
                    "name (declare a named `Instance`)")
    return None


__all__ = ["REGISTRY_QUERIES", "Registry", "bound_words", "changed_instances", "inserted_machinery", "read_registry",
           "unnamed_machinery"]
