"""The independent final verdict: a `proved` re-derived from the original statement, sharing nothing with the search.

A candidate the warm search accepted is only a candidate. `independent_verdict`
assembles three files itself and compiles them with fresh, sandboxed `coqc`
runs, then re-checks the compiled kernel terms with `coqchk`:

* `Problem.v` (once per problem, cached by content hash in a private
  directory; see `verdict_problem`): the header, the decls and the statement
  elaborated in their context (`scillm_statement`), with the checks that the
  decls do not change what the statement means.
* `Candidate.v`: the header, the trusted imports (first without the search's
  decision procedures the proof never names, which load slowly; with all of
  them when that does not check), `Require Import` of the problem, then
  `Theorem name : <problem>.scillm_statement`, `unfold`, the proof,
  `Defined.` (transparent, so Verify.v can read the term). The theorem's
  type is the problem's constant, so nothing the proof text does can change
  what it states; its name is fresh per verdict, so a proof that abandons it
  cannot restate it.
* `Verify.v`: only `Require` of the two libraries (no notation, scope or
  instance of the candidate is in scope) and
  `Definition scillm_check : <problem>.scillm_statement := <candidate>.name.`,
  then the walk over the proof term that refuses recursion of its own
  (`verdict_recursion`), and the universe graph without and with the
  candidate, which must relate the statement's universes alike
  (`verdict_universes`).

Both libraries live under random logical roots, so a proof cannot name or
shadow them. `coqchk -o -norec` (alongside `Verify.v`) re-checks Problem and
Candidate in the independent kernel checker and lists every axiom of the
loaded context and every weakened kernel check; `verdict_policy` decides from
that list. `Print Assumptions` runs only when the context holds an axiom it
could report: in `Verify.v`, alongside `coqchk`, unless the last check of the
same problem showed that its context has none (then it is left out), and in a
second run after `coqchk` when that guess was wrong. Every prover run is sandboxed
(`prover_sandbox`) and tracked for cancellation. Standby provers the prefetch
started (`verdict_standby`) run the same sentences, libraries already loaded.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import os
import secrets
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from scillm.integrations.certainly.checkers import prover_sandbox as sandbox
from scillm.integrations.certainly.checkers import verdict_text as vt
from scillm.integrations.certainly.checkers.coq_candidate import Candidate, prepare
from scillm.integrations.certainly.checkers.coq_session import CoqBinaries, adapt_header, find_coq
from scillm.integrations.certainly.checkers.faults import ProverSandboxUnavailableError
from scillm.integrations.certainly.checkers.trusted import normalize_import
from scillm.integrations.certainly.checkers.verdict_coqlib import VIEW_COQLIB, installed_coqlib, view_mounts
from scillm.integrations.certainly.checkers.verdict_general import (
    applies_sentences,
    same_sentence,
    unread_refusal,
)
from scillm.integrations.certainly.checkers.verdict_imports import first_guess, standalone_file
from scillm.integrations.certainly.checkers.verdict_policy import needs_assumptions, policy
from scillm.integrations.certainly.checkers.verdict_problem import (
    MONOMORPHIC,
    PROBLEM_ROOT,
    Built,
    Deadline,
    ProblemStore,
    ProverRunner,
    interrupted,
    write,
)
from scillm.integrations.certainly.checkers.verdict_recursion import (
    recursion_answer,
    recursion_sentences,
    unless_own_recursion,
)
from scillm.integrations.certainly.checkers.verdict_result import Verdict, VerdictStatus
from scillm.integrations.certainly.checkers.verdict_standby import Pair, Prefetcher, Standby
from scillm.integrations.certainly.checkers.verdict_universes import chosen_levels, graph_sentences
from scillm.integrations.certainly.models import CheckerInfo, CheckResult, Problem

_MAX_REMEMBERED = 1024


class VerdictEngine:
    """Compiles problems once (private cache), then checks each winner in fresh sandboxed provers."""

    def __init__(self, binaries: CoqBinaries | None = None, *, mem_bytes: int | None = 4 << 30) -> None:
        self.binaries = binaries or find_coq()
        self.mem_bytes = mem_bytes
        self.info = CheckerInfo(name="coq", version=self.binaries.version if self.binaries else None, mode="verdict")
        self._run = ProverRunner(self.binaries, mem_bytes) if self.binaries else None
        self.problems = ProblemStore(self._run, self.info.version or "") if self._run else None
        self._wants_assumptions: dict[str, bool] = {}
        self._lock = threading.Lock()
        self.prefetcher = Prefetcher(self.problems, self._run) if self.problems and self._run else None
        #: Prover runs done on standby provers; standbys found unusable, and standby runs that ended with an
        #: error (both then ran cold); coqchk runs on the library view (`verdict_coqlib`), and those that
        #: failed there (then run again on the whole installation).
        self.stats = {"standby_used": 0, "standby_unusable": 0, "standby_failed": 0, "coqchk_view": 0,
                      "coqchk_view_failed": 0}

    def close(self) -> None:
        if self.prefetcher is not None:
            self.prefetcher.close()
        if self.problems is not None:
            self.problems.close()

    def prefetch(self, problem: Problem, *, timeout_s: float = 120.0) -> bool:
        """Prepare `problem`'s verdict in the background (call when its search starts): compile the problem, then
        start its standby provers (`verdict_standby`). True when that was started.

        Runs in the caller's context, so cancelling the request stops it; a
        compile that was stopped is not kept.
        """
        if self.binaries is None or self.problems is None or problem.backend != "coq":
            return False
        if isinstance(prepare(problem, "idtac.", self.info), CheckResult):
            return False
        try:
            sandboxed = sandbox.active()
        except ProverSandboxUnavailableError:
            return False
        header = adapt_header(problem.header, self.binaries.major)
        assert self.prefetcher is not None
        return self.prefetcher.submit(self.problems.key(problem, header), problem, header, sandboxed, timeout_s)

    def prefetched(self, problem: Problem, timeout_s: float | None = None) -> bool:
        """Wait until the prefetch of `problem` compiled it and started its standby provers (tests, benchmarks)."""
        key = self._key(problem)
        return key is not None and self.prefetcher is not None and self.prefetcher.wait(key, timeout_s)

    def release(self, problem: Problem) -> None:
        """Stop the standby provers of `problem` (its search ended without asking for a verdict)."""
        key = self._key(problem)
        if key is not None and self.prefetcher is not None:
            self.prefetcher.release(key)

    def _key(self, problem: Problem) -> str | None:
        if self.binaries is None or self.problems is None:
            return None
        return self.problems.key(problem, adapt_header(problem.header, self.binaries.major))

    # -- the candidate, every time ------------------------------------------------------------------------

    def check(self, problem: Problem, proof: str, imports: tuple[str, ...] = (), *, timeout_s: float = 60.0) -> Verdict:
        t0 = time.perf_counter()
        verdict = self._check(problem, proof, imports, Deadline(timeout_s))
        return verdict.model_copy(update={"time_ms": round((time.perf_counter() - t0) * 1000, 3),
                                          "checker": self.info})

    def _check(self, problem: Problem, proof: str, imports: tuple[str, ...], deadline: Deadline) -> Verdict:
        if self.binaries is None or self.problems is None:
            return Verdict(status="env_unavailable", message="coqc/coqchk are not on PATH (apt-get install coq)")
        try:
            sandboxed = sandbox.active()
        except ProverSandboxUnavailableError as exc:
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
        built = self.problems.get(problem, header, sandboxed, deadline)
        guess = first_guess(trusted, cand)
        if guess is not None:
            first = self._attempt(cand, header, guess, built, sandboxed, deadline)
            if first.status != "failed":
                return first
        return self._attempt(cand, header, trusted, built, sandboxed, deadline)

    def _attempt(self, cand: Candidate, header: str, trusted: list[str], built: Built, sandboxed: bool,
                 deadline: Deadline) -> Verdict:
        assert self.problems is not None
        standalone = standalone_file(cand, header, trusted)
        if built.directory is None:
            return Verdict(status=built.status, message=built.message, file=standalone)
        key = self.problems.key(cand.problem, header)
        pair = self.prefetcher.take(key) if self.prefetcher else None
        scratch = pair.scratch if pair else tempfile.mkdtemp(prefix="c-", dir=self.problems.root())
        root = pair.root if pair else f"SC_{secrets.token_hex(6)}"
        memo = "\x00".join([key, *trusted])
        try:
            return self._candidate(cand, header, trusted, built, scratch, root, pair, sandboxed,
                                   deadline, memo).model_copy(update={"file": standalone})
        finally:
            if pair is not None:
                pair.close()
            shutil.rmtree(scratch, ignore_errors=True)

    def _compile(self, standby: tuple[Standby, str] | None, main: str, head: list[str], tail: list[str],
                 lines: list[str], args: list[str], mounts: sandbox.Mounts, sandboxed: bool,
                 deadline: Deadline) -> sandbox.RunResult:
        """Compile `head + tail + lines` as `main`: on the standby prover (main file in its directory) when it is
        usable, else cold in the scratch dir.

        A standby run that ends with an error is run again cold, so a standby
        can make a verdict faster, never different.
        """
        assert self._run is not None
        if standby is not None:
            run = standby[0].finish(tail, f"{standby[1]}/{main}", lines, deadline)
            done = run is not None and (run.rc == 0 or interrupted(run))
            with self._lock:
                self.stats["standby_unusable" if run is None else "standby_used" if done else "standby_failed"] += 1
            if done:
                assert run is not None
                return run
        write(mounts.scratch, main, [*head, *tail, *lines])
        return self._run("coqc", [*args, main], mounts, sandboxed, deadline)

    def _candidate(self, cand: Candidate, header: str, imports: list[str], built: Built, scratch: str,
                   root: str, pair: Pair | None, sandboxed: bool, deadline: Deadline, memo: str) -> Verdict:
        assert self._run is not None and built.directory is not None
        problem_dir = built.directory
        mounts = sandbox.Mounts(scratch=scratch, readonly=((problem_dir, "/problem"),))
        pdir, cdir = mounts.inside(problem_dir, sandboxed), mounts.inside(scratch, sandboxed)
        paths = ["-Q", pdir, PROBLEM_ROOT, "-Q", cdir, root]
        stmt = f"{PROBLEM_ROOT}.Problem.scillm_statement"
        libs_seps = [vt.separator(), vt.separator()]
        head = [header.strip()] if header.strip() else []
        tail = [f"Require Import {m}." for m in imports]
        tail += [vt.locate_line(libs_seps[0]), "Print Libraries.", vt.locate_line(libs_seps[1])]
        tail.append(f"Require Import {PROBLEM_ROOT}.Problem.")
        tail += vt.environment_sentences(cand.decls)
        # The theorem's name is new for every verdict and never in the proof text, so a proof that abandons it
        # (`Abort`) and declares anything, then restates the statement, leaves no theorem Verify.v would accept.
        name = f"scillm_theorem_{secrets.token_hex(8)}"
        lines = [f"{MONOMORPHIC} Theorem {name} : {stmt}.", "Proof.", f"unfold {stmt}."]
        lines += [s.text for s in cand.proof]
        lines.append("Defined.")  # transparent, so Verify.v can read the proof term (`verdict_recursion`)
        standby = (pair.candidate, pair.scratch) if pair else None
        run = self._compile(standby, "Candidate.v", head, tail, lines, ["-q", *paths], mounts, sandboxed, deadline)
        if run.timed_out:
            return Verdict(status="timeout", message="the independent check ran out of time compiling the proof")
        if interrupted(run):
            return Verdict(status="error", message="the independent check was interrupted compiling the proof")
        if run.rc != 0:
            where = vt.last_error(run.err)
            text = where[1] if where else (run.err or run.out).strip()[-300:]
            return Verdict(status="failed", message=f"the proof does not check in a fresh coqc: {text[:300]}")
        got = vt.regions(run.out, libs_seps)
        if got is None:
            return Verdict(status="error", message="could not read the libraries the header loads")
        loaded = vt.library_names(got[0])
        with self._lock:
            predicted = self._wants_assumptions.get(memo, True)
        psep, useps = [vt.separator(), vt.separator()], [vt.separator() for _ in range(4)]
        check = [graph_sentences(f"{PROBLEM_ROOT}.Problem", f"{root}.Candidate", useps),
                 f"Definition scillm_check : {stmt} := {root}.Candidate.{name}.",
                 *vt.meaning_sentences(f"{PROBLEM_ROOT}.Problem", psep), same_sentence(f"{PROBLEM_ROOT}.Problem")]
        gseps = [vt.separator(), vt.separator()]
        applies = applies_sentences(f"{PROBLEM_ROOT}.Problem", gseps)
        vseps = [vt.separator(), vt.separator()]
        ask = [vt.locate_line(vseps[0]), "Print Assumptions scillm_check.", vt.locate_line(vseps[1])]
        rseps = [vt.separator(), vt.separator()]
        scan = recursion_sentences(root, PROBLEM_ROOT, f"{root}.Candidate.{name}", vt.locate_line(rseps[0]),
                                   vt.locate_line(rseps[1]))
        chk_args = ["-silent", "-o", *paths, "-norec", f"{PROBLEM_ROOT}.Problem", "-norec", f"{root}.Candidate"]
        view = self._coqchk_view(loaded, sandboxed)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="scillm-coqchk") as pool:
            kernel = pool.submit(contextvars.copy_context().run, self._coqchk, chk_args, mounts, view, sandboxed,
                                 deadline)
            standby = (pair.verify, pair.verify_dir) if pair else None
            verify = [*check, *applies, *ask, *scan] if predicted else [*check, *applies, *scan]
            run = self._compile(standby, "Verify.v", [], [], verify, ["-q", *paths], mounts, sandboxed, deadline)
            chk = kernel.result()
        if run.timed_out or chk.timed_out:
            return Verdict(status="timeout", message="the independent check ran out of time")
        if interrupted(run) or interrupted(chk):
            return Verdict(status="error", message="the independent check was interrupted")
        if run.rc != 0:
            failed = vt.last_error(run.err)
            if failed is not None and failed[0] > "\n".join(verify[:-len(scan)]).count("\n") + 1:
                return Verdict(status="error", message=f"could not read the proof term: {failed[1][:300]}")
            if failed is not None and failed[0] == 3:
                return Verdict(status="rejected", message="the decls change the meaning of the statement: read with "
                               "the header alone it elaborates to a different proposition (move scope and notation "
                               "commands into the header)")
            if failed is not None and failed[0] == len(check):
                return Verdict(status="rejected", message="the decls change the meaning of the statement: read with "
                               "the header, the decls' names as parameters, it elaborates to a different proposition "
                               "(move scope, notation and instance commands into the header)")
            return Verdict(status="rejected", message="the proved theorem does not have the requested statement")
        got_plain = vt.regions(run.out, psep)
        reads_plain = vt.plain_answer(got_plain[0]) if got_plain else None
        if reads_plain is None:
            return Verdict(status="error", message="could not read whether the statement needs the decls")
        if not reads_plain and built.meaning_change is not None:
            return Verdict(status="rejected", message=built.meaning_change)
        got_general = vt.regions(run.out, gseps)
        general = vt.plain_answer(got_general[0]) if got_general else None
        if general is None:
            return Verdict(status="error", message="could not read whether the statement reads with the decls' names "
                           "as parameters")
        unread = None if reads_plain or general else unread_refusal(cand.problem.decls, cand.problem.statement,
                                                                    parses=built.parses)
        if unread is not None:
            return Verdict(status="rejected", message=unread)
        if (levels := chosen_levels(vt.regions(run.out, useps), ("Problem.", f"{PROBLEM_ROOT}.Problem."),
                                    built.constants)) is not None:
            return levels
        recursion = vt.regions(run.out, rseps)
        own = recursion_answer(recursion[0]) if recursion else None
        if own is None:
            return Verdict(status="error", message="could not read whether the proof defines its own recursion")
        summary = vt.parse_coqchk(chk.out + "\n" + chk.err)
        if chk.rc != 0 or summary is None:
            text = (chk.err or chk.out).strip()[-300:]
            return Verdict(status="rejected", message=f"the kernel checker (coqchk) refused the proof: {text}")
        wanted = needs_assumptions(summary)
        self._remember(memo, wanted)
        if not wanted:
            return unless_own_recursion(policy(summary, vt.Assumptions(), loaded, PROBLEM_ROOT, root), own)
        if not predicted:
            write(scratch, "Verify.v", [*check, *ask, *scan])
            run = self._run("coqc", ["-q", *paths, "Verify.v"], mounts, sandboxed, deadline)
            if run.timed_out:
                return Verdict(status="timeout", message="the independent check ran out of time")
            if interrupted(run) or run.rc != 0:
                return Verdict(status="error", message="could not list the theorem's assumptions")
        assumed = vt.regions(run.out, vseps)
        if assumed is None:
            return Verdict(status="error", message="could not read the theorem's assumptions")
        return unless_own_recursion(policy(summary, vt.parse_assumptions(assumed[0]), loaded, PROBLEM_ROOT, root),
                                     own)

    def _coqchk_view(self, loaded: frozenset[str], sandboxed: bool) -> tuple[tuple[str, str], ...] | None:
        """Mounts of only the library directories `loaded` uses (`verdict_coqlib`); None: the whole installation."""
        if not sandboxed or self.binaries is None or self.binaries.major >= 9 or self.problems is None:
            return None
        coqlib = installed_coqlib(self.binaries.compile)
        if coqlib is None:
            return None
        empty = os.path.join(self.problems.root(), "empty")
        os.makedirs(empty, mode=0o755, exist_ok=True)
        return view_mounts(coqlib, loaded, empty)

    def _coqchk(self, args: list[str], mounts: sandbox.Mounts, view: tuple[tuple[str, str], ...] | None,
                sandboxed: bool, deadline: Deadline) -> sandbox.RunResult:
        """`coqchk` on the library view when there is one; a check that fails there runs on the whole installation."""
        assert self._run is not None
        if view is not None:
            narrow = sandbox.Mounts(scratch=mounts.scratch, readonly=(*mounts.readonly, *view))
            run = self._run("coqchk", ["-coqlib", VIEW_COQLIB, *args], narrow, sandboxed, deadline)
            ok = run.rc == 0 and vt.parse_coqchk(run.out + "\n" + run.err) is not None
            with self._lock:
                self.stats["coqchk_view" if ok else "coqchk_view_failed"] += 1
            if ok or interrupted(run):
                return run
        return self._run("coqchk", args, mounts, sandboxed, deadline)

    def _remember(self, memo: str, wanted: bool) -> None:
        with self._lock:
            self._wants_assumptions[memo] = wanted
            while len(self._wants_assumptions) > _MAX_REMEMBERED:
                self._wants_assumptions.pop(next(iter(self._wants_assumptions)))


_engine: VerdictEngine | None = None
_engine_lock = threading.Lock()


def default_engine() -> VerdictEngine:
    """One engine per process, so each problem is compiled once."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = VerdictEngine()

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
