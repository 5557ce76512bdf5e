"""What the loop reports for one item: attempts, counters, the outcome, and how its status is decided.

The status is read from what the attempts ended with: any environment or
header problem first; then `timeout` when time ran out; `error` when every
attempt crashed (a prover crash or protocol fault says nothing about the
statement, so it is never `failed`); `rejected` when every candidate was
refused; else `failed`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from scillm.integrations.certainly.models import CheckResult

ItemStatus = Literal["proved", "failed", "timeout", "error", "needs_llm", "env_unavailable", "rejected"]

_CLASS_WEIGHT = {
    "unsolved_goals": 50.0, "tactic_failed": 40.0, "type_mismatch": 30.0, "unknown_identifier": 20.0,
    "parse_error": 10.0, "other": 5.0, "timeout": 2.0, "forbidden": -100.0,
}
_KNOWN_GOOD = re.compile(r"\b(?:lia|nia|lra|nra|auto|intuition|firstorder|congruence|ring|field|induction|"
                         r"omega|simp|linarith|norm_num|decide|aesop)\b")
_EXCERPT = 300
_FAULTS = frozenset({"crashed"})


class Attempt(BaseModel):
    """One checked candidate, as reported in results."""

    round: int
    candidate_id: int
    proof: str
    origin: str = ""
    status: str
    error_class: str | None = None
    message: str | None = None
    score: float | None = None
    cached: bool = False
    time_ms: float = 0.0


class LoopStats(BaseModel):
    """Counters for one item."""

    rounds: int = 0
    checks: int = 0
    cache_hits: int = 0
    time_ms: float = 0.0
    checker_ms: float = 0.0
    search_steps: int = 0
    search_states: int = 0


class ProveOutcome(BaseModel):
    """What the loop found for one problem."""

    status: ItemStatus
    proof: str | None = None
    result: CheckResult | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    stats: LoopStats = Field(default_factory=LoopStats)
    explanation: str | None = None
    error: str | None = None
    imports: tuple[str, ...] = Field(default=(), description="Trusted imports the proof was checked with.")


def score_failure(result: CheckResult, proof: str) -> float:
    """Repair priority: unsolved goals > tactic failed > type mismatch > unknown identifier > parse error.

    Within a class, shorter error messages and proofs built from known-good
    tactics score higher; fewer open goals score higher.
    """
    weight = _CLASS_WEIGHT.get(result.error_class or "other", 5.0)
    message = result.first_error or ""
    brevity = 10.0 * (1.0 - min(len(message), 400) / 400.0)
    known = 5.0 if _KNOWN_GOOD.search(proof) else 0.0
    goals = -min(len(result.goals), 5)
    return round(weight + brevity + known + goals, 3)


def excerpt(result: CheckResult) -> str | None:
    """The first error (or message) on one line, at most 300 characters."""
    text = result.first_error or (result.messages[0].text if result.messages else None)
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


def final_status(attempts: list[Attempt], *, out_of_time: bool, env_problem: bool = False,
                 header_problem: bool = False) -> ItemStatus:
    """The item's status when no candidate was proved."""
    if env_problem:
        return "env_unavailable"
    if header_problem:
        return "error"
    statuses = {a.status for a in attempts}
    if not statuses:
        return "timeout" if out_of_time else "failed"
    if statuses == {"timeout"} or (out_of_time and "timeout" in statuses and statuses <= {"timeout", *_FAULTS}):
        return "timeout"
    if statuses <= _FAULTS:
        return "error"
    if statuses == {"rejected"}:
        return "rejected"
    return "failed"


def plain_explanation(attempts: list[Attempt], env_problem: CheckResult | None,
                      header_problem: CheckResult | None) -> str | None:
    """Why the item was not proved, in one sentence."""
    if env_problem is not None:
        return excerpt(env_problem) or "the prover cannot load this problem's imports here"
    if header_problem is not None:
        return f"the header or decls do not load, so no proof can check: {excerpt(header_problem)}"
    if not attempts:
        return "no candidate was checked within the budget"
    if all(a.status in _FAULTS for a in attempts):
        return f"every one of the {len(attempts)} checks crashed (prover fault), e.g.: {attempts[0].message}"
    best = max(attempts, key=lambda a: a.score if a.score is not None else -1e9)
    reason = best.message or best.status
    return f"{len(attempts)} candidates failed; the most promising (`{best.proof}`) ended with: {reason}"


__all__ = ["Attempt", "ItemStatus", "LoopStats", "ProveOutcome", "excerpt", "final_status", "plain_explanation",
           "score_failure"]
