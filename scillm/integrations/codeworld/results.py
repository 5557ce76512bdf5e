"""Typed payload of a codeworld call: summary, statistics, results in input order, replay manifest.

`RunPayload.to_json()` is the documented JSON every surface sends (direct,
LiteLLM provider, bridges); a run cut by its deadline says so in the summary
(`completed`, `timed_out`) and marks each unfinished item `timeout`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from scillm.integrations.codeworld.models import ItemResult


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RunSummary(_Frozen):
    items: int
    succeeded: int
    failed: int
    completed: int | None = Field(default=None, description="Items finished before the deadline (cut runs only).")
    timed_out: bool | None = Field(default=None, description="True when the deadline cut the run.")


class RunStatistics(_Frozen):
    strategy: str
    evaluations: int = Field(description="Sandboxed executions spent.")
    variants: int = Field(description="Variants ranked, over all items.")
    duration_ms: float
    sandbox: str | None = Field(description="The sandbox backend that ran the variants.")


class RunManifest(_Frozen):
    """Enough to replay the call: hashes of every variant and case, seeds, strategy, sandbox."""

    model_config = ConfigDict(frozen=True, extra="allow")

    run_id: str
    ts: str
    seeds: dict[str, int]
    strategy: str
    strategy_config: dict[str, Any]
    metrics: list[str]
    judge_mode: str
    weights: dict[str, float]
    repeats: int
    iterations: int
    autogenerate: dict[str, Any]
    scoring: dict[str, Any] | None
    sandbox: dict[str, Any]
    items: list[dict[str, Any]]
    max_seconds: float | None = None


class RunPayload(_Frozen):
    summary: RunSummary
    statistics: RunStatistics
    results: tuple[ItemResult, ...]
    run_manifest: RunManifest

    @property
    def timed_out(self) -> bool:
        return bool(self.summary.timed_out)

    @property
    def completed(self) -> int | None:
        return self.summary.completed

    def to_json(self) -> dict[str, Any]:
        """The documented JSON payload (the deadline fields only for a cut run)."""
        return {
            "summary": self.summary.model_dump(exclude_none=True),
            "statistics": self.statistics.model_dump(),
            "results": [r.to_json() for r in self.results],
            "run_manifest": _manifest_json(self.run_manifest),
        }


def _manifest_json(manifest: RunManifest) -> dict[str, Any]:
    data: dict[str, Any] = manifest.model_dump()
    if data.get("max_seconds") is None:
        data.pop("max_seconds", None)
    return data


__all__ = ["RunManifest", "RunPayload", "RunStatistics", "RunSummary"]
