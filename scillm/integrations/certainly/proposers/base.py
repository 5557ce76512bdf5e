"""The Proposer protocol: where proof candidates come from (tactic portfolio, an LLM, ...).

The proving loop types against this protocol only; this module holds no logic.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from scillm.integrations.certainly.models import CheckResult, Problem


class Candidate(BaseModel):
    """One proof body to check, with where it came from."""

    model_config = ConfigDict(frozen=True)

    proof: str = Field(default=..., description="The proof body (Coq: between `Proof.` and `Qed.`; Lean: the `by` block).")
    origin: str = Field(default="", description="Which proposer and strategy produced it, e.g. `portfolio:direct`.")
    imports: tuple[str, ...] = Field(
        default=(), description="Trusted libraries (logical paths) to `Require Import` before the theorem.")


@runtime_checkable
class Proposer(Protocol):
    """Suggests proofs for a problem and repairs failed ones.

    Successive `propose` calls for the same problem should return new
    candidates (a portfolio walks down its ranked list; an LLM samples again);
    the loop deduplicates anyway.
    """

    name: str
    model: str | None

    async def propose(self, problem: Problem, n: int) -> list[Candidate]:
        """Up to `n` fresh candidates for `problem`."""
        ...

    async def repair(
        self, problem: Problem, failed_proof: str, check_result: CheckResult, n: int
    ) -> list[Candidate]:
        """Up to `n` candidates derived from a failed proof and the checker's verdict on it."""
        ...


__all__ = ["Candidate", "Proposer"]
