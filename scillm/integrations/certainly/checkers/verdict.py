"""The independent final verdict: a `proved` re-derived from the original statement, sharing nothing with the search.

A candidate the warm search accepted is only a candidate. `independent_verdict`
assembles three files itself and compiles them with fresh, sandboxed `coqc`
runs, then re-checks the compiled kernel terms with `coqchk`:

* `Problem.v` (once per problem, cached by content hash in a private
  directory): the header, the statement elaborated with the header alone
  (`scillm_plain`, None when it needs the decls), the decls, the statement
  elaborated with header and decls (`scillm_statement`), and `scillm_same`,
  which only type-checks when the two readings are convertible. `Locate` of
  every name and symbol of the statement is printed before and after the
  decls: when the statement needs the decls, a name or notation that the
  header already gives a meaning must keep it.
* `Candidate.v`: the header, the trusted imports, `Require Import` of the
  problem, then `Theorem name : <problem>.scillm_statement`, `unfold`, the
  proof, `Qed.` The theorem's type is the problem's constant, so nothing the
  proof text does can change what it states.
* `Verify.v`: only `Require` of the two libraries (no notation, scope or
  instance of the candidate is in scope) and
  `Definition scillm_check : <problem>.scillm_statement := <candidate>.name.`

Both libraries live under random logical roots, so a proof cannot name or
shadow them. `coqchk -o -norec` (alongside `Verify.v`) re-checks Problem and
Candidate in the independent kernel checker and lists every axiom of the
loaded context and every weakened kernel check; an axiom is accepted only
when `trusted.trusted_axiom` says so (a standard-library axiom loaded only by
the decls is refused when `Print Assumptions` in `Verify.v` shows the theorem
uses it), and any weakened check is a rejection. Every prover run is
sandboxed (`prover_sandbox`).
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scillm.integrations.certainly.checkers import prover_sandbox as sandbox
from scillm.integrations.certainly.checkers import verdict_text as vt
from scillm.integrations.certainly.checkers.coq_candidate import Candidate, prepare
from scillm.integrations.certainly.checkers.coq_session import CoqBinaries, adapt_header, find_coq
from scillm.integrations.certainly.checkers.diagnostics import missing_library
from scillm.integrations.certainly.checkers.trusted import TRUSTED_ROOTS, normalize_import, trusted_axiom
from scillm.integrations.certainly.models import CheckerInfo, CheckResult, Problem

VerdictStatus = Literal["proved", "failed", "rejected", "error", "timeout", "env_unavailable"]
_PROBLEM_ROOT = f"SP_{vt.secrets.token_hex(6)}"
_MAX_PROBLEMS = 256


class Verdict(BaseModel):
    """The independent check's answer for one proof of one problem."""

    model_config = ConfigDict(frozen=True)

    status: VerdictStatus
    axioms: tuple[str, ...] = Field(default=(), description="Fully qualified axioms the proved theorem depends on.")
    message: str = Field(default="", description="Why it is not proved (empty when proved).")
    file: str = Field(default="", description="The whole problem and proof as one standalone .v file.")
    time_ms: float = 0.0
    checker: CheckerInfo | None = None

    @property
    def ok(self) -> bool:
        return self.status == "proved"

    def to_check_result(self) -> CheckResult:
        """The same verdict as a `CheckResult` (statuses `error` become `crashed`)."""
        from scillm.integrations.certainly.models import Message

        status = {"error": "crashed"}.get(self.status, self.status)
        messages = [] if self.ok else [Message(severity="error", text=self.message)]
        cls = {"rejected": "forbidden", "timeout": "timeout"}.get(self.status, None if self.ok else "other")
        return CheckResult(ok=self.ok, status=status, error_class=cls, messages=messages,  # type: ignore[arg-type]
                           axioms=list(self.axioms), time_ms=self.time_ms, checker=self.checker, code=self.file)


@dataclass(frozen=True)
class _Built:
    """A compiled problem: where its `.vo` lives, or why it cannot be used."""

    directory: str | None
    status: VerdictStatus = "proved"
    message: str = ""


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.1, self.end - time.monotonic())

    def over(self) -> bool:
        return time.monotonic() >= self.end


class VerdictEngine:
    """Compiles problems once (private cache), then checks each winner in fresh sandboxed provers."""

    def __init__(self, binaries: CoqBinaries | None = None, *, mem_bytes: int | None = 4 << 30) -> None:
        self.binaries = binaries or find_coq()
        self.mem_bytes = mem_bytes
        self.info = CheckerInfo(name="coq", version=self.binaries.version if self.binaries else None, mode="verdict")
        self._root: str | None = None
        self._built: OrderedDict[str, _Built] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    # -- plumbing -----------------------------------------------------------------------------------------

    def _cache_root(self) -> str:
        with self._lock:
            if self._root is None:
                self._root = tempfile.mkdtemp(prefix="scillm-verdict-")
            return self._root

    def _coq(self, tool: str) -> list[str]:
        assert self.binaries is not None
        if self.binaries.top[0] == "rocq":
            return ["rocq", {"coqc": "compile", "coqchk": "check"}[tool]]
        return [tool]

    def _run(self, tool: str, args: list[str], mounts: sandbox.Mounts, sandboxed: bool,
             deadline: _Deadline) -> sandbox.RunResult:
        cmd = sandbox.launch([*self._coq(tool), *args], mounts)
        assert cmd.sandboxed == sandboxed
        return sandbox.run(cmd, timeout_s=deadline.left(), mem_bytes=self.mem_bytes)

    def close(self) -> None:
        with self._lock:
            root, self._root = self._root, None
            self._built.clear()
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)

    # -- the problem, once ----------------------------------------------------------------------------------

    def _problem_key(self, problem: Problem, header: str) -> str:
        blob = "\x00".join([self.info.version or "", _PROBLEM_ROOT, header, problem.decls, problem.statement])
        return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()

    def _problem(self, problem: Problem, header: str, sandboxed: bool, deadline: _Deadline) -> _Built:
        key = self._problem_key(problem, header)
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
            built = self._compile_problem(problem, header, key, sandboxed, deadline)
            if built.status != "timeout":
                with self._lock:
                    self._built[key] = built
                    while len(self._built) > _MAX_PROBLEMS:
                        _, old = self._built.popitem(last=False)
                        if old.directory:
                            shutil.rmtree(old.directory, ignore_errors=True)
                    self._locks.pop(key, None)
            return built

    def _compile_problem(self, problem: Problem, header: str, key: str, sandboxed: bool,
                         deadline: _Deadline) -> _Built:
        stmt = problem.statement.strip()
        tokens = vt.statement_tokens(stmt)
        keywords = vt.KEYWORDS
        for _ in range(4):  # a header may turn a word of the statement into a keyword: retry without it
            queries = vt.locate_queries(tokens, keywords)
            n = len(queries)
            seps = [vt.separator() for _ in range(2 * n + 4)]
            before, after = seps[: n + 1], seps[n + 1: 2 * n + 2]
            chunks: list[tuple[str, str]] = []
            if header.strip():
                chunks.append((header.strip(), "header"))
            chunks += [(ln, "before") for ln in vt.locate_sentences(queries, before)]
            chunks.append(("Definition scillm_some (T : Type) : option Type := Some T.", "plain"))
            chunks.append(("Definition scillm_plain : option Type := "
                           f"ltac:(first [exact (scillm_some ({stmt})) | exact (@None Type)]).", "plain"))
            if problem.decls.strip():
                chunks.append((problem.decls.strip(), "decls"))
            chunks += [(ln, "after") for ln in vt.locate_sentences(queries, after)]
            chunks += [(vt.locate_line(seps[-2]), "probe"),
                       ("Compute (match scillm_plain with Some _ => true | None => false end).", "probe"),
                       (vt.locate_line(seps[-1]), "probe"),
                       (f"Definition scillm_statement : Type := ({stmt}).", "statement"),
                       ("Definition scillm_same : match scillm_plain with Some T => T = scillm_statement "
                        "| None => True end := ltac:(first [exact I | exact eq_refl]).", "same")]
            starts: list[int] = []
            line_no = 1
            for text, _ in chunks:
                starts.append(line_no)
                line_no += text.count("\n") + 1
            directory = tempfile.mkdtemp(prefix="p-", dir=self._cache_root())
            _write(directory, "Problem.v", [text for text, _ in chunks])
            mounts = sandbox.Mounts(scratch=directory)
            inside = mounts.inside(directory, sandboxed)
            run = self._run("coqc", ["-q", "-Q", inside, _PROBLEM_ROOT, "Problem.v"], mounts, sandboxed, deadline)
            if run.rc == 0 and not run.timed_out:
                return self._problem_checks(directory, run.out, queries, seps)
            shutil.rmtree(directory, ignore_errors=True)
            if run.timed_out:
                return _Built(None, "timeout", "compiling the problem ran out of time")
            where = vt.last_error(run.err)
            line, text = where if where else (0, (run.err or run.out).strip()[-400:])
            lib = missing_library(text)
            if lib is not None:
                return _Built(None, "env_unavailable", f"library {lib} is not installed here ({text})")
            k = max(0, bisect.bisect_right(starts, line) - 1)
            kind = chunks[k][1] if where else "header"
            if kind == "before":
                bad = next((tok for tok, _ in tokens if f"Locate {tok}." in chunks[k][0]), None)
                if bad is not None and bad not in keywords:
                    keywords = keywords | {bad}
                    continue
            return _problem_failure(kind, text)
        return _Built(None, "error", "the statement's words could not be looked up in the header's context")

    def _problem_checks(self, directory: str, out: str, queries: list[tuple[str, str]], seps: list[str]) -> _Built:
        got = vt.regions(out, seps)
        if got is None:
            shutil.rmtree(directory, ignore_errors=True)
            return _Built(None, "error", "could not read the problem's own answers")
        n = len(queries)
        header_view, decls_view, plain = got[:n], got[n + 1: 2 * n + 1], got[-1]
        if "= true" not in plain:
            for (tok, query), a, b in zip(queries, header_view, decls_view, strict=True):
                was = vt.meaning(query, a)
                if was is not None and vt.meaning(query, b) != was:
                    shutil.rmtree(directory, ignore_errors=True)
                    return _Built(None, "rejected", f"the decls change what `{tok}` means in the statement "
                                  "(it already has a meaning from the header)")
        return _Built(directory)

    # -- the candidate, every time ------------------------------------------------------------------------

    def check(self, problem: Problem, proof: str, imports: tuple[str, ...] = (), *, timeout_s: float = 60.0) -> Verdict:
        t0 = time.perf_counter()
        verdict = self._check(problem, proof, imports, _Deadline(timeout_s))
        return verdict.model_copy(update={"time_ms": round((time.perf_counter() - t0) * 1000, 3),
                                          "checker": self.info})

    def _check(self, problem: Problem, proof: str, imports: tuple[str, ...], deadline: _Deadline) -> Verdict:
        if self.binaries is None:
            return Verdict(status="env_unavailable", message="coqc/coqchk are not on PATH (apt-get install coq)")
        try:
            sandboxed = sandbox.active()
        except sandbox.SandboxUnavailable as exc:
            return Verdict(status="env_unavailable", message=str(exc))
        trusted: list[str] = []
        for module in imports:
            name = normalize_import(module)
            if name is None:
                return Verdict(status="rejected", message=f"import {module!r} is not on the trusted list")
            trusted.append(name)
        cand = prepare(problem, proof, self.info)
        if isinstance(cand, CheckResult):
            status = "rejected" if cand.status == "rejected" else "failed"
            return Verdict(status=status, message=cand.first_error or cand.status)  # type: ignore[arg-type]
        header = adapt_header(problem.header, self.binaries.major)
        standalone = _standalone(cand, header, trusted)
        built = self._problem(problem, header, sandboxed, deadline)
        if built.directory is None:
            return Verdict(status=built.status, message=built.message, file=standalone)
        scratch = tempfile.mkdtemp(prefix="c-", dir=self._cache_root())
        try:
            return self._candidate(cand, header, trusted, built.directory, scratch, sandboxed, deadline)\
                .model_copy(update={"file": standalone})
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _candidate(self, cand: Candidate, header: str, imports: list[str], problem_dir: str, scratch: str,
                   sandboxed: bool, deadline: _Deadline) -> Verdict:
        root = f"SC_{vt.secrets.token_hex(6)}"
        mounts = sandbox.Mounts(scratch=scratch, readonly=((problem_dir, "/problem"),))
        pdir, cdir = mounts.inside(problem_dir, sandboxed), mounts.inside(scratch, sandboxed)
        paths = ["-Q", pdir, _PROBLEM_ROOT, "-Q", cdir, root]
        stmt = f"{_PROBLEM_ROOT}.Problem.scillm_statement"
        libs_seps = [vt.separator(), vt.separator()]
        lines = [header.strip()] if header.strip() else []
        lines += [f"Require Import {m}." for m in imports]
        lines += [vt.locate_line(libs_seps[0]), "Print Libraries.", vt.locate_line(libs_seps[1])]
        lines.append(f"Require Import {_PROBLEM_ROOT}.Problem.")
        lines += vt.environment_sentences(cand.decls)
        lines += [f"Theorem {cand.name} : {stmt}.", "Proof.",
                  f"unfold {stmt}."]
        lines += [s.text for s in cand.proof]
        lines.append("Qed.")
        _write(scratch, "Candidate.v", lines)
        run = self._run("coqc", ["-q", *paths, "Candidate.v"], mounts, sandboxed, deadline)
        if run.timed_out:
            return Verdict(status="timeout", message="the independent check ran out of time compiling the proof")
        if run.rc != 0:
            where = vt.last_error(run.err)
            text = where[1] if where else (run.err or run.out).strip()[-300:]
            return Verdict(status="failed", message=f"the proof does not check in a fresh coqc: {text[:300]}")
        got = vt.regions(run.out, libs_seps)
        if got is None:
            return Verdict(status="error", message="could not read the libraries the header loads")
        loaded = vt.library_names(got[0])
        vseps = [vt.separator(), vt.separator()]
        _write(scratch, "Verify.v", [
            f"Require {_PROBLEM_ROOT}.Problem {root}.Candidate.",
            f"Definition scillm_check : {stmt} := {root}.Candidate.{cand.name}.",
            vt.locate_line(vseps[0]), "Print Assumptions scillm_check.", vt.locate_line(vseps[1]),
        ])
        chk_args = ["-silent", "-o", *paths, "-norec", f"{_PROBLEM_ROOT}.Problem", "-norec", f"{root}.Candidate"]
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="scillm-coqchk") as pool:
            kernel = pool.submit(self._run, "coqchk", chk_args, mounts, sandboxed, deadline)
            run = self._run("coqc", ["-q", *paths, "Verify.v"], mounts, sandboxed, deadline)
            chk = kernel.result()
        if run.timed_out or chk.timed_out:
            return Verdict(status="timeout", message="the independent check ran out of time")
        if run.rc != 0:
            return Verdict(status="rejected", message="the proved theorem does not have the requested statement")
        assumed = vt.regions(run.out, vseps)
        summary = vt.parse_coqchk(chk.out + "\n" + chk.err)
        if chk.rc != 0 or summary is None:
            text = (chk.err or chk.out).strip()[-300:]
            return Verdict(status="rejected", message=f"the kernel checker (coqchk) refused the proof: {text}")
        if assumed is None:
            return Verdict(status="error", message="could not read the theorem's assumptions")
        return _policy(summary, vt.parse_assumptions(assumed[0]), loaded, root)


def _problem_failure(kind: str, text: str) -> _Built:
    """What a failed problem compile means, by which of our sentences failed."""
    text = text[:300]
    if kind == "same":
        return _Built(None, "rejected", "the decls change the meaning of the statement: read with the header alone "
                      "it elaborates to a different proposition (move scope and notation commands into the "
                      f"header): {text}")
    if kind == "statement":
        return _Built(None, "failed", f"the statement does not elaborate: {text}")
    if kind in ("after", "probe"):
        return _Built(None, "rejected", f"the decls redefine a word the statement uses: {text}")
    if kind == "decls":
        return _Built(None, "error", f"in decls: {text}")
    return _Built(None, "error", f"header: {text}")


def _write(directory: str, name: str, lines: list[str]) -> None:
    with open(f"{directory}/{name}", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def _standalone(cand: Candidate, header: str, imports: list[str]) -> str:
    parts = [header.strip(), *(f"Require Import {m}." for m in imports), cand.problem.decls.strip(),
             f"Theorem {cand.name} : {cand.problem.statement.strip()}.", "Proof."]
    parts += [s.text for s in cand.proof]
    parts.append("Qed.")
    return "\n".join(p for p in parts if p) + "\n"


def _policy(summary: vt.KernelSummary, assumed: vt.Assumptions, loaded: frozenset[str], root: str) -> Verdict:
    """Accept only trusted axioms and unweakened kernel checks; name what is refused."""
    if not summary.predicative:
        return Verdict(status="rejected", message="the kernel checker reports an impredicative Set")
    if summary.weakened:
        return Verdict(status="rejected", message=f"kernel checks weakened: {'; '.join(summary.weakened)[:300]}")
    if assumed.other:
        return Verdict(status="rejected", message=f"the theorem rests on {', '.join(assumed.other)[:300]}")
    used: set[str] = set()
    for short in assumed.axioms:
        full = [a for a in summary.axioms if a == short or a.endswith("." + short)]
        if not full:
            return Verdict(status="rejected", message=f"axiom {short} is not in the kernel checker's list")
        used.update(full)
    for name in summary.axioms:
        first = name.split(".", 1)[0]
        if first == _PROBLEM_ROOT:
            return Verdict(status="rejected", message=f"the decls declare the axiom {name.split('.', 2)[-1]}")
        if first == root:
            return Verdict(status="rejected", message=f"the proof declares the axiom {name.split('.', 2)[-1]}")
        if trusted_axiom(name, loaded):
            continue
        if first not in TRUSTED_ROOTS or name in used:
            return Verdict(status="rejected", message=f"proof depends on axiom {name}, which no trusted library "
                           "loaded by the header or the search's imports declares")
    return Verdict(status="proved", axioms=tuple(sorted(used)))


_engine: VerdictEngine | None = None
_engine_lock = threading.Lock()


def default_engine() -> VerdictEngine:
    """One engine per process, so each problem is compiled once."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = VerdictEngine()
            import atexit

            atexit.register(_engine.close)
        return _engine


def independent_verdict(problem: Problem, proof: str, imports: tuple[str, ...] = (), *,
                        timeout_s: float = 60.0) -> Verdict:
    """The independent verdict on `proof` for `problem` (blocking; see the module docstring)."""
    if problem.backend != "coq":
        return Verdict(status="error", message=f"the independent verdict is for Coq, not {problem.backend}")
    return default_engine().check(problem, proof, imports, timeout_s=timeout_s)


async def aindependent_verdict(problem: Problem, proof: str, imports: tuple[str, ...] = (), *,
                               timeout_s: float = 60.0) -> Verdict:
    """`independent_verdict` without blocking the event loop."""
    return await asyncio.to_thread(independent_verdict, problem, proof, imports, timeout_s=timeout_s)

__all__ = ["Verdict", "VerdictEngine", "VerdictStatus", "aindependent_verdict", "default_engine",
           "independent_verdict"]
