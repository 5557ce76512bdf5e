"""Bounded concurrency with a bounded queue: the bridge's backpressure.

At most `max_concurrent` requests run; up to `queue_size` more wait for a
slot; beyond that a request is refused at once (`BusyError` -> 429 with
Retry-After) instead of piling up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio


class BusyError(Exception):
    """Every slot is taken and the wait queue is full."""


class Admission:
    """Slots for running work plus a capped wait queue."""

    def __init__(self, max_concurrent: int, queue_size: int) -> None:
        self.max_concurrent = max_concurrent
        self.queue_size = queue_size
        self.running = 0
        self.waiting = 0
        self._slots = anyio.Semaphore(max_concurrent)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the body of the `async with`; BusyError when the queue is full."""
        if self.running + self.waiting >= self.max_concurrent + self.queue_size:
            raise BusyError(f"{self.running} running and {self.waiting} queued; the queue holds {self.queue_size}")
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self._slots.release()

    def snapshot(self) -> dict[str, int]:
        return {"max_concurrent": self.max_concurrent, "queue_size": self.queue_size,
                "running": self.running, "waiting": self.waiting}


__all__ = ["Admission", "BusyError"]
