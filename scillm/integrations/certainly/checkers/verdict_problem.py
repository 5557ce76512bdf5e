"""`Problem.v` of the independent verdict: compiled once per problem, kept in a private directory.

The file holds the header, the statement elaborated with the header alone
(`scillm_plain`, None when it needs the decls), the decls, the statement
elaborated with header and decls (`scillm_statement`), and `scillm_same`,
which only type-checks when the two readings are convertible. `Locate` of
every name and symbol of the statement is printed before and after the
decls: when the statement needs the decls, a name or notation that the
header already gives a meaning must keep it. An interrupted compile (timeout,
cancellation, killed process) is never kept, so it cannot poison a later one.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Literal

from scillm.integrations.certainly.checkers import prover_sandbox as sandbox
from scillm.integrations.certainly.checkers import verdict_general as general
from scillm.integrations.certainly.checkers import verdict_text as vt
from scillm.integrations.certainly.checkers.coq_session import CoqBinaries
from scillm.integrations.certainly.checkers.decls_scopes import ScopeUse, scope_use, scope_violation
from scillm.integrations.certainly.checkers.decls_tokens import notation_terminals, pieces, relexed
from scillm.integrations.certainly.checkers.diagnostics import missing_library
from scillm.integrations.certainly.checkers.machinery import (
    REGISTRY_QUERIES,
    bound_words,
    changed_instances,
    inserted_machinery,
    read_registry,
    unnamed_machinery,
)
from scillm.integrations.certainly.checkers.meaning import abbreviations, scoping_refusal, top_level_names
from scillm.integrations.certainly.checkers.verdict_recursion import transparent_proofs
from scillm.integrations.certainly.models import Problem

VerdictStatus = Literal["proved", "failed", "rejected", "error", "timeout", "env_unavailable"]
PROBLEM_ROOT = f"SP_{secrets.token_hex(6)}"
_MAX_PROBLEMS = 256
MONOMORPHIC = "#[universes(polymorphic=no)]"  # global levels whatever the header sets (`verdict_universes`)
_MAX_WORDS = 400  # distinct words and symbols of a statement that `Locate` reads before and after the decls


@dataclass(frozen=True)
class Built:
    """A compiled problem: where its `.vo` lives, or why it cannot be used.

    `meaning_change` is why the decls change a word the statement takes from
    the header (a `Locate` answer or an `Arguments` that differs); it refuses
    the problem whenever the statement needs the decls, which only `Verify.v`
    tells by construction (Problem.v prints after the decls, which could fake it).
    """

    directory: str | None
    status: VerdictStatus = "proved"
    message: str = ""
    keep: bool = True
    meaning_change: str | None = None
    #: False when the statement does not parse with the header alone (it uses a decls notation).
    parses: bool = True
    constants: tuple[str, ...] = ()  #: full names of the constants the statement names (`verdict_universes`)


class Deadline:
    """One wall-clock budget shared by every prover run of a verdict."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.1, self.end - time.monotonic())


def interrupted(run: sandbox.RunResult) -> bool:
    """The run was stopped from outside (deadline, cancelled request, signal), so it says nothing."""
    return run.timed_out or run.rc is None or run.rc < 0


class ProverRunner:
    """Runs coqc/coqchk (or `rocq compile`/`rocq check`) in the sandbox under one memory cap."""

    def __init__(self, binaries: CoqBinaries, mem_bytes: int | None) -> None:
        self.binaries = binaries
        self.mem_bytes = mem_bytes

    def launch(self, tool: str, args: list[str], mounts: sandbox.Mounts, sandboxed: bool) -> sandbox.Launch:
        prefix = ["rocq", {"coqc": "compile", "coqchk": "check"}[tool]] if self.binaries.top[0] == "rocq" else [tool]
        cmd = sandbox.launch([*prefix, *args], mounts)
        assert cmd.sandboxed == sandboxed
        return cmd

    def __call__(self, tool: str, args: list[str], mounts: sandbox.Mounts, sandboxed: bool,
                 deadline: Deadline) -> sandbox.RunResult:
        cmd = self.launch(tool, args, mounts, sandboxed)
        return sandbox.run(cmd, timeout_s=deadline.left(), mem_bytes=self.mem_bytes)


class ProblemStore:
    """Compiled problems keyed by the hash of everything that shapes them, in one private directory."""

    def __init__(self, runner: ProverRunner, version: str) -> None:
        self.runner = runner
        self.version = version
        self._root: str | None = None
        self._built: OrderedDict[str, Built] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._remove_root: weakref.finalize[..., ProblemStore] | None = None

    def root(self) -> str:
        with self._lock:
            if self._root is None:
                self._root = tempfile.mkdtemp(prefix="scillm-verdict-")
                # A store dropped without close() (or left at exit) still removes its directory.
                self._remove_root = weakref.finalize(self, shutil.rmtree, self._root, ignore_errors=True)
            return self._root

    def close(self) -> None:
        with self._lock:
            self._root = None
            remove, self._remove_root = self._remove_root, None
            self._built.clear()
        if remove is not None:
            remove()

    def key(self, problem: Problem, header: str) -> str:
        blob = "\x00".join([self.version, PROBLEM_ROOT, header, problem.decls, problem.statement])
        return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, problem: Problem, header: str, sandboxed: bool, deadline: Deadline) -> Built:
        key = self.key(problem, header)
        with self._lock:
            hit = self._built.get(key)
            if hit is not None:
                self._built.move_to_end(key)
                return hit
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                hit = self._built.get(key)
            if hit is not None:
                return hit
            built = self._compile(problem, header, sandboxed, deadline)
            with self._lock:
                self._locks.pop(key, None)
                if built.keep:
                    self._built[key] = built
                    while len(self._built) > _MAX_PROBLEMS:
                        _, old = self._built.popitem(last=False)
                        if old.directory:
                            shutil.rmtree(old.directory, ignore_errors=True)
            return built

    def _compile(self, problem: Problem, header: str, sandboxed: bool, deadline: Deadline) -> Built:
        unnamed = unnamed_machinery(problem.decls) or scoping_refusal(problem.decls)
        if unnamed is not None:
            return Built(None, "rejected", unnamed)
        stmt = problem.statement.strip()
        tokens = vt.statement_tokens(stmt)
        too_many = len(tokens) > _MAX_WORDS
        terminals = notation_terminals(problem.decls) if problem.decls.strip() else []
        seen = {tok for tok, _ in tokens[:_MAX_WORDS]}
        tokens = tokens[:_MAX_WORDS] + [(piece, False) for piece in
                                        pieces(terminals, vt.strip_strings_and_comments(stmt)) if piece not in seen]
        use = scope_use(problem.decls) if problem.decls.strip() else None
        names = general.general_names(problem.decls, stmt) if problem.decls.strip() else []
        keywords = vt.KEYWORDS
        parses = True
        for _ in range(5):  # a header may turn a word of the statement into a keyword: retry without it
            queries = vt.locate_queries(tokens, keywords)
            seps = [vt.separator() for _ in range(2 * len(queries) + 4)]
            mseps = [vt.separator() for _ in range(9)] if problem.decls.strip() else []
            sseps = [vt.separator() for _ in range(len(use.names()) + 3)] if use is not None else []
            chunks = _problem_chunks(header, problem.decls, stmt, queries, seps, parses, mseps,
                                     use.names() if use is not None else [], sseps, names)
            starts: list[int] = []
            line_no = 1
            for text, _ in chunks:
                starts.append(line_no)
                line_no += text.count("\n") + 1
            directory = tempfile.mkdtemp(prefix="p-", dir=self.root())
            write(directory, "Problem.v", [text for text, _ in chunks])
            mounts = sandbox.Mounts(scratch=directory)
            inside = mounts.inside(directory, sandboxed)
            run = self.runner("coqc", ["-q", "-Q", inside, PROBLEM_ROOT, "Problem.v"], mounts, sandboxed, deadline)
            if run.rc == 0 and not run.timed_out:
                built = _problem_checks(directory, run.out, queries, seps, vt.argument_names(problem.decls), mseps,
                                        stmt, top_level_names(problem.decls))
                built = _lexing_checks(built, queries, run.out, seps, terminals, stmt, too_many, problem.decls)
                return replace(_scope_checks(built, run.out, use, sseps), parses=parses)
            shutil.rmtree(directory, ignore_errors=True)
            if run.timed_out:
                return Built(None, "timeout", "compiling the problem ran out of time", keep=False)
            if interrupted(run):
                return Built(None, "error", f"compiling the problem was interrupted {run.err[:200]}".strip(),
                             keep=False)
            where = vt.last_error(run.err)
            line, text = where if where else (0, (run.err or run.out).strip()[-400:])
            lib = missing_library(text)
            if lib is not None:
                return Built(None, "env_unavailable", f"library {lib} is not installed here ({text})")
            k = max(0, bisect.bisect_right(starts, line) - 1)
            kind = chunks[k][1] if where else "header"
            if kind == "plain" and parses:  # the statement does not even parse without the decls' notations
                parses = False
                continue
            if kind == "before":
                bad = next((tok for tok, _ in tokens if f"Locate {tok}." in chunks[k][0]), None)
                if bad is not None and bad not in keywords:
                    keywords = keywords | {bad}
                    continue
            return _problem_failure(kind, text)
        return Built(None, "error", "the statement's words could not be looked up in the header's context")


def _registry_chunks(seps: list[str]) -> list[tuple[str, str]]:
    """The coercion, canonical-structure and instance registries under `Set Printing All`, each between two of
    `seps` (`machinery`)."""
    out = [("Set Printing All.", "probe"), (vt.locate_line(seps[0]), "probe")]
    for query, sep in zip(REGISTRY_QUERIES, seps[1:4], strict=True):
        out += [(query, "probe"), (vt.locate_line(sep), "probe")]
    return [*out, ("Unset Printing All.", "probe")]


def _problem_chunks(header: str, decls: str, stmt: str, queries: list[tuple[str, str]],
                    seps: list[str], parses: bool, mseps: list[str], targets: list[str],
                    sseps: list[str], names: list[str]) -> list[tuple[str, str]]:
    """Problem.v's sentences, each tagged with what a failure there means."""
    n = len(queries)
    before, after = seps[: n + 1], seps[n + 1: 2 * n + 2]
    chunks: list[tuple[str, str]] = []
    if header.strip():
        chunks.append((header.strip(), "header"))
    chunks += [(ln, "before") for ln in vt.locate_sentences(queries, before)]
    chunks.append(("Definition scillm_some (T : Type) : option Type := Some T.", "plain"))
    plain = f"ltac:(first [exact (scillm_some ({stmt})) | exact (@None Type)])" if parses else "@None Type"
    # Warnings are not meaning: a header that makes one an error must not make the plain reading fail.
    chunks += [("Module scillm_plain_reading.", "plain"), ('Local Set Warnings "-all".', "plain"),
               (f"Definition reading : option Type := {plain}.", "plain"), ("End scillm_plain_reading.", "plain"),
               ("Definition scillm_plain : option Type := scillm_plain_reading.reading.", "plain")]
    chunks += [(sentence, "plain") for sentence in general.before_decls(names, stmt, parses)]
    if mseps:
        chunks += _registry_chunks(mseps[:4])
    if sseps:
        chunks += [(vt.locate_line(sseps[0]), "probe"), ("Print Scopes.", "probe"), (vt.locate_line(sseps[1]), "probe")]
    if decls.strip():
        chunks.append((transparent_proofs(vt.exported_decls(decls)), "decls"))
    if sseps:
        chunks += [(ln, "after") for ln in vt.locate_sentences([(t, f"Locate {t}.") for t in targets], sseps[2:])]
    chunks += [(ln, "after") for ln in vt.locate_sentences(queries, after)]
    chunks += [(vt.locate_line(seps[-2]), "probe"),
               ("Eval lazy in (match scillm_plain with Some _ => true | None => false end).", "probe"),
               (vt.locate_line(seps[-1]), "probe"),
               (f"{MONOMORPHIC} Definition scillm_statement : Type := ({stmt}).", "statement"),
               (general.after_decls(f"{PROBLEM_ROOT}.Problem", names), "probe")]
    if mseps:
        chunks += [*_registry_chunks(mseps[4:8]), ("Set Printing All.", "probe"),
                   ("Print scillm_statement.", "probe"), (vt.locate_line(mseps[8]), "probe"),
                   ("Unset Printing All.", "probe")]
    chunks.append(("Definition scillm_same : match scillm_plain with Some T => T = scillm_statement "
                   "| None => True end := ltac:(first [exact I | exact eq_refl]).", "same"))
    return chunks


def _problem_checks(directory: str, out: str, queries: list[tuple[str, str]], seps: list[str],
                    arguments: list[str], mseps: list[str], stmt: str, declared: frozenset[str]) -> Built:
    got = vt.regions(out, seps)
    printed = vt.regions(out, mseps) if mseps else []
    n = len(queries)
    if got is None or printed is None:
        shutil.rmtree(directory, ignore_errors=True)
        return Built(None, "error", "could not read the problem's own answers")
    if printed:
        named = _references(queries, got[n + 1: 2 * n + 1], stmt)
        inserted = inserted_machinery(read_registry(*printed[0:3]), read_registry(*printed[4:7]), printed[7], named)
        if inserted is not None:
            shutil.rmtree(directory, ignore_errors=True)
            return Built(None, "rejected", inserted)
    header_view, decls_view, plain = got[:n], got[n + 1: 2 * n + 1], got[-1]
    change = _meaning_change(queries, header_view, decls_view, arguments)
    if change is None and printed:
        change = changed_instances(printed[2], printed[6], declared)
    if change is not None and vt.plain_answer(plain) is not True:  # early: Verify.v decides by construction
        shutil.rmtree(directory, ignore_errors=True)
        return Built(None, "rejected", change)
    found = (vt.meaning(q, a) or "" for (_, q), a in zip(queries, decls_view, strict=True))
    return Built(directory, meaning_change=change, constants=tuple(m[9:] for m in found if m.startswith("Constant ")))


def _lexing_checks(built: Built, queries: list[tuple[str, str]], out: str, seps: list[str], terminals: list[str],
                   stmt: str, too_many: bool, decls: str) -> Built:
    """`built` with the decls' notation tokens judged against the header's (`decls_tokens`), and a statement
    with more words than `Locate` reads refused, when the statement needs the decls."""
    if built.directory is None or built.meaning_change is not None:
        return built
    change = None
    # An abbreviation or a keyword of the decls turns what the header reads as a bound variable (`S k` in a
    # pattern) into a constant or syntax.
    bound = bound_words(vt.strip_strings_and_comments(stmt)) & (abbreviations(decls) | {
        t for t in terminals if re.fullmatch(r"[^\W\d][\w']*", t)})
    if bound:
        change = (f"the statement binds `{min(bound)}`, which the decls make an abbreviation or a keyword, so it is "
                  "no longer the variable the header reads (rename the statement's variable)")
    elif too_many:
        change = (f"the statement has more than {_MAX_WORDS} distinct words and symbols, more than the check "
                  "that the decls keep their meaning reads")
    elif terminals:
        got = vt.regions(out, seps)
        assert got is not None  # _problem_checks read the same regions
        before = {query: answer for (_, query), answer in zip(queries, got[:len(queries)], strict=True)}

        def known(piece: str) -> bool:  # a notation token of the header, or a name it gives a meaning (`Forall`)
            queries = ['Locate "{}".'.format(piece.replace('"', '""')), f"Locate {piece}."]
            return any(q in before and vt.meaning(q, before[q]) is not None for q in queries)

        change = relexed(terminals, vt.strip_strings_and_comments(stmt), known)
    return built if change is None else replace(built, meaning_change=change)


def _scope_checks(built: Built, out: str, use: ScopeUse | None, sseps: list[str]) -> Built:
    """`built` with the decls' scope and argument commands judged (`decls_scopes`)."""
    if use is None or built.directory is None:
        return built
    got = vt.regions(out, sseps)
    if got is None:
        shutil.rmtree(built.directory, ignore_errors=True)
        return Built(None, "error", "could not read the problem's own answers")
    names = use.names()
    located = {name: vt.meaning(f"Locate {name}.", answer) for name, answer in zip(names, got[2:], strict=True)}
    violation = scope_violation(use, got[0], located, PROBLEM_ROOT)
    if violation is None or built.meaning_change is not None:
        return built
    return replace(built, meaning_change=violation)


def _references(queries: list[tuple[str, str]], decls_view: list[str], stmt: str) -> frozenset[str]:
    """Words the statement uses as references after the decls: found by `Locate` as a constant or inductive, no
    notation's keyword, and not bound by the statement (comments and strings hold no word)."""
    refs: set[str] = set()
    keywords: set[str] = set()
    for (tok, query), answer in zip(queries, decls_view, strict=True):
        found = vt.meaning(query, answer)
        if query.startswith('Locate "'):
            if found is not None:
                keywords.add(tok)
        elif found is not None and found.split(" ", 1)[0] in ("Constant", "Inductive", "Constructor"):
            refs.add(tok)
    return frozenset(refs - keywords - bound_words(vt.strip_strings_and_comments(stmt)))


def _meaning_change(queries: list[tuple[str, str]], header_view: list[str], decls_view: list[str],
                    arguments: list[str]) -> str | None:
    """Why the decls change a word the statement takes from the header, or None."""
    for tok, query in queries:
        if tok in arguments and not query.startswith('Locate "') and \
                vt.meaning(query, header_view[queries.index((tok, query))]) is not None:
            return (f"the decls re-declare the arguments of `{tok}`, which the statement uses with its meaning "
                    "from the header (put `Arguments` in the header)")
    for (tok, query), a, b in zip(queries, header_view, decls_view, strict=True):
        was = vt.meaning(query, a)
        if was is not None and was.startswith("No object of suffix"):
            return f"the checks read no qualified decls name (`{tok}`): `Import` its module, use the short name"
        if was is not None and vt.meaning(query, b) != was:
            return f"the decls change what `{tok}` means in the statement (it already has a meaning from the header)"
    return None


def _problem_failure(kind: str, text: str) -> Built:
    """What a failed problem compile means, by which of our sentences failed."""
    text = text[:300]
    if kind == "same":
        return Built(None, "rejected", "the decls change the meaning of the statement: read with the header alone "
                     "it elaborates to a different proposition (move scope and notation commands into the "
                     f"header): {text}")
    if kind == "statement":
        return Built(None, "failed", f"the statement does not elaborate: {text}")
    if kind in ("after", "probe"):
        return Built(None, "rejected", f"the decls redefine a word the statement uses: {text}")
    if kind == "decls":
        return Built(None, "error", f"in decls: {text}")
    return Built(None, "error", f"header: {text}")


def write(directory: str, name: str, lines: list[str]) -> None:
    with open(f"{directory}/{name}", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


__all__ = ["MONOMORPHIC", "PROBLEM_ROOT", "Built", "Deadline", "ProblemStore", "ProverRunner", "VerdictStatus",
           "interrupted", "write"]
