"""Pure text for the independent verdict: the files it writes and how it reads Coq's answers.

Nothing here runs a prover, so all of it is tested alone. Output is read by
structure only: regions between random separators (a header or proof cannot
print a separator it does not know), `coqchk`'s fixed context summary, and
the first column of `Print Assumptions`. No phrase of Coq's output is taken as
evidence that a proof is sound.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from scillm.integrations.certainly.checkers import coq_lexicon as lexicon
from scillm.integrations.certainly.checkers.sentences import Sentence, split_sentences, strip_comments

_STRING = re.compile(r'"(?:[^"]|"")*"')
# Words that are keywords in Coq's term grammar or the prelude's notations, so `Locate w.` would not parse. A word
# a library's notation makes a keyword (`mod`, ssreflect's `is`) is found by the failing `Locate` and retried.
KEYWORDS = frozenset({
    "as", "at", "cofix", "else", "end", "exists", "exists2", "fix", "for", "forall", "fun", "if", "in",
    "let", "match", "Prop", "return", "SProp", "Set", "struct", "then", "Type", "using", "where",
    "with", "IF",
})
_FILE_ERROR = re.compile(r'File "[^"]*", line (\d+), characters \d+-\d+:\n((?:Error|Anomaly)[^\n]*(?:\n(?!File ")[^\n]*)*)')


def separator() -> str:
    """A fresh name that no header, decls or proof can know in advance."""
    return f"scillm_sep_{secrets.token_hex(8)}"


def locate_line(sep: str) -> str:
    return f"Locate {sep}."


def regions(out: str, seps: list[str]) -> list[str] | None:
    """Text printed between consecutive separators (first occurrence of each, in order), or None."""
    marks = [f"No object of basename {s}" for s in seps]
    found: list[tuple[int, int]] = []
    pos = 0
    for mark in marks:
        i = out.find(mark, pos)
        if i < 0:
            return None
        found.append((i, i + len(mark)))
        pos = i + len(mark)
    return [out[found[k][1]: found[k + 1][0]] for k in range(len(found) - 1)]


def meaning_sentences(problem: str, seps: list[str]) -> list[str]:
    """Verify.v's check that the decls keep the statement's meaning, by the full names of the compiled `problem`.

    Nothing of the problem is imported there, so the decls cannot shadow
    these names: `scillm_same` type-checks only when the statement read with
    the header alone (when it reads) is convertible to the one read with the
    decls, and the `Eval` between `seps` says whether it reads alone.
    """
    return [f"Definition scillm_same : (match {problem}.scillm_plain with Some T => T | None => "
            f"{problem}.scillm_statement end) -> {problem}.scillm_statement := fun x => x.",
            locate_line(seps[0]), f"Eval lazy in (match {problem}.scillm_plain with Some _ => true | None => false end).",
            locate_line(seps[1])]


def plain_answer(region: str) -> bool | None:
    """`Eval lazy` of whether the statement reads with the header alone: True, False, or None when not that answer."""
    m = re.fullmatch(r"\s*= (true|false)\s*:\s*bool\s*", region)
    return None if m is None else m.group(1) == "true"


def strip_strings_and_comments(text: str) -> str:
    """`text` with each comment and string literal blanked."""
    return _STRING.sub(" ", strip_comments(text))


def statement_tokens(statement: str) -> list[tuple[str, bool]]:
    """(token, is_identifier) for each distinct name and symbol the statement uses, in order."""
    text = strip_strings_and_comments(statement)
    out: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for kind, tok in lexicon.scan(text, qualified=True, extra=lexicon.symbol_class()):  # numbers as Coq reads them
        if tok in seen or kind == "num":
            continue
        seen.add(tok)
        out.append((tok, kind == "id"))
    return out


def locate_queries(tokens: list[tuple[str, bool]], keywords: frozenset[str]) -> list[tuple[str, str]]:
    """(token, `Locate` sentence) pairs: names are located as references and as notations."""
    out: list[tuple[str, str]] = []
    for tok, ident in tokens:
        if ident and tok not in keywords:
            out.append((tok, f"Locate {tok}."))
        if not ident or "." not in tok:
            quoted = tok.replace('"', '""')
            out.append((tok, f'Locate "{quoted}".'))
    return out


def locate_sentences(queries: list[tuple[str, str]], seps: list[str]) -> list[str]:
    """Each query preceded by its own separator, and a closing one (`len(seps) == len(queries) + 1`)."""
    lines: list[str] = []
    for (_, query), sep in zip(queries, seps, strict=False):
        lines += [locate_line(sep), query]
    lines.append(locate_line(seps[len(queries)]))
    return lines


def meaning(query: str, answer: str) -> str | None:
    """What the token means in that context according to one `Locate` answer, or None when nothing.

    For a short name it is the first entry that name reaches (entries
    reachable only by a longer name carry a "shorter name" note); a qualified
    name (`Zbool.Zeq_bool`) reaches its first entry whatever the note says,
    since the note only tells that a shorter name exists; for a notation it is
    the whole answer.
    """
    lines = [ln for ln in answer.strip().splitlines() if ln.strip()]
    if not lines or all(ln.startswith(("No object of basename", "Unknown notation")) for ln in lines):
        return None
    if query.startswith('Locate "'):
        return "\n".join(ln.rstrip() for ln in lines)
    for i, ln in enumerate(lines):
        if ln[0].isspace() or ln.startswith(("No object of basename", "Unknown notation")):
            continue
        note = lines[i + 1] if i + 1 < len(lines) and lines[i + 1][0].isspace() else ""
        if "shorter name" not in note or "." in query.split()[-1].rstrip("."):
            return ln.strip()
    return None


def library_names(region: str) -> frozenset[str]:
    """Library names from a `Print Libraries` answer (indented, one per line)."""
    return frozenset(ln.strip() for ln in region.splitlines() if ln.startswith(" ") and re.fullmatch(r"[\w'.]+", ln.strip()))


@dataclass(frozen=True)
class KernelSummary:
    """`coqchk -o`'s context summary, read by structure."""

    axioms: tuple[str, ...] = ()
    weakened: tuple[str, ...] = ()
    predicative: bool = True


_SECTION = re.compile(r"^\* (.+?):\s*(<none>)?\s*$")


def parse_coqchk(out: str) -> KernelSummary | None:
    """The summary, or None when `out` does not have coqchk's shape (then nothing is trusted)."""
    if "CONTEXT SUMMARY" not in out:
        return None
    body = out.split("CONTEXT SUMMARY", 1)[1]
    sections: dict[str, list[str]] = {}
    current: str | None = None
    predicative = False
    for raw in body.splitlines():
        line = raw.rstrip()
        if not line.strip() or set(line.strip()) == {"="}:
            continue
        m = _SECTION.match(line)
        if m:
            current = m.group(1)
            sections[current] = []
            continue
        if line.startswith("* Theory:"):
            predicative = line.strip() == "* Theory: Set is predicative"
            current = None
            continue
        if current is None or not line.startswith("    "):
            return None
        name = line.strip()
        if not re.fullmatch(r"[\w'.]+", name):
            return None
        sections[current].append(name)
    if "Axioms" not in sections:
        return None
    weakened = [f"{title}: {name}" for title, names in sections.items() if title != "Axioms" for name in names]
    return KernelSummary(axioms=tuple(sections["Axioms"]), weakened=tuple(weakened), predicative=predicative)


@dataclass(frozen=True)
class Assumptions:
    """`Print Assumptions` read by its first column: axiom names and any other section."""

    axioms: tuple[str, ...] = ()
    other: tuple[str, ...] = field(default_factory=tuple)


_USED_IN = re.compile(r"used in [\w'.]+ to prove")


def parse_assumptions(region: str) -> Assumptions:
    """Names at column 0 under `Axioms:`; names under any other heading are `other`."""
    axioms: list[str] = []
    other: list[str] = []
    section: str | None = None
    for line in region.splitlines():
        if not line.strip() or line[0].isspace():
            continue
        head = line.rstrip()
        if head.endswith(":") and " : " not in head:
            section = head[:-1].strip()
            continue
        if _USED_IN.fullmatch(line.rstrip()):  # Coq 8.16 names the theorem an axiom of `False` is used in
            continue
        m = re.match(r"([\w'.]+)(?:\s|$)", line)
        if m is None or section is None:
            continue
        (axioms if section == "Axioms" else other).append(m.group(1))
    return Assumptions(axioms=tuple(axioms), other=tuple(other))


_ENVIRONMENT_WORDS = frozenset({"Require", "From", "Import", "Export", "Open", "Set", "Unset"})


def environment_sentences(decls: list[Sentence]) -> list[str]:
    """The decls' import, scope and option sentences, replayed where the proof runs.

    `Require Import` of the compiled problem does not re-export what its decls
    imported or opened; the theorem's type is fixed already, so replaying
    these only gives the proof the vocabulary the search had.
    """
    out: list[str] = []
    for s in decls:
        words = strip_comments(s.text).split()
        while words and (words[0] in ("Local", "Global") or words[0].startswith("#[")):
            words = words[1:]
        if words and words[0] in _ENVIRONMENT_WORDS:
            out.append(s.text)
    return out


_ATTRIBUTES = re.compile(r"#\[([^\]\"]*)\]\s*")
_LOCAL_WORD = re.compile(r"Local\s+")


def exported_decls(decls: str) -> str:
    """The decls with `Local` and `#[local]` dropped (`#[export]` for hints and instances), one sentence per line.

    At the top level of `Problem.v` locality makes no difference to how the
    statement reads; it only hides definitions, notations, hints and instances from the
    file that imports the problem, so an honest proof that uses them (as it
    could in the search session) would fail. The theorem's type is the
    problem's constant either way.
    """
    sentences = [strip_comments(s.text).strip() for s in split_sentences(decls)]
    if any(re.match(r"(?:Section|Module|Declare\s+Module)\b", _command(t)) for t in sentences):
        # Inside a section locality is scoping, and inside a module it decides what `Import` brings in (a local
        # `M.val` is not imported): keep the decls as written.
        return decls.strip()
    return "\n".join(_exported(t) for t in sentences)


def _exported(text: str) -> str:
    kept: list[str] = []
    i, local = 0, False
    while m := _ATTRIBUTES.match(text, i):
        items = [a.strip() for a in m.group(1).split(",")]
        rest = [a for a in items if a and a != "local"]
        local = local or len(rest) < len(items)
        if rest:
            kept.append(f"#[{', '.join(rest)}] ")
        i = m.end()
    if m := _LOCAL_WORD.match(text, i):
        i, local = m.end(), True
    if local and text[i:].split(maxsplit=1)[:1] in (["Hint"], ["Instance"], ["Existing"]):
        kept.append("#[export] ")  # visible where the problem is imported, not where it is only required
    return "".join(kept) + text[i:]


_ARGUMENTS = re.compile(r"Arguments\s+@?([^\W\d][\w'.]*)")


def _command(text: str) -> str:
    """A sentence without its comments, attributes and `Local`/`Global`/`Export` prefix."""
    text = strip_comments(text).strip()
    while m := _ATTRIBUTES.match(text) or re.match(r"(?:Local|Global|Export|#\[[^\]]*\])\s+", text):
        text = text[m.end():]
    return text


def argument_names(decls: str) -> list[str]:
    """The names whose arguments (implicits, scopes) the decls re-declare with `Arguments`."""
    found = (_ARGUMENTS.match(_command(s.text)) for s in split_sentences(decls))
    return [m.group(1).rstrip(".") for m in found if m is not None]


def last_error(err: str) -> tuple[int, str] | None:
    """(line, message) of the last located error coqc printed."""
    found = list(_FILE_ERROR.finditer(err))
    if not found:
        return None
    m = found[-1]
    return int(m.group(1)), " ".join(m.group(2).split())


__all__ = [
    "KEYWORDS",
    "argument_names",
    "Assumptions",
    "KernelSummary",
    "environment_sentences",
    "exported_decls",
    "last_error",
    "library_names",
    "locate_line",
    "locate_queries",
    "locate_sentences",
    "meaning",
    "meaning_sentences",
    "parse_assumptions",
    "parse_coqchk",
    "plain_answer",
    "regions",
    "separator",
    "statement_tokens",
    "strip_strings_and_comments",
]
