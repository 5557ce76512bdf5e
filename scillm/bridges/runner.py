"""Run one request's items under a deadline, keeping every result that finished.

Both the synchronous route and the jobs route go through `collect`, so a
deadline or a disconnect never loses work already done: finished results are
kept in input order and unreached items become explicit `timeout` results.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from scillm.bridges.engines import Engine
from scillm.integrations.certainly.checkers.session import tracking_provers

OnResult = Callable[[int, Any], Awaitable[None]]
_SECRET_ARGS = frozenset({"api_key", "api_base"})


@dataclass
class RunOutcome:
    """What a run produced: results by index (None where not reached) and whether time ran out."""

    results: list[Any]
    timed_out: bool = False
    elapsed_s: float = 0.0
    done: set[int] = field(default_factory=set)

    @property
    def completed(self) -> int:
        return len(self.done)


def timeout_result(index: int, item: Any, max_seconds: float) -> dict[str, Any]:
    """The explicit result of an item the deadline did not let run; never a success."""
    item_id = None
    if isinstance(item, dict):
        item_id = item.get("id") or item.get("task_id") or item.get("item_id")
    return {
        "index": index,
        "item_id": item_id if item_id is not None else f"item-{index}",
        "ok": False,
        "status": "timeout",
        "error": f"not finished within max_seconds={max_seconds:g}",
    }


async def collect(
    engine: Engine,
    items: list[Any],
    kwargs: dict[str, Any],
    max_seconds: float,
    on_result: OnResult | None = None,
    started_at: float | None = None,
) -> RunOutcome:
    """Stream `engine.arun_items_iter` into an ordered list until done or `max_seconds`.

    Prover work still in flight when the run ends early (deadline, or the
    caller cancelled because the client went away) is killed, not left
    running in threads: the next request finds the pool free.

    `started_at` (a `time.perf_counter()` value) counts time already spent,
    e.g. waiting in the admission queue, against `max_seconds`.
    """
    outcome = RunOutcome(results=[None] * len(items))
    start = time.perf_counter() if started_at is None else started_at
    with tracking_provers() as in_flight:
        try:
            with anyio.move_on_after(max(0.0, max_seconds - (time.perf_counter() - start))) as scope:
                async for index, result in engine.arun_items_iter(items, kwargs):
                    if 0 <= index < len(items) and index not in outcome.done:
                        outcome.results[index] = result
                        outcome.done.add(index)
                        if on_result is not None:
                            await on_result(index, result)
        finally:
            in_flight.kill_all()
    outcome.elapsed_s = time.perf_counter() - start
    if scope.cancelled_caught or len(outcome.done) < len(items):
        outcome.timed_out = scope.cancelled_caught
        for i, item in enumerate(items):
            if i not in outcome.done:
                outcome.results[i] = timeout_result(i, item, max_seconds)
    return outcome


def _status_of(result: Any) -> str:
    if isinstance(result, dict):
        return str(result.get("status") or ("ok" if result.get("ok") else "unknown"))
    return "unknown"


def partial_payload(engine_name: str, outcome: RunOutcome, kwargs: dict[str, Any], max_seconds: float) -> dict[str, Any]:
    """Results in order plus counts by status; used for runs cut by their deadline."""
    counts: dict[str, int] = {}
    for result in outcome.results:
        status = _status_of(result)
        counts[status] = counts.get(status, 0) + 1
    succeeded = sum(counts.get(s, 0) for s in ("ok", "proved"))
    return {
        "summary": {"items": len(outcome.results), "succeeded": succeeded,
                    "failed": len(outcome.results) - succeeded, "completed": outcome.completed,
                    "by_status": counts, "timed_out": outcome.timed_out},
        "results": outcome.results,
        "statistics": {"duration_ms": round(outcome.elapsed_s * 1000, 3)},
        "run_manifest": {"engine": engine_name, "max_seconds": max_seconds, "produced_by": "bridge",
                         "args": {k: v for k, v in kwargs.items()
                                  if isinstance(v, str | int | float | bool) and k not in _SECRET_ARGS}},
    }


__all__ = ["OnResult", "RunOutcome", "collect", "partial_payload", "timeout_result"]
