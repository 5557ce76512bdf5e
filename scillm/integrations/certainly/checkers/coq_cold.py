"""CoqColdChecker: one `coqc` run per check, the baseline and fallback for the warm pool.

Same input validation and soundness guards as the warm checker
(`coq_candidate.prepare`); the file is header, `Print Libraries`, decls, the
theorem and proof, then (to confirm) `Print Assumptions` and
`Check (name : stmt)`, with `Locate <nonce>` lines as separators in the
output. Axiom names are resolved with a second run only when there are any.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import secrets
import signal
import subprocess
import tempfile

from scillm.integrations.certainly.checkers.coq import CoqCheckerBase, parse_assumptions
from scillm.integrations.certainly.checkers.coq_candidate import Candidate, verdict
from scillm.integrations.certainly.checkers.coq_session import CoqBinaries, adapt_header, find_coq
from scillm.integrations.certainly.checkers.diagnostics import classify, missing_library
from scillm.integrations.certainly.checkers.soundness import axiom_allowed
from scillm.integrations.certainly.models import (
    CheckerInfo,
    CheckResult,
    CheckStatus,
    Message,
)

_FILE_ERROR = re.compile(r'File "[^"]*", line (\d+), characters (\d+)-(\d+):\s*\n(.*)', re.S)


class _Run:
    def __init__(self, rc: int | None, out: str, err: str, timed_out: bool) -> None:
        self.rc, self.out, self.err, self.timed_out = rc, out, err, timed_out


class CoqColdChecker(CoqCheckerBase):
    """Checks each proof with a fresh `coqc` (about 0.6 s with a Lia header)."""

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

    def _limits(self) -> None:
        if self.mem_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (self.mem_bytes, self.mem_bytes))

    def _coqc(self, source: str, timeout_s: float) -> _Run:
        assert self.binaries is not None
        with tempfile.TemporaryDirectory(prefix="scillm-coqc-") as tmp:
            path = os.path.join(tmp, "scillm_candidate.v")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(source)
            proc = subprocess.Popen(
                [*self.binaries.compile, "-q", path], cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True, preexec_fn=self._limits if self.mem_bytes else None,
            )
            try:
                out, err = proc.communicate(timeout=timeout_s)
                return _Run(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), False)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                return _Run(None, "", "", True)

    def _check_candidate(self, cand: Candidate, timeout_s: float, confirm: bool) -> CheckResult:
        problem = cand.problem
        assert self.binaries is not None  # checked by CoqCheckerBase._check
        code = cand.code()
        marks = [f"scillm_mark_{secrets.token_hex(6)}" for _ in range(3)]
        header = adapt_header(problem.header, self.binaries.major)
        lines = [header, "Print Libraries.", f"Locate {marks[0]}."]
        first_line = sum(part.count("\n") + 1 for part in lines) + 1
        body = cand.lines()
        lines += body
        if confirm:
            lines += [f"Locate {marks[1]}.", cand.confirm_lines()[0], f"Locate {marks[2]}.", cand.confirm_lines()[1]]
        run = self._coqc("\n".join(lines) + "\n", timeout_s + 1.0)
        if run.timed_out:
            return verdict("timeout", "timeout", f"coqc did not finish within {timeout_s:g} s", self.info, code=code)
        if run.rc != 0:
            return self._failure(cand, run, first_line, code)
        if not confirm:
            return CheckResult(ok=True, status="proved", checker=self.info, code=code)
        libs_text = run.out.split("Loaded library files:", 1)[-1].split(f"No object of basename {marks[0]}", 1)[0]
        libraries = frozenset(ln.strip() for ln in libs_text.splitlines() if ln.strip())
        assumptions = run.out.split(marks[1], 1)[-1].split(f"No object of basename {marks[2]}", 1)[0]
        names, other = parse_assumptions(assumptions)
        if other:
            return verdict("rejected", "forbidden", f"kernel checks weakened: {'; '.join(other)[:300]}", self.info,
                           code=code)
        axioms: list[str] = []
        if names:
            sep = f"scillm_sep_{secrets.token_hex(6)}"
            queries = [q for n in names for q in (f"Locate {sep}.", f"Locate {n}.")]
            probe = self._coqc("\n".join([*lines, *queries]) + "\n", timeout_s + 30.0)
            chunks = probe.out.split(f"No object of basename {sep}")[1:]
            paths = [m.group(1) if (m := re.search(r"^Constant\s+(\S+)", c, re.M)) else "" for c in chunks]
            if probe.rc != 0 or len(paths) != len(names):
                return verdict("rejected", "forbidden", "could not resolve the axioms used", self.info, code=code)
            for name, path in zip(names, paths, strict=True):
                if not axiom_allowed(path, libraries):
                    return verdict("rejected", "forbidden", f"proof depends on axiom {path} ({name}), which the "
                                   "header's imports do not bring", self.info, code=code)
                axioms.append(path)
        return CheckResult(ok=True, status="proved", axioms=sorted(axioms), checker=self.info, code=code)

    def _failure(self, cand: Candidate, run: _Run, first_line: int, code: str) -> CheckResult:
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
