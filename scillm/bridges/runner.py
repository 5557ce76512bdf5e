"""Run one request's items under a deadline through the engine, keeping every result that finished.

The engine builds the payload, including the `timeout` results of items a
deadline did not let finish, so a 504 carries what direct mode would give.
Prover work still in flight when the run ends early (deadline, or the caller
cancelled because the client went away) is killed, not left running in
threads: the next request finds the pool free.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from scillm.bridges.engines import BridgeEngine
from scillm.integrations.certainly.checkers.session import tracking_provers
from scillm.integrations.certainly.results import ItemResult as CertainlyItem
from scillm.integrations.codeworld.models import ItemResult as CodeworldItem

OnResult = Callable[[int, dict[str, Any]], Awaitable[None]]


@dataclass
class RunOutcome:
    """The engine's payload as JSON, and whether the deadline cut it."""

    payload: dict[str, Any] = field(default_factory=dict)
    timed_out: bool = False
    completed: int = 0
    elapsed_s: float = 0.0

    @property
    def results(self) -> list[Any]:
        return list(self.payload.get("results") or [])


async def collect(engine: BridgeEngine, items: list[Any], kwargs: dict[str, Any], max_seconds: float,
                  on_result: OnResult | None = None, started_at: float | None = None) -> RunOutcome:
    """Run `items` on `engine` until done or `max_seconds` (counted from `started_at`, a perf_counter value,
    so time spent queueing for admission counts)."""
    start = time.perf_counter() if started_at is None else started_at

    async def _each(result: CertainlyItem | CodeworldItem) -> None:
        if on_result is not None:
            await on_result(result.index, result.to_json())

    spent = min(max_seconds - 0.001, time.perf_counter() - start)
    with tracking_provers() as in_flight:
        try:
            payload = await engine.arun(items, kwargs, max_seconds=max_seconds, spent_s=spent, on_result=_each)
        finally:
            in_flight.kill_all()
    completed = payload.completed if payload.completed is not None else len(items)
    return RunOutcome(payload=payload.to_json(), timed_out=payload.timed_out, completed=completed,
                      elapsed_s=time.perf_counter() - start)


__all__ = ["OnResult", "RunOutcome", "collect"]
