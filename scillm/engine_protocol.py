"""What every engine object offers, and its readiness report.

An engine (`CertainlyEngine`, `CodeworldEngine`) owns its warm resources
between `start()` and `aclose()`; the bridges, the LiteLLM provider and the
CLI type against this Protocol, never against an engine's module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field


class Health(BaseModel):
    """Whether an engine can do real work here, and what it found."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ready: bool = Field(description="True when at least one backend or sandbox works.")
    backends: dict[str, dict[str, Any]] | None = Field(
        default=None, description="certainly: each proof backend's status (available, version, reason).")
    sandbox: dict[str, Any] | None = Field(default=None, description="codeworld: the sandbox backend in use.")
    reason: str | None = Field(default=None, description="Why the engine is not ready, when it is not.")

    def to_json(self) -> dict[str, Any]:
        """The JSON object of `/healthz` and `scillm doctor` (unset parts left out)."""
        data: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        return data


class JsonResult(Protocol):
    """A typed result that serialises to its documented JSON."""

    index: int

    def to_json(self) -> dict[str, Any]:
        """The documented JSON object."""
        ...


class JsonPayload(Protocol):
    """A run payload: its results and whether a deadline cut it."""

    timed_out: bool
    completed: int | None

    def to_json(self) -> dict[str, Any]:
        """The documented JSON payload."""
        ...


@runtime_checkable
class Engine(Protocol):
    """One integration's engine: started once, run many times, closed once."""

    name: str

    async def start(self) -> None:
        """Acquire what runs need (idempotent)."""
        ...

    async def aclose(self) -> None:
        """Release every warm resource (idempotent)."""
        ...

    async def arun(self, items: object, options: Mapping[str, Any] | None = None, *,
                   max_seconds: float | None = None) -> JsonPayload:
        """Run every item; one result per item, in input order; unfinished items `timeout` at the deadline."""
        ...

    def aiter(self, items: object, options: Mapping[str, Any] | None = None, *,
              max_seconds: float | None = None) -> AsyncIterator[JsonResult]:
        """Each item's result as it finishes; closing early cancels the rest."""
        ...

    def health(self) -> Health:
        """Readiness, probed now."""
        ...


__all__ = ["Engine", "Health", "JsonPayload", "JsonResult"]
