"""Wire models of both bridges, shared by the server and the HTTP fallback client.

Frozen and strict (`extra="forbid"`): a misspelt field is a 422 naming it,
never silently ignored. Results stay plain JSON objects because each engine
owns the shape of its per-item result.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JobState = Literal["queued", "running", "done", "failed", "timeout", "cancelled"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProviderSpec(_Frozen):
    """Which provider the caller used and the engine arguments it passed."""

    name: str | None = Field(None, description="Provider name as called (certainly, lean4, codeworld).")
    args: dict[str, Any] = Field(default_factory=dict, description="Engine keyword arguments (backend, strategy, ...).")


class BridgeOptions(_Frozen):
    """How to run the request, independent of the engine."""

    max_seconds: float | None = Field(None, gt=0, description="Wall-clock budget; unreached items come back as timeout.")
    session_id: str | None = Field(None, max_length=256, description="Caller's session key, passed to the engine.")
    track_id: str | None = Field(None, max_length=256, description="Caller's trace id, echoed in the run manifest.")
    model: str | None = Field(None, max_length=256, description="Model string the caller used (certainly/coq, ...).")
    no_llm: bool | None = Field(None, description="certainly: prove with the offline portfolio only.")
    simple: bool | None = Field(None, description="certainly: one round, no repairs.")
    max_refinements: int | None = Field(None, ge=0, le=100, description="certainly: repair rounds after the first.")
    explain_failures: bool | None = Field(None, description="certainly: ask the server's LLM to explain failures.")


class BridgeRequest(_Frozen):
    """POST /bridge/complete (alias /bridge) and POST /bridge/jobs body."""

    messages: list[dict[str, Any]] = Field(default_factory=list, description="Chat messages, for engines that read them.")
    items: list[Any] = Field(..., min_length=1, description="Work items; one result each, in order.")
    provider: ProviderSpec = Field(ProviderSpec.model_validate({}), description="Provider name and engine arguments.")
    options: BridgeOptions = Field(BridgeOptions.model_validate({}), description="Deadline and tracing.")


class BridgeReply(BaseModel):
    """The engine payload, as direct mode returns it."""

    model_config = ConfigDict(frozen=True, extra="allow")

    summary: Any = Field(None, description="The engine's summary: a one-line text (certainly) or counts (codeworld).")
    results: list[Any] = Field(default_factory=list, description="One result per input item, in input order.")
    statistics: dict[str, Any] = Field(default_factory=dict, description="Timings and engine counters.")
    run_manifest: dict[str, Any] = Field(default_factory=dict, description="Versions, arguments and ids of the run.")


class ErrorDetail(_Frozen):
    """One reason a request was refused, located in the body."""

    loc: str = Field("", description="Dotted path of the field, e.g. `items.3` or `options.max_seconds`.")
    msg: str = Field(..., description="Why the value was refused.")


class ErrorBody(_Frozen):
    """What went wrong, for humans and for the client's exception mapping."""

    type: str = Field(..., description="Machine name: invalid_request, unauthorized, too_large, busy, timeout, ...")
    message: str = Field(..., description="One sentence naming the cause and the fix.")
    details: list[ErrorDetail] = Field(default_factory=list, description="Per-field reasons for 400/422.")


class ErrorReply(_Frozen):
    """Body of every 4xx/5xx answer except 504."""

    error: ErrorBody


class TimeoutReply(BridgeReply):
    """Body of a 504: the error plus every result finished before the deadline."""

    error: ErrorBody


class JobCreated(_Frozen):
    """Body of the 202 answer to POST /bridge/jobs."""

    id: str
    status: JobState
    status_url: str = Field(..., description="GET it for status and results so far.")
    events_url: str = Field(..., description="GET it for server-sent events as results finish.")


class JobStatus(_Frozen):
    """GET /bridge/jobs/{id}: progress and results so far (null where not finished)."""

    id: str
    status: JobState
    total: int
    completed: int
    results: list[Any] = Field(default_factory=list, description="Ordered; null for items not finished yet.")
    reply: BridgeReply | None = Field(None, description="The full payload once the job is done or timed out.")
    error: ErrorBody | None = None


__all__ = [
    "BridgeOptions",
    "BridgeReply",
    "BridgeRequest",
    "ErrorBody",
    "ErrorDetail",
    "ErrorReply",
    "JobCreated",
    "JobState",
    "JobStatus",
    "ProviderSpec",
    "TimeoutReply",
]
