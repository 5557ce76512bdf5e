"""What the independent verdict answers, as a frozen model (and as a `CheckResult`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from scillm.integrations.certainly.checkers.verdict_problem import VerdictStatus
from scillm.integrations.certainly.models import CheckerInfo, CheckResult, Message


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

        status = {"error": "crashed"}.get(self.status, self.status)
        messages = [] if self.ok else [Message(severity="error", text=self.message)]
        cls = {"rejected": "forbidden", "timeout": "timeout"}.get(self.status, None if self.ok else "other")
        return CheckResult(ok=self.ok, status=status, error_class=cls, messages=messages,  # type: ignore[arg-type]
                           axioms=list(self.axioms), time_ms=self.time_ms, checker=self.checker, code=self.file)


__all__ = ["Verdict", "VerdictStatus"]
