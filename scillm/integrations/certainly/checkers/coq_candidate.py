"""Validate a Coq problem and proof, and assemble the sentences a checker sends.

Everything that can be decided without a prover is decided here, the same
way for the warm and the cold checker: input types and sizes, lexing, the
statement being exactly one sentence, and the soundness whitelist/blacklist.
A bad input becomes a `CheckResult` with its own status and message; nothing
here raises for a user's input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scillm.integrations.certainly.checkers.sentences import LexError, Sentence, split_sentences
from scillm.integrations.certainly.checkers.soundness import (
    check_proof_sentences,
    check_vernacular,
    trim_proof_frame,
)
from scillm.integrations.certainly.models import (
    CheckerInfo,
    CheckResult,
    CheckStatus,
    ErrorClass,
    Message,
    Problem,
)

MAX_PROOF_CHARS = 200_000
MAX_STATEMENT_CHARS = 50_000
MAX_CONTEXT_CHARS = 500_000
THEOREM_KEYWORDS = frozenset(
    {"Theorem", "Lemma", "Fact", "Remark", "Corollary", "Proposition", "Property", "Example"}
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_']*\Z")


@dataclass(frozen=True)
class Candidate:
    """A validated problem and proof, ready to send."""

    problem: Problem
    decls: list[Sentence]
    theorem: str
    proof: list[Sentence]
    source: str = ""

    @property
    def name(self) -> str:
        return self.problem.theorem_name

    def lines(self) -> list[str]:
        """Sentences after the header, one per line: decls, statement, `Proof.`, tactics, `Qed.`."""
        return [*(s.text for s in self.decls), self.theorem, "Proof.", *(s.text for s in self.proof), "Qed."]

    def code(self) -> str:
        """The whole source checked, so `coqc` can re-check it."""
        parts = [self.problem.header.strip(), self.problem.decls.strip(), self.theorem, "Proof."]
        parts += [s.text for s in self.proof]
        parts.append("Qed.")
        return "\n".join(p for p in parts if p) + "\n"

    def confirm_lines(self) -> list[str]:
        return [f"Print Assumptions {self.name}.", f"Check ({self.name} : ({self.problem.statement}))."]


def verdict(
    status: CheckStatus,
    error_class: ErrorClass | None,
    text: str,
    info: CheckerInfo,
    *,
    line: int | None = None,
    column: int | None = None,
    code: str = "",
    time_ms: float = 0.0,
) -> CheckResult:
    """A not-proved result with one error message."""
    msg = Message(severity="error", text=text, line=line, column=column)
    return CheckResult(
        ok=False, status=status, error_class=error_class, messages=[msg], checker=info, code=code, time_ms=time_ms
    )


def _text_problem(value: object, what: str, limit: int, *, allow_empty: bool) -> str | None:
    """Why `value` is not acceptable text, or None."""
    if not isinstance(value, str):
        return f"{what} must be a string, got {type(value).__name__}"
    if not allow_empty and not value.strip():
        return f"{what} is empty"
    if len(value) > limit:
        return f"{what} is {len(value)} characters; the limit is {limit}"
    if "\x00" in value:
        return f"{what} contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"{what} is not valid UTF-8 text"
    return None


def prepare(problem: object, proof: object, info: CheckerInfo) -> Candidate | CheckResult:
    """A `Candidate`, or the verdict for an input that never needs a prover."""
    if not isinstance(problem, Problem):
        return verdict("failed", "parse_error", f"problem must be a Problem, got {type(problem).__name__}", info)
    if isinstance(proof, (bytes, bytearray)):
        try:
            proof = bytes(proof).decode("utf-8")
        except UnicodeDecodeError:
            return verdict("failed", "parse_error", "proof is not valid UTF-8", info)
    checks = [
        _text_problem(proof, "proof", MAX_PROOF_CHARS, allow_empty=False),
        _text_problem(problem.statement, "statement", MAX_STATEMENT_CHARS, allow_empty=False),
        _text_problem(problem.header, "header", MAX_CONTEXT_CHARS, allow_empty=True),
        _text_problem(problem.decls, "decls", MAX_CONTEXT_CHARS, allow_empty=True),
    ]
    bad = next((c for c in checks if c), None)
    if bad or not isinstance(proof, str):
        return verdict("failed", "parse_error", bad or "proof must be a string", info)
    if not _IDENT.match(problem.theorem_name):
        return verdict("failed", "parse_error", f"theorem name {problem.theorem_name!r} is not a Coq identifier", info)
    if problem.keyword not in THEOREM_KEYWORDS:
        return verdict("failed", "parse_error", f"keyword {problem.keyword!r} is not one of {sorted(THEOREM_KEYWORDS)}", info)
    theorem = f"{problem.keyword} {problem.theorem_name} : {problem.statement.strip()}."
    grammar = f"{problem.header}\n{problem.decls}"  # where notations declare the tokens the lexer must know
    try:
        header = split_sentences(problem.header, grammar=grammar)
        decls = split_sentences(problem.decls, grammar=grammar)
        stmt = split_sentences(theorem, grammar=grammar)
    except LexError as exc:
        return verdict("failed", "parse_error", f"header, decls or statement: {exc}", info)
    if len(stmt) != 1 or stmt[0].kind != "command":
        return verdict("failed", "parse_error", "statement must be one proposition, without '.' ending it early", info)
    try:
        sentences = split_sentences(proof, grammar=grammar)
    except LexError as exc:
        return verdict("failed", "parse_error", f"proof: {exc.reason}", info, line=exc.line, column=exc.column)
    sentences = trim_proof_frame(sentences)
    for part, where in ((header, "header"), (decls, "decls")):
        v = check_vernacular(part, where)
        if v is not None:
            return verdict("rejected", "forbidden", f"{v.reason}: {v.sentence.text[:200]}", info)
    v = check_proof_sentences(sentences)
    if v is not None:
        return verdict(
            "rejected", "forbidden", v.reason, info, line=v.sentence.line, column=v.sentence.column
        )
    if not sentences:
        return verdict("failed", "parse_error", "proof has no tactic", info)
    return Candidate(problem=problem, decls=decls, theorem=theorem, proof=sentences, source=proof)


__all__ = ["MAX_PROOF_CHARS", "THEOREM_KEYWORDS", "Candidate", "prepare", "verdict"]
