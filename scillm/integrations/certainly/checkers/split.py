"""Cut a whole Coq file into header, decls, statement and proof.

Benchmark data (miniF2F and the like) comes as `.v` files; checkers want a
`Problem` and a proof body. The header is the leading run of import/scope/
option sentences (what a warm session loads once); everything else before the
theorem is decls; the theorem's binders become a `forall`; the proof runs
from after the statement to its closing `Qed.`/`Defined.`/`Admitted.`/`Abort.`
(so a file whose proof is `Admitted.` is rejected, as it must be), or to the
end of the file when there is no closer (statement-only files end `Proof.`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scillm.integrations.certainly.checkers.coq_candidate import THEOREM_KEYWORDS
from scillm.integrations.certainly.checkers.sentences import (
    LexError,
    Sentence,
    split_sentences,
    strip_comments,
)
from scillm.integrations.certainly.models import CheckResult, Problem

_HEADER_WORDS = frozenset({"Require", "From", "Import", "Export", "Open", "Set", "Unset", "Declare", "Local", "Global"})
_CLOSERS = frozenset({"Qed.", "Defined.", "Admitted.", "Abort.", "Save."})


class SplitError(ValueError):
    """The file has no theorem of that name, or cannot be lexed."""


@dataclass(frozen=True)
class SplitFile:
    """A file cut into a `Problem` and the proof text written for it."""

    problem: Problem
    proof: str
    proof_line: int


def _words(s: Sentence) -> list[str]:
    return strip_comments(s.text).split()


def _theorem_parts(text: str) -> tuple[str, str, str] | None:
    """(keyword, name, rest after the name) of a theorem-like sentence."""
    m = re.match(r"\s*(?:#\[[^\]]*\]\s*)*(?:Local\s+|Global\s+)?([A-Z][a-z]+)\s+([A-Za-z_][\w']*)", text)
    if not m or m.group(1) not in THEOREM_KEYWORDS:
        return None
    return m.group(1), m.group(2), text[m.end():]


def _statement(rest: str) -> str:
    """`binders : P.` -> `forall binders, P`; `: P.` -> `P`."""
    body = rest.strip()
    if body.endswith("."):
        body = body[:-1].rstrip()
    depth = 0
    for i, c in enumerate(body):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == ":" and depth == 0 and body[i + 1: i + 2] != "=":
            binders, prop = body[:i].strip(), body[i + 1:].strip()
            return f"forall {binders}, {prop}" if binders else prop
    raise SplitError("theorem has no ':' before its statement")


def split_file(text: str, theorem_name: str | None = None) -> SplitFile:
    """Cut `text`; `theorem_name=None` takes the first theorem-like sentence."""
    if not isinstance(text, str) or not text.strip():
        raise SplitError("file text is empty or not a string")
    try:
        sentences = split_sentences(text)
    except LexError as exc:
        raise SplitError(f"cannot lex the file: {exc}") from exc
    idx = None
    for i, s in enumerate(sentences):
        parts = _theorem_parts(strip_comments(s.text))
        if parts and (theorem_name is None or parts[1] == theorem_name):
            idx = i
            break
    if idx is None:
        raise SplitError(f"no theorem named {theorem_name!r} in the file" if theorem_name else "no theorem in the file")
    keyword, name, rest = _theorem_parts(strip_comments(sentences[idx].text)) or ("", "", "")
    statement = _statement(rest)
    before = sentences[:idx]
    n_header = 0
    while n_header < len(before) and (_words(before[n_header]) or [""])[0] in _HEADER_WORDS:
        n_header += 1
    header = "\n".join(s.text for s in before[:n_header])
    decls = "\n".join(s.text for s in before[n_header:])
    end = None
    for j in range(idx + 1, len(sentences)):
        if " ".join(_words(sentences[j])) in _CLOSERS:
            end = j
            break
    body = sentences[idx + 1: len(sentences) if end is None else end + 1]
    if body:
        start, stop, line = body[0].offset, body[-1].offset + len(body[-1].text), body[0].line
    else:
        start = stop = len(text)
        line = sentences[idx].line + sentences[idx].text.count("\n") + 1
    problem = Problem(backend="coq", header=header, decls=decls, theorem_name=name, statement=statement, keyword=keyword)
    return SplitFile(problem=problem, proof=text[start:stop], proof_line=line)


async def check_file(text: str, theorem_name: str | None = None, *, checker: object | None = None,
                     timeout_ms: int | None = None, confirm: bool = True) -> CheckResult:
    """Check the proof written in a whole file; a file that cannot be cut is a `failed` parse_error."""
    from scillm.integrations.certainly.checkers import get_checker
    from scillm.integrations.certainly.checkers.base import Checker
    from scillm.integrations.certainly.checkers.coq_candidate import verdict
    from scillm.integrations.certainly.models import CheckerInfo

    try:
        part = split_file(text, theorem_name)
    except SplitError as exc:
        return verdict("failed", "parse_error", str(exc), CheckerInfo(name="coq"))
    chk = checker if isinstance(checker, Checker) else get_checker("coq")
    try:
        return await chk.check(part.problem, part.proof, timeout_ms=timeout_ms, confirm=confirm)
    finally:
        if chk is not checker:
            await chk.aclose()


__all__ = ["SplitError", "SplitFile", "check_file", "split_file"]
