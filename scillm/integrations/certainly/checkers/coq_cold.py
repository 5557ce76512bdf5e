"""CoqColdChecker: one sandboxed `coqc` run per check, the baseline and fallback for the warm pool.

Same input validation and soundness guards as the warm checker
(`coq_candidate.prepare`); the file is the header, the decls, the theorem and
the proof. Nothing printed by the file is read to decide anything: a pass is
only a candidate, and `confirm=True` hands it to the independent verdict
(`checkers.verdict`), whose axiom list comes from coqchk.
"""

from __future__ import annotations

import re
import tempfile

from scillm.integrations.certainly.checkers import prover_sandbox as sandbox
from scillm.integrations.certainly.checkers.coq import CoqCheckerBase
from scillm.integrations.certainly.checkers.coq_candidate import Candidate, verdict
from scillm.integrations.certainly.checkers.coq_session import CoqBinaries, adapt_header, find_coq
from scillm.integrations.certainly.checkers.diagnostics import classify, missing_library
from scillm.integrations.certainly.models import (
    CheckerInfo,
    CheckResult,
    CheckStatus,
    Message,
)

_FILE_ERROR = re.compile(r'File "[^"]*", line (\d+), characters (\d+)-(\d+):\s*\n(.*)', re.S)


class CoqColdChecker(CoqCheckerBase):
    """Checks each proof with a fresh sandboxed `coqc` (about 0.6 s with a Lia header)."""

    def __init__(self, *, timeout_ms: int = 20_000, mem_bytes: int | None = 4 << 30,
                 binaries: CoqBinaries | None = None) -> None:
        self.default_timeout_ms = timeout_ms
        self.mem_bytes = mem_bytes
        self.binaries = binaries or find_coq()
        self.info = CheckerInfo(name="coq", version=self.binaries.version if self.binaries else None, mode="cold")

    async def aclose(self) -> None:
        return None

    def close(self) -> None:
        return None

    def _coqc(self, source: str, timeout_s: float) -> sandbox.RunResult:
        assert self.binaries is not None
        with tempfile.TemporaryDirectory(prefix="scillm-coqc-") as tmp:
            with open(f"{tmp}/scillm_candidate.v", "w", encoding="utf-8") as fh:
                fh.write(source)
            cmd = sandbox.launch([*self.binaries.compile, "-q", "scillm_candidate.v"], sandbox.Mounts(scratch=tmp))
            return sandbox.run(cmd, timeout_s=timeout_s, mem_bytes=self.mem_bytes)

    def _check_candidate(self, cand: Candidate, timeout_s: float) -> CheckResult:
        problem = cand.problem
        assert self.binaries is not None  # checked by CoqCheckerBase._check
        code = cand.code()
        header = adapt_header(problem.header, self.binaries.major)
        first_line = header.count("\n") + 2
        run = self._coqc("\n".join([header, *cand.lines()]) + "\n", timeout_s + 1.0)
        if run.timed_out:
            return verdict("timeout", "timeout", f"coqc did not finish within {timeout_s:g} s", self.info, code=code)
        if run.rc != 0:
            return self._failure(cand, run, first_line, code)
        return CheckResult(ok=True, status="proved", checker=self.info, code=code)

    def _failure(self, cand: Candidate, run: sandbox.RunResult, first_line: int, code: str) -> CheckResult:
        m = _FILE_ERROR.search(run.err)
        text = " ".join((m.group(4) if m else run.err or f"coqc exited with {run.rc}").split())
        lib = missing_library(text)
        if lib is not None:
            return verdict("env_unavailable", "other", f"library {lib} is not installed here ({text})", self.info,
                           code=code)
        if m is None:
            status: CheckStatus = "crashed" if run.rc is not None and run.rc < 0 else "failed"
            return verdict(status, "other", text, self.info, code=code)
        err_line, col = int(m.group(1)), int(m.group(2))
        cls = classify(text)
        msg = Message(severity="error", text=text)
        proof_first = first_line + sum(s.text.count("\n") + 1 for s in cand.decls) + 2
        if err_line < first_line + sum(s.text.count("\n") + 1 for s in cand.decls):
            msg = Message(severity="error", text=f"in header or decls: {text}")
            cls = cls if cls in ("timeout", "parse_error") else "other"
        line = proof_first
        for s in cand.proof:
            span = s.text.count("\n") + 1
            if line <= err_line < line + span:
                k = err_line - line
                msg = Message(severity="error", text=text, line=s.line + k, column=(s.column + col) if k == 0 else col)
                break
            line += span
        final: CheckStatus = "timeout" if cls == "timeout" else "failed"
        return CheckResult(ok=False, status=final, error_class=cls, messages=[msg], checker=self.info, code=code)


__all__ = ["CoqColdChecker"]
