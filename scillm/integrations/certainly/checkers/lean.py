"""Lean 4 proof checking through warm REPL sessions, one per header, soundly.

A `LeanSession` is one `repl` process (leanprover-community/repl, started as
`lake env repl` in `CERTAINLY_LEAN_PROJECT`) that has elaborated the header's
`import` lines once; every check is one command on top of that environment id
(as Kimina Lean Server does), so imports are never paid twice. Sessions live
in the generic `SessionPool` (LRU by header, recycling, RSS cap, spares).

Verdict, in order: bad input -> `failed`; a header outside the allow-list or
forbidden tokens in statement, decls or proof (`lean_soundness`, read by the
`lean_tokens` tokenizer) -> `rejected`; any Lean error -> `failed`; any
`sorry` (REPL `sorries` or the warning) -> `rejected`. That is the search
check (`confirm=False`). `proved` comes only from the independent verdict
(`lean_verdict`: fresh candidate and verification modules, `#print axioms`
read by structure), which `confirm()` and `check(confirm=True)` run. Timeouts
kill the session (`timeout`), dead or confused REPLs are discarded
(`crashed`); neither is ever `proved`. When the REPL cannot be started,
`lake env lean --json` on a temporary file (`lean_cold`) answers instead.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

from scillm.integrations.certainly.checkers.faults import (
    ProverSandboxUnavailableError,
    ReplFaultError,
    ReplTimeoutError,
)
from scillm.integrations.certainly.checkers.lean_cold import run_cold
from scillm.integrations.certainly.checkers.lean_diagnostics import LeanVerdict, judge
from scillm.integrations.certainly.checkers.lean_sandbox import ExtraMounts
from scillm.integrations.certainly.checkers.lean_session import (
    LeanConfig,
    LeanHeaderError,
    LeanSession,
    backend_status,
)
from scillm.integrations.certainly.checkers.lean_soundness import (
    forbidden_in_decls,
    forbidden_in_proof,
    forbidden_in_statement,
    header_parts,
)
from scillm.integrations.certainly.checkers.lean_verdict import IndependentVerdict, independent_verdict
from scillm.integrations.certainly.checkers.pool import (
    PoolBusyError,
    PoolClosedError,
    PoolConfig,
    SessionPool,
)
from scillm.integrations.certainly.models import BackendStatus, CheckerInfo, CheckResult, Message, Problem

_IDENT = re.compile(r"^[A-Za-z_\u00C0-\u024F\u0370-\u03FF][\w.'!?\u00C0-\u024F\u0370-\u03FF]*$")


def split_header(header: str) -> tuple[str, str]:
    """(import lines, everything else): imports go to the session, the rest before each check."""
    imports, rest, _ = header_parts(header)
    return imports, rest


@dataclass(frozen=True)
class Assembled:
    """The source of one check: imports (session), command (REPL), and where proof and decls sit."""

    imports: str
    cmd: str
    offset: int
    """Lines of the full source before the command."""
    body: str
    body_line: int
    body_column: int
    decls_line: int

    @property
    def code(self) -> str:
        return f"{self.imports}\n{self.cmd}" if self.imports else self.cmd


def assemble(problem: Problem, proof: str) -> Assembled:
    """Header imports, then `prelude`, `decls`, `theorem name : statement := proof` as one command."""
    imports, prelude = split_header(problem.header)
    body = proof.strip()
    if body.startswith(":="):
        body = body[2:].lstrip()
    decls = problem.decls.strip()
    head = "\n".join(part for part in (prelude, decls) if part)
    lead = f"theorem {problem.theorem_name} : {problem.statement.strip()} := "
    cmd = f"{head}\n{lead}{body}" if head else f"{lead}{body}"
    offset = imports.count("\n") + 1 if imports else 0
    before = cmd[: len(cmd) - len(body)]
    decls_at = cmd.find(decls) if decls else 0
    return Assembled(
        imports=imports, cmd=cmd, offset=offset, body=body,
        body_line=offset + before.count("\n") + 1, body_column=len(before) - before.rfind("\n") - 1,
        decls_line=offset + cmd[:decls_at].count("\n") + 1,
    )


def bad_input(problem: Problem, proof: object, max_chars: int) -> str | None:
    """Why the input cannot be checked at all, or None."""
    if not isinstance(proof, str):
        return f"the proof must be a string, not {type(proof).__name__}"
    for what, text in (("statement", problem.statement), ("proof", proof), ("header", problem.header),
                       ("declarations", problem.decls)):
        if what in ("statement", "proof") and not text.strip():
            return f"the {what} is empty"
        if len(text) > max_chars:
            return f"the {what} has {len(text)} characters; the limit is {max_chars}"
        if "\x00" in text:
            return f"the {what} contains a NUL character"
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return f"the {what} is not valid UTF-8"
    if not _IDENT.match(problem.theorem_name):
        return f"theorem name {problem.theorem_name!r} is not a Lean identifier"
    return None


_VERDICT_STATUS = {"proved": "proved", "failed": "failed", "rejected": "rejected", "error": "crashed",
                   "timeout": "timeout", "env_unavailable": "env_unavailable"}


class LeanChecker:
    """The `Checker` for Lean 4: warm REPL sessions from a header-keyed pool."""

    name = "lean"

    def __init__(self, config: LeanConfig | None = None, *, extra_mounts: ExtraMounts | None = None) -> None:
        """`extra_mounts` (a server or test setting, never a request's) widens what the REPL sandbox sees."""
        self.config = config or LeanConfig.model_validate({})
        self.extra_mounts = extra_mounts
        self._pool: SessionPool[LeanSession] | None = None
        self._status: BackendStatus | None = None
        self._header_errors: dict[str, str] = {}

    def status(self) -> BackendStatus:
        if self._status is None:
            self._status = backend_status(self.config)
        return self._status

    def pool(self) -> SessionPool[LeanSession]:
        """The session pool, built on first use."""
        if self._pool is None:
            cfg, extra = self.config, self.extra_mounts
            self._pool = SessionPool(
                lambda key: LeanSession(key, cfg, extra),
                PoolConfig(size=cfg.pool_size, recycle_after=cfg.recycle_after,
                           max_rss_bytes=cfg.max_rss_mb << 20 if cfg.max_rss_mb else None, wait_s=cfg.wait_s),
            )
        return self._pool

    def prewarm(self, header: str, n: int = 1) -> None:
        """Start `n` sessions for `header` in the background (imports are elaborated there, not in a check)."""
        if self.status().available and self.config.mode == "warm":
            self.pool().prewarm(split_header(header)[0], n)

    def verdict_policy(self) -> str:
        """What in this checker's config changes which proofs are `proved` (part of every cache key)."""
        return f"native_decide={self.config.allow_native_decide};replay={list(self.config.replay_cmd or ())}"

    def _info(self, mode: str) -> CheckerInfo:
        return CheckerInfo(name=self.name, version=self.status().version, mode=mode)

    def _result(self, verdict: LeanVerdict, *, started: float, mode: str, code: str,
                axioms: list[str] | None = None) -> CheckResult:
        status = verdict.status
        return CheckResult(
            ok=status == "proved", status=status, error_class=verdict.error_class, messages=verdict.messages,
            goals=verdict.goals, axioms=axioms or [], time_ms=(time.perf_counter() - started) * 1000,
            checker=self._info(mode), code=code,
        )

    def _plain(self, status: str, error_class: str | None, text: str, *, started: float, mode: str,
               code: str = "") -> CheckResult:
        verdict = LeanVerdict(status, error_class, [Message(severity="error", text=text)])  # type: ignore[arg-type]
        return self._result(verdict, started=started, mode=mode, code=code)

    async def check(
        self, problem: Problem, proof: str, *, timeout_ms: int | None = None, confirm: bool = True
    ) -> CheckResult:
        """Check one proof (`by ...` block or term); never raises for a bad proof or a dead REPL."""
        started = time.perf_counter()
        mode = self.config.mode
        why = bad_input(problem, proof, self.config.max_input_chars)
        if why is not None:
            return self._plain("failed", "parse_error", why, started=started, mode=mode)
        job = assemble(problem, proof)
        forbidden = await asyncio.to_thread(self._forbidden, problem, job)
        if forbidden:
            return self._result(LeanVerdict("rejected", "forbidden", forbidden), started=started, mode=mode,
                                code=job.code)
        status = self.status()
        if not status.available:
            return self._plain("env_unavailable", None, status.reason or "Lean is unavailable", started=started,
                               mode=mode, code=job.code)
        timeout_s = (timeout_ms or self.config.timeout_ms) / 1000
        run = self._check_cold if mode == "cold" else self._check_warm
        searched = await asyncio.to_thread(run, problem, job, timeout_s, started)
        if not confirm or searched.status != "proved":
            return searched
        return await asyncio.to_thread(self._verdict, problem, proof, job, timeout_s, started)

    def _verdict(self, problem: Problem, proof: str, job: Assembled, timeout_s: float,
                 started: float) -> CheckResult:
        verdict: IndependentVerdict = independent_verdict(problem, proof, timeout_s=timeout_s, config=self.config)
        status = _VERDICT_STATUS[verdict.status]
        error_class = (None if status in ("proved", "env_unavailable") else "forbidden" if status == "rejected"
                       else "timeout" if status == "timeout" else "other")
        messages = [] if status == "proved" else [Message(severity="error", text=verdict.message)]
        final = LeanVerdict(status, error_class, messages)  # type: ignore[arg-type]
        return self._result(final, started=started, mode="verdict", code=job.code, axioms=list(verdict.axioms))

    def _forbidden(self, problem: Problem, job: Assembled) -> list[Message]:
        allow = self.config.allow_native_decide
        msgs = []
        for v in header_parts(problem.header)[2]:
            msgs.append(Message(severity="error", text=f"not allowed in the header: {v.what}",
                                line=v.line, column=v.column))
        for v in forbidden_in_statement(problem.statement.strip(), allow_native_decide=allow):
            msgs.append(Message(severity="error", text=f"forbidden in the statement: {v.what}"))
        for v in forbidden_in_proof(job.body, allow_native_decide=allow):
            column = v.column + job.body_column if v.line == 1 else v.column
            msgs.append(Message(severity="error", text=f"forbidden in the proof: {v.what}",
                                line=job.body_line + v.line - 1, column=column))
        for v in forbidden_in_decls(problem.decls.strip(), allow_native_decide=allow,
                                    statement=problem.statement):
            msgs.append(Message(severity="error", text=f"forbidden in the declarations: {v.what}",
                                line=job.decls_line + v.line - 1, column=v.column))
        return msgs

    def _check_warm(self, problem: Problem, job: Assembled, timeout_s: float, started: float) -> CheckResult:
        code = job.code
        if job.imports in self._header_errors:
            return self._plain("env_unavailable", None, self._header_errors[job.imports], started=started,
                               mode="warm", code=code)
        pool = self.pool()
        try:
            session = pool.acquire(job.imports)
        except LeanHeaderError as exc:
            self._header_errors[job.imports] = str(exc)
            return self._plain("env_unavailable", None, str(exc), started=started, mode="warm", code=code)
        except ProverSandboxUnavailableError as exc:
            return self._plain("env_unavailable", None, str(exc), started=started, mode="warm", code=code)
        except ReplTimeoutError as exc:
            return self._plain("timeout", "timeout", f"loading the header: {exc}", started=started,
                               mode="warm", code=code)
        except ReplFaultError as exc:
            if self.config.fallback_cold:
                return self._check_cold(problem, job, timeout_s, started)
            return self._plain("env_unavailable", None, f"the Lean REPL could not start: {exc}",
                               started=started, mode="warm", code=code)
        except PoolBusyError as exc:
            return self._plain("timeout", "timeout", str(exc), started=started, mode="warm", code=code)
        except PoolClosedError as exc:
            return self._plain("crashed", "other", str(exc), started=started, mode="warm", code=code)
        try:
            return self._run_in(session, job, timeout_s, started)
        finally:
            pool.release(session)

    def _run_in(self, session: LeanSession, job: Assembled, timeout_s: float, started: float) -> CheckResult:
        code = job.code
        try:
            reply = session.command(job.cmd, timeout_s)
        except ReplTimeoutError as exc:
            return self._plain("timeout", "timeout", str(exc), started=started, mode="warm", code=code)
        except ReplFaultError as exc:
            return self._plain("crashed", "other", f"the Lean REPL failed: {exc}", started=started,
                               mode="warm", code=code)
        if reply.is_error:
            return self._plain("crashed", "other", f"the Lean REPL refused the command: {reply.message}",
                               started=started, mode="warm", code=code)
        return self._result(judge(reply.messages, reply.sorries, job.offset), started=started, mode="warm",
                            code=code)

    def _check_cold(self, problem: Problem, job: Assembled, timeout_s: float, started: float) -> CheckResult:
        code = job.code
        outcome = run_cold(self.config, code, None, timeout_s)
        if outcome.status != "ran":
            error_class = "timeout" if outcome.status == "timeout" else None
            return self._plain(outcome.status, error_class, outcome.detail, started=started, mode="cold",
                               code=code)
        return self._result(judge(outcome.messages, [], 0), started=started, mode="cold", code=code)

    async def confirm(self, problem: Problem, proof: str) -> CheckResult:
        """The independent verdict alone (after the same early rejections); the only way to `proved`."""
        started = time.perf_counter()
        why = bad_input(problem, proof, self.config.max_input_chars)
        if why is not None:
            return self._plain("failed", "parse_error", why, started=started, mode="verdict")
        job = assemble(problem, proof)
        forbidden = await asyncio.to_thread(self._forbidden, problem, job)
        if forbidden:
            return self._result(LeanVerdict("rejected", "forbidden", forbidden), started=started, mode="verdict",
                                code=job.code)
        return await asyncio.to_thread(self._verdict, problem, proof, job, self.config.timeout_ms / 1000, started)

    def close(self) -> None:
        """Stop every REPL this checker started (blocking; safe at interpreter exit)."""
        if self._pool is not None:
            self._pool.close()

    async def aclose(self) -> None:
        """Stop every REPL this checker started."""
        if self._pool is not None:
            await asyncio.to_thread(self._pool.close)


__all__ = [
    "Assembled",
    "LeanChecker",
    "LeanConfig",
    "LeanHeaderError",
    "LeanSession",
    "assemble",
    "split_header",
]
