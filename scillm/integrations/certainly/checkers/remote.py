"""A checker that asks a LeanWorker-style `POST /check` service, so a team can share a checker farm.

Wire format (LeanWorker's, plus optional extensions this client and
`scillm.bridges.check_server` understand): request `{imports, extra_prelude,
decls, theorem_name, stmt, proof, timeout_ms}` (+ `backend`, `header`,
`keyword`, `confirm`); reply `{ok, error_class, messages, time_ms}` (+ `status`,
`goals`, `axioms`, `checker`). Network and HTTP failures become `env_unavailable`
(unreachable, refused, auth, 503/429), `timeout` (no answer in time) or
`crashed` (5xx, a reply that is not the format); none is ever `proved`, and a
reply is `proved` only when `ok` is true and its `status`, if given, agrees.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scillm.integrations.certainly.models import (
    Backend,
    BackendStatus,
    CheckerInfo,
    CheckResult,
    CheckStatus,
    ErrorClass,
    Message,
    Problem,
)

_IMPORT_PREFIXES = ("import ", "Require ", "From ")


class CheckRequest(BaseModel):
    """Body of `POST /check`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    imports: list[str] = Field(default_factory=list)
    """Import lines of the header, verbatim (`import Mathlib`, `Require Import Lia.`); bare names mean `import X`."""
    extra_prelude: str = ""
    """The rest of the header (opens, options), placed after the imports."""
    decls: str = ""
    """Auxiliary definitions before the theorem."""
    theorem_name: str = "certainly_goal"
    """Name of the theorem."""
    stmt: str = Field(..., min_length=1)
    """The statement, without `theorem name :`."""
    proof: str
    """The proof body (Lean: `by ...` or a term; Coq: the script between `Proof.` and `Qed.`)."""
    timeout_ms: int | None = Field(None, ge=1, le=3_600_000)
    """Wall clock for the check on the server."""
    backend: Backend | None = None
    """Extension: which prover; the server's checker decides when absent."""
    header: str | None = None
    """Extension: the header verbatim (wins over `imports` + `extra_prelude`, keeps line order)."""
    keyword: str = "Theorem"
    """Extension: declaration keyword as written in the source."""
    confirm: bool = True
    """Extension, kept for compatibility: the server always runs the full verdict, whatever this says."""

    @classmethod
    def from_problem(cls, problem: Problem, proof: str, *, timeout_ms: int | None, confirm: bool) -> CheckRequest:
        imports, prelude = split_imports(problem.header)
        return cls(imports=imports, extra_prelude=prelude, decls=problem.decls, theorem_name=problem.theorem_name,
                   stmt=problem.statement, proof=proof, timeout_ms=timeout_ms, backend=problem.backend,
                   header=problem.header, keyword=problem.keyword, confirm=confirm)

    def to_problem(self, default_backend: Backend) -> Problem:
        header = self.header
        if header is None:
            lines = [i if i.startswith(_IMPORT_PREFIXES) else f"import {i}" for i in self.imports]
            header = "\n".join([*lines, self.extra_prelude] if self.extra_prelude else lines)
        return Problem(backend=self.backend or default_backend, header=header, decls=self.decls,
                       theorem_name=self.theorem_name, statement=self.stmt, keyword=self.keyword)


class CheckReply(BaseModel):
    """Body of the reply to `POST /check`."""

    model_config = ConfigDict(extra="ignore")

    ok: bool
    """True exactly when the proof was accepted soundly."""
    error_class: str | None = None
    """The checker's error class (`unsolved_goals`, `forbidden`, ...)."""
    messages: list[Any] = Field(default_factory=list)
    """Prover messages: `{severity, text|data, line, column}` objects or plain strings."""
    time_ms: float = 0.0
    """Server-side check time."""
    status: str | None = None
    """Extension: the full status (`proved`, `failed`, `timeout`, ...)."""
    goals: list[str] = Field(default_factory=list)
    """Extension: goals left open."""
    axioms: list[str] = Field(default_factory=list)
    """Extension: axioms the accepted proof uses."""
    checker: CheckerInfo | None = None
    """Extension: which checker answered."""

    @classmethod
    def from_result(cls, result: CheckResult) -> CheckReply:
        return cls(ok=result.ok, error_class=result.error_class, messages=[m.model_dump() for m in result.messages],
                   time_ms=result.time_ms, status=result.status, goals=result.goals, axioms=result.axioms,
                   checker=result.checker)


def split_imports(header: str) -> tuple[list[str], str]:
    """(import lines, the rest of the header); a multi-line Coq `Require` stays whole only in `header`."""
    imports: list[str] = []
    rest: list[str] = []
    for line in header.replace("\r\n", "\n").split("\n"):
        if line.strip().startswith(_IMPORT_PREFIXES):
            imports.append(line.strip())
        else:
            rest.append(line)
    return imports, "\n".join(rest).strip()


_STATUSES: tuple[CheckStatus, ...] = ("proved", "failed", "timeout", "crashed", "rejected", "env_unavailable")
_CLASSES: tuple[ErrorClass, ...] = ("unsolved_goals", "tactic_failed", "type_mismatch", "unknown_identifier",
                                    "parse_error", "timeout", "forbidden", "other")


def _message(raw: object) -> Message:
    if not isinstance(raw, dict):
        return Message(severity="error", text=str(raw))
    pos: dict[str, Any] = raw["pos"] if isinstance(raw.get("pos"), dict) else {}
    severity = raw.get("severity")
    return Message(severity=severity if severity in ("warning", "info") else "error",
                   text=str(raw.get("text", raw.get("data", ""))),
                   line=raw.get("line", pos.get("line")), column=raw.get("column", pos.get("column")),
                   end_line=raw.get("end_line"), end_column=raw.get("end_column"))


class RemoteChecker:
    """The `Checker` protocol over HTTP; the server does the proving."""

    name = "remote"

    def __init__(self, base_url: str, *, token: str | None = None, default_timeout_ms: int = 60_000,
                 grace_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.default_timeout_ms = default_timeout_ms
        self.grace_s = grace_s
        self._client: Any = None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _info(self, checker: CheckerInfo | None = None) -> CheckerInfo:
        base = checker.name if checker is not None else "unknown"
        return CheckerInfo(name=f"remote:{base}", version=checker.version if checker else None, mode="remote")

    def _fail(self, status: CheckStatus, text: str, started: float,
              error_class: ErrorClass | None = None) -> CheckResult:
        return CheckResult(ok=False, status=status, error_class=error_class,
                           messages=[Message(severity="error", text=text)],
                           time_ms=(time.perf_counter() - started) * 1000, checker=self._info(), code="")

    async def check(
        self, problem: Problem, proof: str, *, timeout_ms: int | None = None, confirm: bool = True
    ) -> CheckResult:
        """POST the problem; every failure to get a well-formed verdict is a non-`proved` status."""

        started = time.perf_counter()
        if not isinstance(proof, str):
            return self._fail("failed", f"the proof must be a string, not {type(proof).__name__}", started,
                              "parse_error")
        wait_ms = timeout_ms or self.default_timeout_ms
        try:
            body = CheckRequest.from_problem(problem, proof, timeout_ms=wait_ms, confirm=confirm)
        except ValidationError as exc:
            return self._fail("failed", f"cannot send this problem: {exc.errors()[0]['msg']}", started, "parse_error")
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.base_url, headers=self._headers())
        try:
            response = await self._client.post("/check", json=body.model_dump(mode="json"),
                                               timeout=wait_ms / 1000 + self.grace_s)
        except httpx.TimeoutException:
            return self._fail("timeout", f"{self.base_url} gave no answer within {wait_ms} ms", started, "timeout")
        except httpx.TransportError as exc:
            return self._fail("env_unavailable", f"checker service at {self.base_url} unreachable: {exc!r}", started)
        return self._verdict(response, started)

    def _verdict(self, response: httpx.Response, started: float) -> CheckResult:
        code = response.status_code
        if code in (401, 403, 404, 429, 503):
            return self._fail("env_unavailable", f"checker service answered HTTP {code}: {response.text[:300]}",
                              started)
        if code != 200:
            return self._fail("crashed", f"checker service answered HTTP {code}: {response.text[:300]}", started,
                              "other")
        try:
            reply = CheckReply.model_validate_json(response.content)
        except ValidationError as exc:
            return self._fail("crashed", f"checker service reply is not a check reply: {exc.errors()[0]['msg']}",
                              started, "other")
        status = reply.status if reply.status is not None else ("proved" if reply.ok else "failed")
        if status not in _STATUSES or reply.ok != (status == "proved"):
            return self._fail("crashed", f"inconsistent reply (ok={reply.ok}, status={reply.status!r})", started,
                              "other")
        error_class = reply.error_class if reply.error_class in _CLASSES else ("other" if reply.error_class else None)
        return CheckResult(
            ok=status == "proved", status=status, error_class=error_class,
            messages=[_message(m) for m in reply.messages], goals=reply.goals, axioms=reply.axioms,
            time_ms=(time.perf_counter() - started) * 1000, checker=self._info(reply.checker), code="",
        )

    async def confirm(self, problem: Problem, proof: str) -> CheckResult:
        return await self.check(problem, proof, confirm=True)

    def status(self) -> BackendStatus:
        """`GET /healthz` on the service; unreachable means unavailable, with the reason."""

        try:
            response = httpx.get(f"{self.base_url}/healthz", headers=self._headers(), timeout=5.0)
        except httpx.HTTPError as exc:
            return BackendStatus(name=self.name, available=False, reason=f"{self.base_url} unreachable: {exc!r}")
        if response.status_code != 200:
            return BackendStatus(name=self.name, available=False,
                                 reason=f"{self.base_url}/healthz answered HTTP {response.status_code}")
        try:
            inner = BackendStatus.model_validate(response.json().get("backend", {}))
        except (ValueError, ValidationError, AttributeError):
            return BackendStatus(name=self.name, available=False, reason="/healthz reply is not a backend status")
        return inner.model_copy(update={"name": f"remote:{inner.name}"})

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


__all__ = ["CheckReply", "CheckRequest", "RemoteChecker", "split_imports"]
