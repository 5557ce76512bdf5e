"""Cut a whole Coq file into header, decls, statement and proof.

Benchmark data (miniF2F and the like) and clients send whole `.v` files. The
theorem to prove is the one left OPEN: its proof ends with `Admitted.` or
`Abort.`, or the file ends after its statement or `Proof.`. Theorems already
closed with `Qed.`/`Defined.` are context, not targets (a closed `warmup :
True` must not stand in for an open `main : 1 = 2`); none or several open is
an error that names them. Everything before the target is kept exactly as the
file wrote it, in order: the header is its leading run of imports, scopes and
harmless options (what a warm session loads once), the rest is decls. The
target's binders become a `forall`; its proof runs to its closer (so a file
whose proof is `Admitted.` is rejected by the checker, as it must be). After the
target only theorems closed with `Qed.`/`Defined.` may follow, unless the
caller names the target: an open `Goal` or a prefixed theorem there would
be a target this reader cannot see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scillm.integrations.certainly.checkers.base import Checker
from scillm.integrations.certainly.checkers.coq_candidate import THEOREM_KEYWORDS, verdict
from scillm.integrations.certainly.checkers.factory import get_checker
from scillm.integrations.certainly.checkers.sentences import (
    LexError,
    Sentence,
    split_sentences,
    split_top_colon,
    strip_comments,
)
from scillm.integrations.certainly.checkers.soundness import check_header
from scillm.integrations.certainly.checkers.vernac import LOCALITY_WORDS, classify
from scillm.integrations.certainly.models import CheckerInfo, CheckResult, Problem

_CLOSERS = frozenset({"Qed", "Defined", "Save"})
_OPENERS_LEFT = frozenset({"Admitted", "Abort"})


def _ender(sentence: Sentence) -> str | None:
    """"closed" or "open" when the sentence ends a proof, else None.

    Over-read on purpose: any prefix, attribute or locality word (`Time Qed.`, `#[local] Qed.`, `Fail Admitted.`)
    and `Proof <term>.` count, so a proof never seems to run on and swallow a later `Admitted.` that ends a
    proof this reader does not take.
    """
    cmd = classify(sentence)
    words = [w for w in cmd.words if w != "."]
    while words and words[0] in LOCALITY_WORDS:
        words = words[1:]
    if cmd.kind != "command" or not words:
        return None
    closes = words[0] in _CLOSERS or (words[0] == "Proof" and len(words) > 1 and words[1] not in ("using", "with"))
    if not closes:
        return "open" if words[0] in _OPENERS_LEFT else None
    # `Fail Qed.` and `Succeed Qed.` end nothing in Coq: the proof they stand in stays open
    return "open" if {"Fail", "Succeed"} & set(cmd.prefixes) else "closed"


class SplitError(ValueError):
    """The file has no theorem to take (none or several open, or none of that name), or cannot be lexed."""


@dataclass(frozen=True)
class SplitFile:
    """A file cut into a `Problem` and the proof text written for it."""

    problem: Problem
    proof: str
    proof_line: int


@dataclass(frozen=True)
class TheoremSpan:
    """Where one theorem's statement is, and how its proof ends (`closed`, `open`)."""

    index: int
    name: str
    closer: int | None
    closed: bool


def _norm(s: Sentence) -> str:
    return " ".join(strip_comments(s.text).split())


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
    parts = split_top_colon(body)
    if parts is None:
        raise SplitError("theorem has no ':' before its statement")
    binders, prop = parts[0].strip(), parts[1].strip()
    return f"forall {binders}, {prop}" if binders else prop


def theorem_spans(sentences: list[Sentence]) -> list[TheoremSpan]:
    """Every theorem-like sentence with the sentence that closes its proof (None: runs to the end)."""
    starts = [i for i, s in enumerate(sentences) if _theorem_parts(strip_comments(s.text))]
    spans: list[TheoremSpan] = []
    for k, i in enumerate(starts):
        limit = starts[k + 1] if k + 1 < len(starts) else len(sentences)
        closer, closed = None, False
        for j in range(i + 1, limit):
            end = _ender(sentences[j])
            if end is not None:
                closer, closed = j, end == "closed"
                break
        parts = _theorem_parts(strip_comments(sentences[i].text))
        assert parts is not None
        spans.append(TheoremSpan(index=i, name=parts[1], closer=closer, closed=closed))
    return spans


def _choose(spans: list[TheoremSpan], theorem_name: str | None, sentences: list[Sentence]) -> TheoremSpan:
    if not spans:
        raise SplitError("no theorem in the file (expected `Theorem name : statement.`)")
    # Every `Admitted.`/`Abort.` must end a theorem read here: one that ends a `Goal`, a proof-mode `Definition`
    # or a `Polymorphic Theorem` would be an open target this reader cannot see.
    ends = {t.closer for t in spans if not t.closed}
    for i, sentence in enumerate(sentences):
        if _ender(sentence) == "open" and i not in ends:
            raise SplitError(f"`{_norm(sentence)}` on line {sentence.line} ends a proof this reader does not take "
                             "as a theorem (a `Goal`, a proof-mode definition, a prefixed or non-ASCII name); "
                             "state the target as `Theorem name : statement.`")
    if theorem_name is not None:
        named = [t for t in spans if t.name == theorem_name]
        if not named:
            raise SplitError(f"no theorem named {theorem_name!r} in the file (found: "
                             f"{', '.join(t.name for t in spans)})")
        if len(named) > 1:
            raise SplitError(f"several theorems are named {theorem_name!r} (lines "
                             f"{', '.join(str(sentences[t.index].line) for t in named)}); Coq takes none of them")
        return named[0]
    open_ = [t for t in spans if not t.closed]
    if len(open_) == 1:
        return open_[0]
    if not open_:
        last = spans[0].closer
        if len(spans) == 1 and last is not None and all(not _norm(x) for x in sentences[last + 1:]):
            return spans[0]  # the file is one closed theorem: it is the target
        raise SplitError(f"no open theorem: {', '.join(t.name for t in spans)} are all closed with Qed/Defined; "
                         "leave the one to prove open (end it with `Admitted.`, or end the file after `Proof.`)")
    raise SplitError(f"several open theorems: {', '.join(t.name for t in open_)}; leave exactly one open "
                     "(close the others with a proof and `Qed.`)")


def split_file(text: str, theorem_name: str | None = None) -> SplitFile:
    """Cut `text` at the theorem named `theorem_name`, or at the single open theorem when None."""
    if not isinstance(text, str) or not text.strip():
        raise SplitError("file text is empty or not a string")
    try:
        sentences = split_sentences(text)
    except LexError as exc:
        raise SplitError(f"cannot lex the file: {exc}") from exc
    spans = theorem_spans(sentences)
    target = _choose(spans, theorem_name, sentences)
    idx = target.index
    keyword, name, rest = _theorem_parts(strip_comments(sentences[idx].text)) or ("", "", "")
    statement = _statement(rest)
    before = sentences[:idx]
    opened = _open_blocks(before)
    if opened:
        raise SplitError(f"theorem {name!r} is inside {opened[-1]} that the file has not closed; a target inside a "
                         "Module or Section is not supported (move it to the top level)")
    _only_a_proof_inside(target, sentences)
    if theorem_name is None:  # a named target is the caller's choice among the file's open proofs
        _nothing_open_after(target, spans, sentences)
    n_header = 0
    while n_header < len(before) and check_header([before[n_header]]) is None:
        n_header += 1
    header = _source(text, before[:n_header])
    decls = _source(text, before[n_header:])
    body = sentences[idx + 1: len(sentences) if target.closer is None else target.closer + 1]
    if body:
        start, stop, line = body[0].offset, body[-1].offset + len(body[-1].text), body[0].line
    else:
        start = stop = len(text)
        line = sentences[idx].line + sentences[idx].text.count("\n") + 1
    problem = Problem(backend="coq", header=header, decls=decls, theorem_name=name, statement=statement, keyword=keyword)
    return SplitFile(problem=problem, proof=text[start:stop], proof_line=line)


def _only_a_proof_inside(target: TheoremSpan, sentences: list[Sentence]) -> None:
    """Refuse a command inside the target's proof (other than `Proof`): a `Goal` or `Definition main : 1 = 2.`
    there opens a proof this reader cannot see, and a target that runs to the end of the file would take it."""
    stop = len(sentences) if target.closer is None else target.closer
    for sentence in sentences[target.index + 1: stop]:
        cmd = classify(sentence)
        if cmd.kind == "command" and cmd.head != "Proof":
            raise SplitError(f"`{_norm(sentence)[:60]}` on line {sentence.line} is a command inside the proof of "
                             f"{target.name!r}; a proof holds tactics only (close it before other commands)")


def _nothing_open_after(target: TheoremSpan, spans: list[TheoremSpan], sentences: list[Sentence]) -> None:
    """Refuse a file that goes on after the target with more than theorems closed by `Qed.`/`Defined.`.

    The text after the target is not checked, so it may hold only what cannot be another open target; a
    `Goal`, a `Polymorphic Theorem` or a proof-mode `Definition` left open there is one this reader cannot see.
    """
    start = len(sentences) if target.closer is None else target.closer + 1
    closed = {i for t in spans if t.closed and t.closer is not None and t.index >= start
              for i in range(t.index, t.closer + 1)}
    extra = next((s for i, s in enumerate(sentences[start:], start) if _norm(s) and i not in closed), None)
    if extra is not None:
        raise SplitError(f"the file goes on after the target {target.name!r} with `{_norm(extra)[:60]}` on line "
                         f"{extra.line}, which is not a theorem closed with `Qed.`; only closed theorems may follow "
                         "the target (move the rest before it)")


def _open_blocks(sentences: list[Sentence]) -> list[str]:
    """The `Module`/`Section` blocks still open after `sentences` (a `Module X := ...` opens none)."""
    stack: list[str] = []
    for s in sentences:
        words = _norm(s).rstrip(".").split()
        while words and (words[0] in ("Local", "Global") or words[0].startswith("#[")):
            words = words[1:]
        if words[:1] == ["Section"] and len(words) > 1:
            stack.append(f"Section {words[1]}")
        elif words[:1] == ["Module"] and (":=" not in words or "with" in words):
            rest = [w for w in words[1:] if w not in ("Type", "Import", "Export")]
            stack.append(f"Module {rest[0] if rest else ''}".rstrip())
        elif words[:1] == ["End"] and stack:
            stack.pop()
    return stack


def _source(text: str, sentences: list[Sentence]) -> str:
    """The file's own text from the first to the last of `sentences` (comments between them kept)."""
    if not sentences:
        return ""
    return text[sentences[0].offset: sentences[-1].offset + len(sentences[-1].text)]


async def check_file(text: str, theorem_name: str | None = None, *, checker: object | None = None,
                     timeout_ms: int | None = None, confirm: bool = True) -> CheckResult:
    """Check the proof written in a whole file; a file that cannot be cut is a `failed` parse_error."""

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


__all__ = ["SplitError", "SplitFile", "TheoremSpan", "check_file", "split_file", "theorem_spans"]
