"""Typed boundaries of certainly: what a checker is asked and what it answers.

These models are the contract between the checkers, the proving loop, the
providers and the bridges; keep them free of logic.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Backend = Literal["coq", "lean"]

CheckStatus = Literal["proved", "failed", "timeout", "crashed", "rejected", "env_unavailable"]

ErrorClass = Literal[
    "unsolved_goals",
    "tactic_failed",
    "type_mismatch",
    "unknown_identifier",
    "parse_error",
    "timeout",
    "forbidden",
    "other",
]


class Problem(BaseModel):
    """One theorem to prove, split into the parts a checker needs.

    The checker assembles `header`, `decls`, then
    `Theorem <theorem_name> : <statement>.` (Coq) or
    `theorem <theorem_name> : <statement> :=` (Lean), then the proof.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    backend: Backend = "coq"
    header: str = Field(default="", description="Imports, opens and options, loaded once per warm session.")
    decls: str = Field(default="", description="Auxiliary definitions placed before the theorem.")
    theorem_name: str = Field(default="certainly_goal", description="Name of the theorem being proved.")
    statement: str = Field(..., description="The proposition, without the `Theorem name :` prefix or final `.`.")
    keyword: str = Field(default="Theorem", description="Declaration keyword as written in the source (Theorem, Lemma, ...).")


class Message(BaseModel):
    """One prover message, positioned in the problem's own coordinates (1-based lines)."""

    model_config = ConfigDict(frozen=True)

    severity: Literal["error", "warning", "info"]
    text: str
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None


class CheckerInfo(BaseModel):
    """Which checker produced a verdict, with the prover's version."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str | None = None
    mode: str | None = Field(default=None, description="warm, cold or remote.")


class CheckResult(BaseModel):
    """A checker's verdict on one proof of one problem.

    `ok` is True exactly when `status == "proved"`: the prover accepted the
    original statement with no forbidden sentence, no new axiom and no
    disabled kernel check.
    """

    ok: bool = False
    status: CheckStatus
    error_class: ErrorClass | None = None
    messages: list[Message] = Field(default_factory=list)
    goals: list[str] = Field(default_factory=list, description="Goals left open, where the prover reports them.")
    axioms: list[str] = Field(default_factory=list, description="Axioms the accepted proof depends on.")
    time_ms: float = 0.0
    checker: CheckerInfo | None = None
    cached: bool = False
    code: str = Field(default="", description="The full source that was checked.")

    @property
    def first_error(self) -> str | None:
        for m in self.messages:
            if m.severity == "error":
                return m.text
        return None


class BackendStatus(BaseModel):
    """Whether a checker backend works here, and why not."""

    name: str
    available: bool
    version: str | None = None
    reason: str | None = None
    binaries: dict[str, str | None] = Field(default_factory=dict)


__all__ = [
    "Backend",
    "BackendStatus",
    "CheckResult",
    "CheckStatus",
    "CheckerInfo",
    "ErrorClass",
    "Message",
    "Problem",
]
