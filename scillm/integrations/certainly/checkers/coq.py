"""CoqChecker: Coq proofs checked in a pool of warm, sandboxed coqtop sessions.

A search-level check is one write and one read: `BackTo <base>` (a Silent
state: no goal is printed after each sentence), `Set Default Timeout` when it
differs from the session's, the decls, `Theorem name : stmt.`, `Proof.`, the
candidate's tactic sentences, `Qed.`, a sentinel. The next candidate for the
same decls and statement goes `BackTo` the state after `Proof.` and sends
only its tactics and `Qed.`. It passes only when no sentence up to `Qed` printed an
error (coqtop goes on after one) and no proof is open after `Qed`; when goals
are left, a second request (`Show.`) prints them.
That pass is a candidate, nothing more: with `confirm=True` (and in
`confirm()`/`verify()`) the proof becomes `proved` only when the independent
verdict (`checkers.verdict`: fresh sandboxed coqc runs on files assembled from
the original statement, then coqchk) accepts it. The cold `coqc` path lives
in `coq_cold.py`.
"""

from __future__ import annotations

import abc
import asyncio
import math
import re
import shutil
import time

from scillm.integrations.certainly.checkers.coq_candidate import Candidate, prepare, verdict
from scillm.integrations.certainly.checkers.coq_session import (
    CoqBinaries,
    CoqSession,
    find_coq,
    library_fingerprint,
)
from scillm.integrations.certainly.checkers.diagnostics import (
    classify,
    errors_in,
    goals_in,
    split_tags,
    to_message,
    warnings_in,
)
from scillm.integrations.certainly.checkers.faults import (
    OutputTooLargeError,
    ProcessDiedError,
    ProcessTimeoutError,
    SessionBrokenError,
)
from scillm.integrations.certainly.checkers.pool import (
    PoolBusyError,
    PoolClosedError,
    PoolConfig,
    SessionPool,
)
from scillm.integrations.certainly.checkers.prover_sandbox import sandbox_problem
from scillm.integrations.certainly.checkers.sentences import Sentence
from scillm.integrations.certainly.checkers.verdict import default_engine, independent_verdict
from scillm.integrations.certainly.models import (
    BackendStatus,
    CheckerInfo,
    CheckResult,
    CheckStatus,
    Message,
    Problem,
)

_GRACE_S = 2.0
_SICK = re.compile(r"Out of memory|Stack overflow|Anomaly")
_AXIOM_ENTRY = re.compile(r"([A-Za-z_][\w'.]*)(?:\s+:\s.*)?\Z")


def coq_status() -> BackendStatus:
    """Whether coqtop/coqc (or rocq) are here, with the version; never raises."""

    binaries = find_coq()
    found = {b: shutil.which(b) for b in ("coqtop", "coqc", "rocq")}
    if binaries is None:
        return BackendStatus(
            name="coq", available=False, binaries=found,
            reason="coqtop/coqc (Coq >= 8.16) or rocq (Rocq 9) not found on PATH; apt-get install coq",
        )

    found["bwrap"] = shutil.which("bwrap")
    reason = sandbox_problem()
    if reason is not None:
        return BackendStatus(name="coq", available=False, version=binaries.version, binaries=found, reason=reason)
    return BackendStatus(name="coq", available=True, version=binaries.version, binaries=found)


def parse_assumptions(text: str) -> tuple[list[str], list[str]]:
    """(axiom names, other findings) from `Print Assumptions` output, read by its structure.

    Only entries at column 0 under a heading count: names under `Axioms:` are
    axioms; any other heading (disabled guard or positivity checking,
    type-in-type) and its entries are findings. Text before the first heading
    (such as "Closed under the global context") is never evidence of anything;
    the verdict's axiom decision comes from `coqchk` (see `checkers.verdict`).
    """
    clean, _, _ = split_tags(text)
    axioms: list[str] = []
    other: list[str] = []
    section = None
    for line in clean.splitlines():
        if not line.strip() or line.startswith((" ", "\t")):
            continue
        if line.rstrip().endswith(":") and " : " not in line:
            section = line.strip()
            if section != "Axioms:":
                other.append(section)
            continue
        if section is None:
            continue
        entry = _AXIOM_ENTRY.match(line.strip())
        if section == "Axioms:" and entry is not None and "assumed" not in line:
            axioms.append(entry.group(1))
        else:
            other.append(line.strip())
    if not clean.strip():
        other.append("no Print Assumptions answer")
    return axioms, other


class CoqCheckerBase(abc.ABC):
    """What the warm and cold Coq checkers share: input validation, timing, the async face.

    Subclasses set `binaries`, `default_timeout_ms`, `info` and implement
    `_check_candidate` for a validated candidate.
    """

    name = "coq"
    binaries: CoqBinaries | None
    default_timeout_ms: int
    info: CheckerInfo

    def status(self) -> BackendStatus:
        return coq_status()

    def library_fingerprint(self) -> str:
        """Changes when the installed Coq libraries change (part of every cache key)."""

        return library_fingerprint(self.binaries.compile) if self.binaries else ""

    async def check(
        self, problem: Problem, proof: str, *, timeout_ms: int | None = None, confirm: bool = True
    ) -> CheckResult:
        return await asyncio.to_thread(self.check_sync, problem, proof, timeout_ms=timeout_ms, confirm=confirm)

    async def confirm(self, problem: Problem, proof: str) -> CheckResult:
        """The independent verdict (fresh sandboxed coqc + coqchk) on a proof the search accepted."""
        return await asyncio.to_thread(self.verify_sync, problem, proof)

    async def verify(self, problem: Problem, proof: str, imports: tuple[str, ...] = ()) -> CheckResult:
        """`confirm` with the trusted imports the search added."""
        return await asyncio.to_thread(self.verify_sync, problem, proof, imports)

    def prefetch_verdict(self, problem: Problem) -> bool:
        """Start compiling the problem's part of the independent verdict now, while its search runs.

        The compile runs in the caller's context (cancelling the request stops
        it); the later verdict on a winner then only compiles the proof.
        """

        return default_engine().prefetch(problem)

    def release_verdict(self, problem: Problem) -> None:
        """Stop the standby provers the prefetch started for `problem` (its search ended without a verdict)."""
        default_engine().release(problem)

    def verify_sync(self, problem: Problem, proof: str, imports: tuple[str, ...] = ()) -> CheckResult:
        timeout_s = max(60.0, 3 * self.default_timeout_ms / 1000)
        return independent_verdict(problem, proof, imports, timeout_s=timeout_s).to_check_result()

    def check_sync(
        self, problem: Problem, proof: object, *, timeout_ms: int | None = None, confirm: bool = True
    ) -> CheckResult:
        """Blocking `check`; safe from any thread."""
        t0 = time.perf_counter()
        result = self._check(problem, proof, timeout_ms, confirm)
        result.time_ms = round((time.perf_counter() - t0) * 1000, 3)
        return result

    def _check(self, problem: Problem, proof: object, timeout_ms: int | None, confirm: bool) -> CheckResult:
        if self.binaries is None:
            return verdict("env_unavailable", None, coq_status().reason or "coq is not available", self.info)
        unsafe = sandbox_problem()
        if unsafe is not None:
            return verdict("env_unavailable", None, unsafe, self.info)
        cand = prepare(problem, proof, self.info)
        if isinstance(cand, CheckResult):
            return cand
        found = self._check_candidate(cand, (timeout_ms or self.default_timeout_ms) / 1000)
        if not confirm or not found.ok:
            return found
        final = self.verify_sync(problem, cand.source)
        return final.model_copy(update={"messages": [*found.messages, *final.messages],
                                        "checker": self.info if final.ok else final.checker})

    @abc.abstractmethod
    def _check_candidate(self, cand: Candidate, timeout_s: float) -> CheckResult:
        """The search-level check: `proved` here is a candidate, never the final verdict."""


class CoqChecker(CoqCheckerBase):
    """Checks Coq proofs soundly with warm coqtop sessions (one pool per checker)."""

    def __init__(
        self,
        *,
        pool_size: int | None = None,
        timeout_ms: int = 20_000,
        mem_bytes: int | None = 4 << 30,
        recycle_after: int = 5000,
        max_rss_bytes: int | None = 2 << 30,
        wait_s: float = 120.0,
        binaries: CoqBinaries | None = None,
    ) -> None:
        self.default_timeout_ms = timeout_ms
        self.mem_bytes = mem_bytes
        self.binaries = binaries or find_coq()
        self.pool: SessionPool[CoqSession] = SessionPool(
            self._new_session,
            PoolConfig(size=pool_size, recycle_after=recycle_after, max_rss_bytes=max_rss_bytes, wait_s=wait_s),
        )
        version = self.binaries.version if self.binaries else None
        self.info = CheckerInfo(name="coq", version=version, mode="warm")

    def _new_session(self, header: str) -> CoqSession:
        assert self.binaries is not None
        return CoqSession(
            header, self.binaries, default_timeout_s=self.default_timeout_ms / 1000, mem_bytes=self.mem_bytes
        )

    def confirm_sync(self, problem: Problem, proof: str) -> CheckResult:
        return self.check_sync(problem, proof, confirm=True)

    def prewarm(self, header: str, n: int = 1) -> None:
        """Start `n` sessions for `header` in the background."""
        if self.binaries is not None:
            self.pool.prewarm(header, n)

    def _check_candidate(self, cand: Candidate, timeout_s: float) -> CheckResult:
        problem = cand.problem
        code = cand.code()
        for attempt in range(2):
            try:
                with self.pool.lease(problem.header) as session:
                    return self._run(session, cand, timeout_s, code)
            except SessionBrokenError as exc:
                if attempt == 1:
                    return verdict("crashed", "other", f"coqtop protocol fault: {exc}", self.info, code=code)
            except ProcessTimeoutError:
                return verdict("timeout", "timeout", f"no answer within {timeout_s:g} s; session replaced",
                               self.info, code=code)
            except ProcessDiedError as exc:
                return verdict("crashed", "other", f"coqtop died: {exc}", self.info, code=code)
            except OutputTooLargeError as exc:
                return verdict("failed", "other", str(exc), self.info, code=code)
            except PoolBusyError as exc:
                return verdict("timeout", "timeout", str(exc), self.info, code=code)
            except PoolClosedError as exc:
                return verdict("crashed", "other", str(exc), self.info, code=code)
        raise AssertionError("unreachable")

    def _run(self, session: CoqSession, cand: Candidate, timeout_s: float, code: str) -> CheckResult:
        head = session.header
        if head.error is not None:
            if head.missing:
                text = f"library {head.missing} is not installed here ({head.error})"
                return verdict("env_unavailable", "other", text, self.info, code=code)
            return verdict("failed", "other", head.error, self.info, code=code)
        # Coq's own timeout first (reverted by the next BackTo); the wall clock is the guarantee. Goals are
        # not printed after every sentence (the base state is Silent); a `Show.` after a `Qed.` that left them
        # open prints them. The state right after `Proof.` is kept, so the next candidate for the same decls
        # and statement starts there instead of elaborating them again.
        prefix = (*(s.text for s in cand.decls), cand.theorem, "Proof.")
        roles: list[tuple[str, Sentence | None]] = [("proof", s) for s in cand.proof] + [("Qed", None)]
        start = session.proof_start
        seconds = max(1, math.ceil(timeout_s))
        reuse = start is not None and start.prefix == prefix
        if start is not None and reuse:
            back, expect, active = start.state, (cand.name, cand.name), start.timeout_s
            body = [*(s.text for s in cand.proof), "Qed."]
        else:
            back, expect, active = head.base_state, ("Coq", ""), math.ceil(session.default_timeout_s)
            body = cand.lines()
            roles = [("decls", d) for d in cand.decls] + [("statement", None), ("Proof", None)] + roles
        lines = [f"BackTo {back}."]
        if seconds != active:  # the state gone back to carries its own timeout
            lines.append(f"Set Default Timeout {seconds}.")
        skip = len(lines)
        lines += body
        reply = session.request(lines, timeout_s + _GRACE_S)
        arrived = reply.prompts[0]
        if errors_in(reply.segments[0]) or arrived[1] != back or (arrived[0], arrived[2]) != expect:
            session.broken = True
            raise SessionBrokenError("BackTo did not restore the state it named")
        messages: list[Message] = []
        first_class = None
        for (where, sentence), seg in zip(roles, reply.segments[skip:], strict=True):
            for d in errors_in(seg):
                if _SICK.search(d.text):
                    session.broken = True  # answered, but retire it: its heap or stack state is suspect
                if first_class is None:
                    first_class = classify(d.text)
                    if where == "statement" and first_class == "tactic_failed":
                        first_class = "type_mismatch"
                    elif where == "decls" and first_class not in ("timeout", "parse_error"):
                        first_class = "other"
                msg = to_message(d, sentence if where == "proof" else None)
                if where != "proof":
                    msg = msg.model_copy(update={"text": f"in {where}: {msg.text}"})
                messages.append(msg)
            if where == "proof":
                messages.extend(to_message(w, sentence) for w in warnings_in(seg))
        if not reuse:
            session.remember_proof_start(prefix, seconds, reply.prompts[skip + len(prefix) - 1],
                                         reply.segments[skip:][:len(prefix)], cand.name)
        final = reply.prompts[-1]  # after Qed
        if first_class is None and (final[0] != "Coq" or final[2].strip()):
            first_class = "unsolved_goals"
            messages.append(Message(severity="error", text="proof is still open after Qed"))
        if first_class is not None:
            goals: list[str] = []
            if first_class == "unsolved_goals":
                goals = goals_in(session.request(["Show."], timeout_s + _GRACE_S).segments[0])
            status: CheckStatus = "timeout" if first_class == "timeout" else "failed"
            return CheckResult(ok=False, status=status, error_class=first_class, messages=messages, goals=goals,
                               checker=self.info, code=code)
        return CheckResult(ok=True, status="proved", messages=messages, checker=self.info, code=code)

    async def aclose(self) -> None:
        await asyncio.to_thread(self.pool.close)

    def close(self) -> None:
        self.pool.close()


__all__ = ["CoqChecker", "CoqCheckerBase", "coq_status", "parse_assumptions"]
