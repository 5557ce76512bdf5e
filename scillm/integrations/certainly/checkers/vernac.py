"""See a Coq sentence the way Coq's parser does: prefixes and attributes first, then the command.

A first-word check is walked around by anything Coq lets stand before a
command: control prefixes (`Time`, `Timeout 5`, `Fail`, `Succeed`,
`Redirect "f"`, `Instructions`, `Profile`), attributes (`#[local]`,
`#[bypass_check(guard)]`) and locality or polymorphism words (`Local`,
`Global`, `Polymorphic`, `Program`, `Export` before `Set` ...).
`classify` peels all of them, in any order and number, and returns the
command underneath with its head words, so a policy can name what it
refuses. Pure text logic.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from scillm.integrations.certainly.checkers import coq_lexicon as lexicon
from scillm.integrations.certainly.checkers.sentences import Sentence, strip_comments

SentenceClass = Literal["tactic", "bullet", "brace", "command"]

CONTROL_PREFIXES = frozenset({"Time", "Fail", "Succeed", "Instructions", "Profile"})
_ARG_PREFIXES = {"Timeout": re.compile(r"[0-9]+"), "Redirect": re.compile(r'"(?:[^"]|"")*"')}
LOCALITY_WORDS = frozenset({"Local", "Global", "Export", "Polymorphic", "Monomorphic", "Program", "Cumulative",
                            "NonCumulative", "Private", "Template"})
_SELECTOR = re.compile(
    r"^\s*(?:all|par|!|[0-9]+(?:\s*-\s*[0-9]+)?(?:\s*,\s*[0-9]+(?:\s*-\s*[0-9]+)?)*|\[\s*[A-Za-z_][\w']*\s*\])\s*:"
    r"(?![=>:])\s*")
_TACTIC_START = re.compile(r"[a-z_][\w']*|[(\[]")
# Words that may follow a locality word as the head of a command (so `Export Set ...` is `Set`,
# while `Export Foo.` is the command `Export`).
_AFTER_LOCALITY = frozenset(
    {"Set", "Unset", "Open", "Close", "Hint", "Instance", "Arguments", "Notation", "Infix", "Coercion",
     "Definition", "Fixpoint", "CoFixpoint", "Inductive", "CoInductive", "Variant", "Record", "Structure",
     "Class", "Existing", "Theorem", "Lemma", "Fact", "Remark", "Corollary", "Proposition", "Property",
     "Example", "Let", "Ltac", "Tactic", "Axiom", "Axioms", "Parameter", "Parameters", "Conjecture",
     "Conjectures", "Hypothesis", "Hypotheses", "Variable", "Variables", "Context", "Declare", "Canonical",
     "Opaque", "Transparent", "Strategy", "Typeclasses", "Remove", "Obligation", "Next", "Solve", "Admit",
     "Function", "Scheme", "Universe", "Universes", "Constraint", "Primitive", "Register", "Add",
     "Bind", "Delimit", "Reserved", "Identity", "SubClass", "Generalizable", "Implicit", "Create",
     "Number", "Numeral", "String", "Include", "Module", "Import", "Require", "From", "Abbreviation",
     "Section", "Instances", "Cd", "Load", "Extraction", "Extract", "Redirect", *CONTROL_PREFIXES,
     "Timeout"}
)


@dataclass(frozen=True)
class Command:
    """One sentence with what stands before its command peeled off."""

    sentence: Sentence
    kind: SentenceClass
    prefixes: tuple[str, ...]
    attributes: tuple[str, ...]
    words: tuple[str, ...]
    body: str

    @property
    def head(self) -> str:
        """The command's first word (`Axiom`, `Set`, ...), or '' for tactics, bullets and braces."""
        return self.words[0] if self.kind == "command" and self.words else ""

    def starts(self, *words: str) -> bool:
        """Whether the command's first words are exactly `words`."""
        return self.kind == "command" and self.words[: len(words)] == words


def _attribute_end(text: str, i: int) -> int:
    """Index past the `#[ ... ]` attribute list opening at `i` (brackets and strings balanced)."""
    depth = 0
    n = len(text)
    j = i + 1
    while j < n:
        c = text[j]
        if c == '"':
            m = re.compile(r'"(?:[^"]|"")*"').match(text, j)
            j = m.end() if m else n
            continue
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return n


@functools.cache
def _token() -> re.Pattern[str]:
    """Strings, numbers, names (any Unicode letter starts one, as in Coq), `:=`-like pairs, single symbols."""
    return re.compile(f'"(?:[^"]|"")*"|{lexicon.NUMERAL}|{lexicon.ident(qualified=True)}|:=|=>|->|<-|\\S')


def _tokens(text: str) -> list[str]:
    return _token().findall(text)


def classify(sentence: Sentence) -> Command:
    """The command under any prefixes, attributes and locality words of `sentence`."""
    if sentence.kind != "command":
        return Command(sentence, sentence.kind, (), (), (), sentence.text)
    text = strip_comments(sentence.text).strip()
    selector = _SELECTOR.match(text)
    after = text[selector.end():] if selector else text
    if _TACTIC_START.match(after):
        return Command(sentence, "tactic", (), (), tuple(_tokens(after)[:1]), after)
    if selector is not None:
        return Command(sentence, "command", (selector.group(0).strip(),), (), tuple(_tokens(after)), after)
    prefixes: list[str] = []
    attributes: list[str] = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if text.startswith("#[", i):
            end = _attribute_end(text, i)
            attributes.append(" ".join(text[i + 2: end - 1].split()))
            i = end
            continue
        m = re.compile(r"[A-Za-z_][\w']*").match(text, i)
        if m is None:
            break
        word = m.group(0)
        rest = text[m.end():]
        if word in CONTROL_PREFIXES:
            prefixes.append(word)
            i = m.end()
            continue
        if word in _ARG_PREFIXES:
            arg = _ARG_PREFIXES[word].match(rest.lstrip())
            if arg is not None:
                prefixes.append(f"{word} {arg.group(0)}")
                i = m.end() + (len(rest) - len(rest.lstrip())) + arg.end()
                continue
        if word in LOCALITY_WORDS:
            following = _tokens(rest)
            if following and (following[0] in _AFTER_LOCALITY or following[0] in LOCALITY_WORDS
                              or following[0] == "#"):
                prefixes.append(word)
                i = m.end()
                continue
        break
    body = text[i:]
    return Command(sentence, "command", tuple(prefixes), tuple(attributes), tuple(_tokens(body)), body)


__all__ = ["CONTROL_PREFIXES", "LOCALITY_WORDS", "Command", "SentenceClass", "classify"]
