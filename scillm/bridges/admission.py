"""Bounded concurrency with a bounded queue: the bridge's backpressure.

At most `max_concurrent` requests run; up to `queue_size` more wait for a
slot; beyond that a request is refused at once (`BusyError` -> 429) instead
of piling up. A place is taken by `reserve()` without awaiting anything, so
the check and the taking are one step on the event loop: a 202 or a
started request really holds its place. `Retry-After` comes from the queue:
the places ahead divided among the slots, times the recent mean run time.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from scillm.errors import BusyError


class Reservation:
    """One held place: queued until `run()` gets a slot; `release()` gives it back (idempotent)."""

    def __init__(self, admission: Admission) -> None:
        self._admission = admission
        self._state = "waiting"
        self.handed_over = False

    def hand_over(self) -> None:
        """Whoever took this place no longer releases it: a background job does, when it ends."""
        self.handed_over = True

    @asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        """Wait for a slot, hold it for the body of the `async with`, then give the place back."""
        adm = self._admission
        try:
            await adm._slots.acquire()
        except BaseException:
            self.release()
            raise
        adm.waiting -= 1
        adm.running += 1
        self._state = "running"
        started = time.monotonic()
        try:
            yield
        finally:
            adm.observe(time.monotonic() - started)
            self.release()

    def release(self) -> None:
        adm = self._admission
        if self._state == "waiting":
            adm.waiting -= 1
        elif self._state == "running":
            adm.running -= 1
            adm._slots.release()
        self._state = "released"


class Admission:
    """Slots for running work plus a capped wait queue."""

    def __init__(self, max_concurrent: int, queue_size: int, *, initial_run_s: float = 1.0) -> None:
        self.max_concurrent = max_concurrent
        self.queue_size = queue_size
        self.running = 0
        self.waiting = 0
        self.mean_run_s = initial_run_s
        self._slots = anyio.Semaphore(max_concurrent)

    def reserve(self) -> Reservation:
        """Take a place now or raise BusyError; nothing is awaited between the check and the taking."""
        if self.running + self.waiting >= self.max_concurrent + self.queue_size:
            raise BusyError(f"{self.running} running and {self.waiting} queued; the queue holds {self.queue_size}")
        self.waiting += 1
        return Reservation(self)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Reserve and run in one step (BusyError when the queue is full)."""
        async with self.reserve().run():
            yield

    def observe(self, seconds: float) -> None:
        """Fold one finished run into the mean used for Retry-After."""
        self.mean_run_s = 0.5 * self.mean_run_s + 0.5 * max(0.0, seconds)

    def retry_after_s(self) -> int:
        """Estimated seconds until a place frees up: the queue ahead, drained by every slot at the mean rate."""
        ahead = self.running + self.waiting
        rounds = ahead / self.max_concurrent if ahead else 0.0
        return max(1, min(3600, math.ceil(rounds * self.mean_run_s)))

    def snapshot(self) -> dict[str, int | float]:
        return {"max_concurrent": self.max_concurrent, "queue_size": self.queue_size,
                "running": self.running, "waiting": self.waiting, "mean_run_s": round(self.mean_run_s, 3)}


__all__ = ["Admission", "BusyError", "Reservation"]
