"""Coercions, instances, canonical structures and hints the decls declare: each one named, or refused.

These change how a statement elaborates without the statement naming them.
The verdict checks that no named one (a record field declared with `:>`
included) ends up inside the elaborated statement unless the statement names
it; a form that declares one without a name the verdict could look for (an
anonymous `Instance :`, `Hint Extern` or `Hint Constructors` into
`typeclass_instances`, `SubClass`) is refused, with the way to name it.
"""

from __future__ import annotations

import re

from scillm.integrations.certainly.checkers.sentences import split_sentences, strip_comments

_NAME = r"[^\W\d][\w'.]*"
_ATTRIBUTES = re.compile(r"#\[([^\]\"]*)\]\s*")
_PREFIX = re.compile(r"(?:Local|Global|Export|Polymorphic|Monomorphic|Program|Cumulative|NonCumulative|#\[[^\]]*\])\s+")
_NAMED = re.compile(rf"(Coercion|Instance|Existing\s+Instances?|Canonical(?:\s+Structure)?|Identity\s+Coercion)\s+"
                    rf"((?:{_NAME}\s*)+)")
_ANONYMOUS_INSTANCE = re.compile(r"Instance\s*(?::|\{|\(|\[|!|`)")
_HINT = re.compile(r"Hint\s+(Resolve|Immediate|Extern|Constructors|Unfold|Transparent|Opaque|Mode|Cut)\b(.*)",
                   re.S)
_RECORD = re.compile(r"(Record|Structure|Class|Inductive|Variant|CoInductive)\b")
_FIELD = re.compile(rf"({_NAME})\s*(?:{_NAME}\s*)*:>")
_ADD = re.compile(rf"Add\s+(?:Parametric\s+)?(?:Morphism|Relation|Setoid)\b.*\bas\s+({_NAME})", re.S)


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


def machinery_names(decls: str) -> list[tuple[str, str]]:
    """(kind, name) of each coercion, instance, canonical structure and instance hint the decls declare by name."""
    out: list[tuple[str, str]] = []
    for s in split_sentences(decls):
        cmd = _command(s.text)
        if (m := _NAMED.match(cmd)) is not None:
            kind = " ".join(m.group(1).split())
            names = m.group(2).split() if kind.startswith("Existing") else m.group(2).split()[:1]
            out += [(kind, n.rstrip(".")) for n in names if n.rstrip(".") not in ("", "Structure", "Coercion")]
        elif (m := _HINT.match(cmd)) is not None and m.group(1) in ("Resolve", "Immediate") and \
                "typeclass_instances" in _databases(m.group(2)):
            names = re.findall(_NAME, m.group(2).rpartition(":")[0])
            out += [("Instance", n) for n in names if n not in ("ident", "<-", "->")]
        elif (m := _ADD.match(cmd)) is not None:
            out.append(("Instance", m.group(1).rstrip(".")))
        if _RECORD.match(cmd):
            body = cmd.split(":=", 1)[1] if ":=" in cmd else ""
            out += [("field", f) for f in _FIELD.findall(body)]
    return out


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


__all__ = ["machinery_names", "unnamed_machinery"]
