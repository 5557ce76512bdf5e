"""What a Coq candidate may contain, and which axioms a proof may lean on.

Two layers, both needed (see `../shared/notes/coq-checking.md`):

* a whitelist on proof sentences: only tactic sentences (a lowercase tactic
  word, optionally after a goal selector, a bullet, a brace) reach coqtop, and
  a few tactic words (`admit`, `give_up`, the `*_no_check` family) are refused
  anywhere in a sentence; every vernacular command in a proof is refused;
* a blacklist on the header and decls: commands that add axioms, weaken the
  kernel, load code, or move the session's state are refused;
* text that imitates coqtop's output markup (`<prompt>`, `<infomsg>`) is
  refused anywhere, so printed strings cannot fake the reply framing.

The axiom policy (`axiom_allowed`) keeps exactly the axioms that live in a
library the header itself loaded. Lean rules live in the Lean backend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scillm.integrations.certainly.checkers.sentences import Sentence, strip_comments, words_outside_strings

FORBIDDEN_TACTIC_WORDS = frozenset(
    {
        "admit",
        "give_up",
        "exact_no_check",
        "vm_cast_no_check",
        "native_cast_no_check",
        "change_no_check",
        "Admitted",
        "Abort",
    }
)

# First words of vernacular commands refused in header and decls.
FORBIDDEN_COMMANDS = frozenset(
    {
        "Axiom",
        "Axioms",
        "Parameter",
        "Parameters",
        "Hypothesis",
        "Hypotheses",
        "Variable",
        "Variables",
        "Conjecture",
        "Context",
        "Admitted",
        "Abort",
        "Admit",
        "Primitive",
        "Register",
        "Load",
        "Cd",
        "Drop",
        "Back",
        "BackTo",
        "Reset",
        "Undo",
        "Restart",
        "Redirect",
        "Quit",
        "Extraction",
        "Recursive",
        "Separate",
    }
)

_KERNEL_FLAG = re.compile(r"\b(?:Guard|Positivity|Universe)\s+Checking\b|\bbypass_check\b|\bTyping\s+Flags\b")
_LOADING = re.compile(r"^\s*(?:Declare\s+(?:ML\s+)?Module|Add\s+(?:Rec\s+)?(?:LoadPath|ML\s+Path))\b")
_TIMEOUT_FLAG = re.compile(r"\bDefault\s+(?:Timeout|Proof\s+Mode)\b")
_ATTRIBUTES = re.compile(r"^\s*(?:#\[[^\]]*\]\s*)+")
_LOCALITY = frozenset({"Local", "Global", "Export", "Polymorphic", "Monomorphic", "Program",
                       "Cumulative", "NonCumulative", "Private"})
_SELECTOR = re.compile(r"^\s*(?:all|par|!|\d+(?:\s*-\s*\d+)?(?:\s*,\s*\d+(?:\s*-\s*\d+)?)*|\[[A-Za-z_][\w']*\])\s*:\s*")
_TACTIC_START = re.compile(r"^[a-z_][\w']*|^[(\[]")
_CHANNEL_MARKUP = re.compile(r"</?\s*(?:prompt|infomsg|warning)\b", re.I)
_PROOF_OPENERS = frozenset({"Proof."})
_PROOF_CLOSERS = frozenset({"Qed.", "Defined."})


@dataclass(frozen=True)
class Violation:
    """Why a sentence is refused, and which one."""

    reason: str
    sentence: Sentence


def _first_word(text: str) -> str:
    body = _ATTRIBUTES.sub("", strip_comments(text)).lstrip()
    words = body.split()
    while words and words[0] in _LOCALITY:
        words = words[1:]
    if not words:
        return ""
    m = re.match(r"[A-Za-z_][\w']*|\S", words[0])
    return m.group(0) if m else ""


def trim_proof_frame(sentences: list[Sentence]) -> list[Sentence]:
    """Drop a leading `Proof.` and a final `Qed.`/`Defined.` that candidates often repeat."""
    out = list(sentences)
    if out and out[0].kind == "command" and " ".join(strip_comments(out[0].text).split()) in _PROOF_OPENERS:
        out = out[1:]
    if out and out[-1].kind == "command" and " ".join(strip_comments(out[-1].text).split()) in _PROOF_CLOSERS:
        out = out[:-1]
    return out


def check_proof_sentences(sentences: list[Sentence]) -> Violation | None:
    """First proof sentence that is not a plain tactic sentence, if any."""
    for s in sentences:
        if s.kind != "command":
            continue
        if _CHANNEL_MARKUP.search(s.text):
            return Violation("coqtop output markup in the proof", s)
        words = set(words_outside_strings(s.text))
        bad = sorted(words & FORBIDDEN_TACTIC_WORDS)
        if bad:
            return Violation(f"forbidden tactic or command `{bad[0]}` in the proof", s)
        body = _SELECTOR.sub("", strip_comments(s.text).lstrip(), count=1)
        if not _TACTIC_START.match(body):
            word = _first_word(s.text) or body[:20]
            return Violation(f"`{word}` is not a tactic; proofs may only contain tactic sentences", s)
    return None


def check_vernacular(sentences: list[Sentence], where: str) -> Violation | None:
    """First header/decls sentence that adds an axiom, weakens the kernel or moves the session."""
    for s in sentences:
        if s.kind != "command":
            continue
        text = strip_comments(s.text)
        if _CHANNEL_MARKUP.search(s.text):
            return Violation(f"coqtop output markup in {where}", s)
        if _KERNEL_FLAG.search(text):
            return Violation(f"kernel-weakening flag in {where}", s)
        if _TIMEOUT_FLAG.search(text):
            return Violation(f"session option changed in {where}", s)
        if _LOADING.match(_ATTRIBUTES.sub("", text)):
            return Violation(f"loading code or paths is not allowed in {where}", s)
        word = _first_word(s.text)
        if word in FORBIDDEN_COMMANDS:
            return Violation(f"`{word}` is not allowed in {where}", s)
        bad = sorted(set(words_outside_strings(s.text)) & {"admit", "give_up", "Admitted"})
        if bad:
            return Violation(f"`{bad[0]}` is not allowed in {where}", s)
    return None


def library_of(path: str, loaded: frozenset[str]) -> str | None:
    """The longest loaded library that is a prefix of the qualified name `path`."""
    parts = path.split(".")
    for k in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:k])
        if prefix in loaded:
            return prefix
    return None


def axiom_allowed(path: str, header_libraries: frozenset[str]) -> bool:
    """An axiom is allowed exactly when it is declared in a library the header loaded."""
    return library_of(path, header_libraries) is not None


__all__ = [
    "FORBIDDEN_COMMANDS",
    "FORBIDDEN_TACTIC_WORDS",
    "Violation",
    "axiom_allowed",
    "check_proof_sentences",
    "check_vernacular",
    "library_of",
    "trim_proof_frame",
]
