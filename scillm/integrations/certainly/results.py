"""Typed results of the certainly engine: one `ItemResult` per item, one `RunPayload` per call.

Frozen models are what the engine returns; `to_json()` gives the documented
JSON (docs/certainly.md) that the LiteLLM provider, the bridges and the CLI
send, so every surface serialises the same object the same way. The checked
file appears under the backend's own key (`coq_code` or `lean_code`) and under
the neutral `code`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from scillm.integrations.certainly.models import Backend
from scillm.integrations.certainly.outcome import Attempt, ItemStatus, LoopStats

JsonObject = dict[str, Any]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ItemResult(_Frozen):
    """The answer for one input item; exactly one per item, in input order."""

    index: int = Field(description="Position of the item in the call.")
    item_id: str = Field(description="The item's `id`, or `item-<index>`.")
    status: ItemStatus = Field(description="proved, failed, timeout, error, needs_llm, env_unavailable or rejected.")
    backend: Backend = Field(description="The prover that checked (or would have checked) the item.")
    proof: str | None = Field(default=None, description="The proof script that the independent verdict accepted.")
    code: str | None = Field(default=None, description="The full checked file; also under `coq_code`/`lean_code`.")
    axioms: tuple[str, ...] = Field(default=(), description="Axioms the accepted proof depends on (proved only).")
    attempts: tuple[Attempt, ...] = Field(default=(), description="Every candidate checked, in order.")
    stats: LoopStats = Field(default_factory=LoopStats, description="Rounds, checks, cache hits and timings.")
    explanation: str | None = Field(default=None, description="Why the item has this status, for a human.")
    direct_mode: bool = Field(default=True, alias="_direct_mode",
                              description="True when this process ran the engine; False for a result from a bridge.")

    @model_serializer(mode="wrap")
    def _documented(self, handler: SerializerFunctionWrapHandler) -> JsonObject:
        data: JsonObject = handler(self)
        data[f"{self.backend}_code"] = self.code
        return data

    def to_json(self) -> JsonObject:
        """The documented JSON object (aliases, the backend's code key)."""
        data: JsonObject = self.model_dump(mode="json", by_alias=True)
        return data


class RunStatistics(_Frozen):
    """Counters of one call, summed over its items."""

    items: int
    by_status: dict[str, int]
    proved: int
    checks: int
    cache_hits: int
    checker_ms: float
    wall_ms: float


class BackendVersion(_Frozen):
    version: str | None = None


class RunManifest(_Frozen):
    """What a run used (backends, proposer, budget, options); never the server's LLM endpoint or key."""

    run_id: str = Field(description="Random id of this call.")
    schema_: str = Field(alias="schema", description="`certainly.run/1`.")
    ts: str = Field(description="Start time, ISO 8601 UTC.")
    session_id: str | None = None
    track_id: str | None = None
    item_ids: tuple[str, ...]
    backends: dict[str, BackendVersion]
    proposer: str = Field(description="`llm` or `portfolio`.")
    model: str | None = None
    prompts: dict[str, str] | None = Field(default=None, description="Prompt file versions when an LLM proposed.")
    budget: JsonObject
    options: JsonObject
    package_version: str
    max_seconds: float | None = Field(default=None, description="The call's wall-clock deadline, when it had one.")
    fallback_reason: str | None = Field(default=None, description="Why the HTTP bridge ran it (set by the caller).")

    @model_serializer(mode="wrap")
    def _documented(self, handler: SerializerFunctionWrapHandler) -> JsonObject:
        data: JsonObject = handler(self)
        for key in ("max_seconds", "fallback_reason"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


class RunPayload(_Frozen):
    """`{summary, results, statistics, run_manifest}`: results in input order."""

    summary: str = Field(description="`Certainly: items=3, proved=2, failed=1` (zero counts left out).")
    results: tuple[ItemResult, ...]
    statistics: RunStatistics
    run_manifest: RunManifest
    timed_out: bool = Field(default=False, description="The call's deadline passed before every item finished.")
    completed: int | None = Field(default=None, description="Items finished before the deadline (timed-out runs).")

    def to_json(self) -> JsonObject:
        """The documented JSON payload; `timed_out`/`completed` only appear for a run cut by its deadline."""
        data: JsonObject = self.model_dump(mode="json", by_alias=True)
        if not self.timed_out:
            data.pop("timed_out")
            data.pop("completed")
        return data

__all__ = ["BackendVersion", "ItemResult", "RunManifest", "RunPayload", "RunStatistics"]
