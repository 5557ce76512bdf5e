"""Turn a user's item into a `Problem` a checker can take.

An item is `{"requirement_text": ...}` (alias `text`, `requirement`) or a bare
string, plus optional `id`, `backend`, `header`, `decls`, `theorem_name`,
`tactics`, `strategies`, `metadata`. The requirement is one of: a formal
statement, a whole file with exactly one open theorem (the file keeps its own
imports and decls, so `header`/`decls` cannot come with it), a library lemma name
(`Nat.add_comm`, looked up with the prover) or plain English (formalised by
an LLM, else reported `needs_llm`). Pure text logic except `lookup_coq_lemma`, which runs a sandboxed `coqc`.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scillm.integrations.certainly.checkers import lean_split
from scillm.integrations.certainly.checkers import prover_sandbox as sandbox
from scillm.integrations.certainly.checkers.faults import ProverSandboxUnavailableError
from scillm.integrations.certainly.checkers.machinery import bound_words
from scillm.integrations.certainly.checkers.sentences import split_top_colon
from scillm.integrations.certainly.checkers.split import SplitError, split_file
from scillm.integrations.certainly.checkers.verdict_text import statement_tokens, strip_strings_and_comments
from scillm.integrations.certainly.models import Backend, Problem

Kind = Literal["statement", "file", "lemma", "english", "invalid"]

COQ_DEFAULT_HEADER = "From Coq Require Import Arith Lia List Bool.\nImport ListNotations."
COQ_REALS_HEADER = "From Coq Require Import Reals Lra Lia.\nOpen Scope R_scope."
LEAN_DEFAULT_HEADER = "import Mathlib"
MAX_REQUIREMENT_CHARS = 200_000

_TEXT_KEYS = ("requirement_text", "text", "requirement")
_STRING_FIELDS = ("backend", "header", "decls", "theorem_name")
_KNOWN_KEYS = {*_TEXT_KEYS, *_STRING_FIELDS, "id", "tactics", "strategies", "metadata"}
_COQ_DECL = re.compile(r"^[ \t]*(?:Theorem|Lemma|Example|Corollary|Proposition|Fact|Remark)\s+[A-Za-z_]",
                       re.MULTILINE)
_LEAN_DECL = re.compile(r"^[ \t]*(theorem|lemma)\s+([\w.']+)\s*(.*?)(?::=|\Z)", re.MULTILINE | re.DOTALL)
_COQ_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_'.]*")
_LEAN_NAME = re.compile(r"[^\W\d][\w'.]*")
_LEMMA_NAME = re.compile(r"^[A-Za-z_][\w']*(?:\.[A-Za-z_][\w']*)*$")
_REALS_WORDS = frozenset({"R", "Rabs", "Rsqr", "sqrt", "PI", "sin", "cos", "exp", "ln"})
_REALS_SCOPE = re.compile(r"%R\b")
_ENGLISH = frozenset(
    ["the", "that", "is", "are", "of", "for", "every", "all", "any", "prove", "show", "if", "and", "number", "numbers", "sum", "its", "an", "there", "which", "than", "be", "equals", "equal", "to", "product", "greater", "less", "square", "natural", "integer", "integers", "real", "reals", "even", "odd", "prime", "whole", "positive", "negative", "divisible", "each", "some", "least", "most", "at", "when", "then", "then,", "let", "suppose", "given", "find"]
)
_ENGLISH_OPENERS = ("prove", "show", "for ", "the ", "if ", "every", "there ", "let ", "suppose", "given",
                    "a ", "an ", "any ", "no ", "two ", "find")


class NormalizedItem(BaseModel):
    """One input item, classified, with its `Problem` when it is ready to check."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: int
    item_id: str
    backend: Backend
    kind: Kind
    requirement: str = ""
    problem: Problem | None = None
    lemma_name: str | None = None
    tactics: list[str] = Field(default_factory=list)
    strategies: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    error: str | None = Field(default=None, description="Why the item cannot be used, for an `error` result.")


def looks_english(text: str) -> bool:
    """Plain-English requirement (needs an LLM to formalise), as opposed to prover syntax."""
    lowered = text.strip().lower()
    if re.match(r"^\s*(forall|exists|fun|~|\(|∀|∃|¬)", lowered):
        return False
    words = re.findall(r"[a-z]{2,}", lowered)
    english = sum(1 for w in words if w in _ENGLISH)
    symbols = len(re.findall(r"->|<->|/\\|\\/|[=<>≤≥≠∧∨→↔:%]", text))
    if lowered.startswith(_ENGLISH_OPENERS) and english >= 2:
        return True
    return english >= 3 and english >= symbols


def default_header(statement: str, backend: Backend) -> str:
    """Imports a bare statement gets: arithmetic, lists and decision procedures (reals when it uses them)."""
    if backend == "lean":
        return LEAN_DEFAULT_HEADER
    return COQ_REALS_HEADER if _uses_reals(statement) else COQ_DEFAULT_HEADER


def _uses_reals(statement: str) -> bool:
    """A real-number word the statement uses free: a variable it binds named `R` or `exp` is not the reals."""
    text = strip_strings_and_comments(statement)
    if _REALS_SCOPE.search(text):
        return True
    bound = bound_words(text)
    # whole words only: `Nat.sqrt`, `Z.sqrt` and `exp'` are not the reals' functions
    return any(ident and tok in _REALS_WORDS and tok not in bound for tok, ident in statement_tokens(text))


def _binders_to_forall(binders: str, body: str, backend: Backend) -> str:
    binders = binders.strip()
    if not binders:
        return body.strip()
    quant = "forall" if backend == "coq" else "∀"
    return f"{quant} {binders}, {body.strip()}"


def split_coq_file(text: str, theorem_name: str | None = None) -> Problem:
    """The Problem of the theorem `theorem_name` of a Coq file, or of its single open theorem when None.

    Open means its proof ends with `Admitted.` or `Abort.`, or the file ends after its statement or
    `Proof.`. Raises `SplitError` naming the theorems when none or several are open, or when the file
    cannot be cut.
    """

    return split_file(text, theorem_name).problem


def split_lean_file(text: str) -> tuple[str, str, str, str]:
    """(header, name, statement, decls) of the single open theorem of a Lean file (`checkers.lean_split`)."""
    split = lean_split.split_lean_file(text)
    parts = split_top_colon(split.signature)
    if parts is None:
        raise lean_split.LeanSplitError(f"theorem {split.name} has no `:` before its statement")
    return split.header, split.name, _binders_to_forall(parts[0], parts[1], "lean"), split.decls


def _as_list(value: object, field: str) -> list[str]:
    """A list of strings; one string is one tactic script (`rewrite A, B` has a comma), or comma-separated names."""
    if value is None:
        return []
    if isinstance(value, str):
        if field == "tactics":
            return [value] if value.strip() else []
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    got = type(value).__name__
    if isinstance(value, (list, tuple)):
        got += " holding " + next(type(v).__name__ for v in value if not isinstance(v, str))
    raise ValueError(f"`{field}` must be a list of strings (or one string), got {got}")


def _wrong_type(item: dict[Any, Any]) -> str | None:
    """Why a field of `item` has a type that field does not take, or None when every one fits."""
    value = item.get("id")
    if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
        return f"`id` must be a string or an integer, got {type(value).__name__}"
    for key in _STRING_FIELDS:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            return f"`{key}` must be a string, got {type(value).__name__}"
    value = item.get("metadata")
    if value is not None and not isinstance(value, dict):
        return f"`metadata` must be an object, got {type(value).__name__}"
    return None


def normalize_item(item: object, index: int, *, backend: Backend) -> NormalizedItem:
    """Classify one item and build its Problem; bad input gives `kind="invalid"` with `error` set.

    Every field has one type (`id` a string or an integer; the requirement, `backend`, `header`,
    `decls` and `theorem_name` strings; `tactics`/`strategies` lists of strings; `metadata` an
    object); None is a field left out, and any other value is an `error` naming the field.
    """
    item_id = f"item-{index}"
    base: dict[str, Any] = {"index": index, "item_id": item_id, "backend": backend}
    if isinstance(item, str):
        item = {"requirement_text": item}
    if not isinstance(item, dict):
        return NormalizedItem(**base, kind="invalid", error=f"item {index} must be an object or a string, "
                              f"got {type(item).__name__}")
    if isinstance(item.get("id"), str | int) and not isinstance(item.get("id"), bool):
        base["item_id"] = str(item["id"])
    key = next((k for k in _TEXT_KEYS if item.get(k) is not None), None)
    text = item[key] if key is not None else None
    unknown = sorted(set(item) - _KNOWN_KEYS, key=str)
    problem_text = None
    if unknown:
        problem_text = f"unknown item field(s) {unknown}; allowed: {sorted(_KNOWN_KEYS)}"
    elif key is not None and not isinstance(text, str):
        problem_text = f"`{key}` must be a string, got {type(text).__name__}"
    elif (wrong := _wrong_type(item)) is not None:
        problem_text = wrong
    elif not isinstance(text, str) or not text.strip():
        problem_text = "item needs a non-empty `requirement_text` (alias `text`, `requirement`)"
    elif len(text) > MAX_REQUIREMENT_CHARS:
        problem_text = f"requirement is {len(text)} characters; the limit is {MAX_REQUIREMENT_CHARS}"
    if problem_text is not None:
        return NormalizedItem(**base, kind="invalid", error=problem_text)
    assert isinstance(text, str)
    try:
        tactics = _as_list(item.get("tactics"), "tactics")
        strategies = _as_list(item.get("strategies"), "strategies")
    except ValueError as exc:
        return NormalizedItem(**base, kind="invalid", requirement=text, error=str(exc))
    metadata = item.get("metadata") or {}
    common: dict[str, Any] = {**base, "requirement": text, "tactics": tactics, "strategies": strategies, "metadata": metadata}
    return _classify(text.strip(), item, common, backend)


def _classify(text: str, item: dict[str, Any], common: dict[str, Any], backend: Backend) -> NormalizedItem:
    header = item.get("header")
    decls = item.get("decls") or ""
    name = item.get("theorem_name") or "certainly_goal"
    if not isinstance(name, str) or not (_COQ_NAME if backend == "coq" else _LEAN_NAME).fullmatch(name):
        return NormalizedItem(**common, kind="invalid", error=f"theorem_name {name!r} is not an identifier"
                              + (" (the Coq checker takes ASCII names)" if backend == "coq" else ""))
    if backend == "coq" and _COQ_DECL.search(text):
        given = [f for f in ("header", "decls") if item.get(f) is not None]
        if given:
            return NormalizedItem(**common, kind="invalid", error=(
                f"item {' and '.join(f'`{f}`' for f in given)} cannot be combined with a whole Coq file: the file "
                "keeps its own imports, scopes and definitions; put them in the file"))
        try:
            split = split_coq_file(text, item.get("theorem_name"))
        except SplitError as exc:
            return NormalizedItem(**common, kind="invalid", error=f"cannot read the Coq theorem: {exc}")
        if not split.header and not split.decls:
            # No scope is opened for a file: it means what it says without imports (`exp - 1` stays in nat).
            split = split.model_copy(update={"header": COQ_DEFAULT_HEADER})
        return NormalizedItem(**common, kind="file", problem=split)
    if backend == "lean" and _LEAN_DECL.search(text):
        try:
            lheader, lname, lstatement, ldecls = split_lean_file(text)
        except lean_split.LeanSplitError as exc:
            return NormalizedItem(**common, kind="invalid", error=f"cannot read the Lean theorem: {exc}")
        given = [f for f in ("header", "decls") if item.get(f) is not None]
        if given and (lheader or ldecls):  # a lone theorem may take them; a file keeps its own
            return NormalizedItem(**common, kind="invalid", error=(
                f"item {' and '.join(f'`{f}`' for f in given)} cannot be combined with a whole Lean file: the file "
                "keeps its own imports, options and definitions; put them in the file"))
        problem = Problem(backend="lean", header=header if isinstance(header, str) else (lheader or LEAN_DEFAULT_HEADER),
                          decls=decls or ldecls, theorem_name=lname, statement=lstatement, keyword="theorem")
        return NormalizedItem(**common, kind="file", problem=problem)
    if _LEMMA_NAME.match(text) and ("." in text or "_" in text):
        given = [f for f in ("header", "decls") if item.get(f)]
        if given:
            return NormalizedItem(**common, kind="invalid", error=(
                f"{text!r} reads as a library lemma name, which is looked up with the default imports; item "
                f"{' and '.join(f'`{f}`' for f in given)} cannot come with it (write the lemma's statement instead)"))
        return NormalizedItem(**common, kind="lemma", lemma_name=text)
    if looks_english(text):
        return NormalizedItem(**common, kind="english")
    statement = text[:-1].rstrip() if backend == "coq" and text.endswith(".") else text
    if backend == "lean" and statement.endswith(":= by"):
        statement = statement[: -len(":= by")].rstrip()
    problem = Problem(backend=backend, header=header if isinstance(header, str) else default_header(statement, backend),
                      decls=decls, theorem_name=name, statement=statement,
                      keyword="Theorem" if backend == "coq" else "theorem")
    return NormalizedItem(**common, kind="statement", problem=problem)


def with_statement(norm: NormalizedItem, statement: str, header: str | None = None) -> NormalizedItem:
    """The item with a looked-up or formalised statement turned into its Problem."""
    name = norm.lemma_name.split(".")[-1] + "_certainly" if norm.lemma_name else "certainly_goal"
    problem = Problem(backend=norm.backend, header=header if header is not None else default_header(statement, norm.backend),
                      decls="", theorem_name=name, statement=statement,
                      keyword="Theorem" if norm.backend == "coq" else "theorem")
    return norm.model_copy(update={"problem": problem})


async def lookup_coq_lemma(name: str, header: str = COQ_DEFAULT_HEADER, *, timeout_s: float = 30.0) -> str:
    """The statement of library lemma `name`, as Coq prints it (`Check @name.` in a one-off sandboxed `coqc`, so
    implicit arguments are binders, never `?x` holes).

    The header is request data, so coqc runs like every other prover: inside
    the prover sandbox, tracked for cancellation.
    Raises LookupError naming the reason when the lemma does not exist or Coq is missing.
    """
    if shutil.which("coqc") is None:
        raise LookupError("coqc is not on PATH (apt-get install coq)")
    if not _LEMMA_NAME.match(name):
        raise LookupError(f"{name!r} is not a Coq identifier")
    return await asyncio.to_thread(_lookup, name, header, timeout_s)


def _lookup(name: str, header: str, timeout_s: float) -> str:
    with tempfile.TemporaryDirectory(prefix="certainly-lookup-") as tmp:
        # a lemma is a proof of a proposition: `Nat.add` (a function) has no statement to prove
        is_prop = f"Definition scillm_lemma_statement : Prop := ltac:(let t := type of @{name} in exact t).\n"
        (Path(tmp) / "Lookup.v").write_text(f"{header}\nSet Printing Width 100000.\nCheck @{name}.\n{is_prop}",
                                            encoding="utf-8")
        try:
            cmd = sandbox.launch(["coqc", "-q", "Lookup.v"], sandbox.Mounts(scratch=tmp))
        except ProverSandboxUnavailableError as exc:
            raise LookupError(str(exc)) from exc
        run = sandbox.run(cmd, timeout_s=timeout_s)
    if run.timed_out:
        raise LookupError(f"looking up {name} timed out after {timeout_s:g} s")
    if run.rc != 0:
        if f"line {len(header.split(chr(10))) + 3}," in run.err:  # the `Definition` after header, Set and Check
            raise LookupError(f"{name} is not a lemma: its type is not a proposition")
        raise LookupError(f"Coq does not know {name}: {' '.join(run.err.split())[-300:]}")
    m = re.search(r"^\s*:\s*(.*)", run.out, re.MULTILINE | re.DOTALL)
    if m is None:
        raise LookupError(f"could not read the statement of {name} from Coq's answer {run.out[:200]!r}")
    return " ".join(m.group(1).split())


__all__ = [
    "COQ_DEFAULT_HEADER",
    "NormalizedItem",
    "default_header",
    "looks_english",
    "lookup_coq_lemma",
    "normalize_item",
    "split_coq_file",
    "split_lean_file",
    "with_statement",
]
