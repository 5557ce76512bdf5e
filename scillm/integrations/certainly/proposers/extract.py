"""Pure text logic: turn an LLM reply into a bare proof body, and normalise proofs for dedupe.

Models answer with prose, code fences, a restated theorem and `Proof.`/`Qed.`
around the tactics; the checker wants only the body. Nothing here calls a
prover or a model, so it is tested alone.
"""

from __future__ import annotations

import re

from scillm.integrations.certainly.checkers.lean_tokens import tokenize
from scillm.integrations.certainly.models import Backend

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_COQ_DECL = re.compile(
    r"^\s*(?:Theorem|Lemma|Example|Corollary|Proposition|Fact|Remark|Goal)\b.*?(?:\.\s*$|\.\s+(?=Proof\b))",
    re.DOTALL | re.MULTILINE,
)
_COQ_PROOF_OPEN = re.compile(r"^\s*Proof(?:\s+using[^.]*)?\s*\.", re.MULTILINE)
_COQ_PROOF_CLOSE = re.compile(r"\b(?:Qed|Defined|Admitted|Save)\s*\.\s*$", re.DOTALL)
_LEAN_DECL = re.compile(r"^\s*(?:theorem|lemma|example)\b.*?:=\s*(?:by\b)?", re.DOTALL)
_COQ_TACTIC_START = re.compile(r"^\s*(?:[a-z_]|[-+*]+\s|[{}]|\d+\s*:|all\s*:|\[)")
_COQ_COMMENT = re.compile(r"\(\*.*?\*\)", re.DOTALL)

_COQ_LANGS = {"coq", "rocq", "v", "gallina", "ltac"}
_LEAN_LANGS = {"lean", "lean4"}


def _fenced_blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]


def _pick_block(text: str, backend: Backend) -> str:
    blocks = _fenced_blocks(text)
    if not blocks:
        return text
    wanted = _COQ_LANGS if backend == "coq" else _LEAN_LANGS
    tagged = [body for lang, body in blocks if lang in wanted]
    pool = tagged or [body for _, body in blocks]
    with_proof = [b for b in pool if re.search(r"\bProof\b|\bby\b|\.\s*$", b)]
    return (with_proof or pool)[-1]


def _coq_body(block: str) -> str:
    opened = _COQ_PROOF_OPEN.search(block)
    if opened is not None:
        block = block[opened.end():]
    else:
        decl = _COQ_DECL.search(block)
        if decl is not None:
            block = block[decl.end():]
    block = _COQ_PROOF_CLOSE.sub("", block.rstrip())
    lines = block.strip("\n").splitlines()
    if opened is None:
        lines = _drop_prose(lines)
    return "\n".join(lines).strip()


def _drop_prose(lines: list[str]) -> list[str]:
    """Keep the contiguous tactic run; prose lines (capitalised sentences) around it go."""
    kept: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if kept:
                kept.append(line)
            continue
        if _COQ_TACTIC_START.match(line) or (kept and line[:1].isspace()):
            kept.append(line)
        elif kept:
            break
    while kept and not kept[-1].strip():
        kept.pop()
    return kept


def _lean_body(block: str) -> str:
    decl = _LEAN_DECL.search(block)
    if decl is not None:
        block = block[decl.end():]
    block = block.strip("\n")
    if block.lstrip().startswith("by"):
        block = block.lstrip()[2:]
    lines = [ln for ln in block.splitlines() if ln.strip()]
    if not lines:
        return ""
    indent = min(len(ln) - len(ln.lstrip()) for ln in lines)
    return "\n".join(ln[indent:] for ln in lines).strip()


def extract_proof(text: str, backend: Backend = "coq") -> str:
    """The proof body inside an LLM reply: fences, prose, theorem header and `Proof.`/`Qed.` removed."""
    if not isinstance(text, str):
        return ""
    block = _pick_block(text.replace("\r\n", "\n"), backend)
    return _coq_body(block) if backend == "coq" else _lean_body(block)


def extract_statement(text: str, backend: Backend = "coq") -> str:
    """The proposition inside an LLM formalisation reply (`Theorem x : P.` or bare `P`)."""
    block = _pick_block(text.replace("\r\n", "\n"), backend).strip()
    if backend == "coq":
        block = _COQ_PROOF_OPEN.split(block)[0].strip()
        m = re.match(r"(?:Theorem|Lemma|Example|Corollary|Proposition|Fact|Remark)\s+[\w']+\s*:(.*)$",
                     block, re.DOTALL)
        if m is not None:
            block = m.group(1)
        return block.strip().rstrip(".").strip()
    m = re.match(r"(?:theorem|lemma)\s+[\w.']+\s*(.*?)\s*:=", block, re.DOTALL)
    if m is not None:
        block = m.group(1)
        return block[1:].strip() if block.startswith(":") else block
    return block.split(":=")[0].strip()


def _lean_without_comments(proof: str) -> str:
    """The proof with each comment replaced by a space, comments found by the Lean tokenizer (nested, as Lean ends them)."""
    parts, at = [], 0
    for tok in tokenize(proof).tokens:
        if tok.kind == "comment":
            parts += [proof[at:tok.start], " "]
            at = tok.end
    return "".join([*parts, proof[at:]])


def proof_key(proof: str, backend: Backend = "coq") -> str:
    """A canonical form for dedupe: comments dropped, whitespace collapsed, final period ensured (Coq)."""
    text = _COQ_COMMENT.sub(" ", proof) if backend == "coq" else _lean_without_comments(proof)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s*([;.])", r"\1", text) if backend == "coq" else text
    if backend == "coq" and text and not text.endswith("."):
        text += "."
    return text


__all__ = ["extract_proof", "extract_statement", "proof_key"]
