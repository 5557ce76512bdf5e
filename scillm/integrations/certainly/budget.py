"""How much one item (and one call) may spend, and how many checks run at once."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Budget(BaseModel):
    """How much search one item may spend."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_rounds: int = Field(default=4, ge=1, description="Propose/repair rounds.")
    candidates_per_round: int = Field(default=8, ge=1, description="Candidates checked per round.")
    repairs_per_round: int = Field(default=2, ge=0, description="Best failures repaired at the start of each later round.")
    timeout_ms_per_check: int = Field(default=10_000, ge=1, description="Wall-clock limit of one check.")
    max_total_checks: int = Field(default=64, ge=1, description="Checks across all rounds (cache hits included).")
    max_seconds: float | None = Field(default=120.0, gt=0, description="Wall-clock limit for the item.")
    max_total_seconds: float | None = Field(default=None, gt=0, description="Wall-clock limit for the whole call.")
    search: bool = Field(default=True, description="Run the stepwise best-first search after the first round.")
    check_concurrency: int | None = Field(default=None, ge=1, description="Checks in flight at once (default: cores).")


def default_concurrency() -> int:
    """The number of cores (the warm pool, sized by the engine's settings, bounds sessions besides)."""
    from scillm.integrations.certainly.search.gate import core_count  # noqa: PLC0415  the search package loads the checkers; the budget model stays light

    return core_count()


__all__ = ["Budget", "default_concurrency"]
