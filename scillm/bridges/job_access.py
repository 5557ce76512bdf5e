"""The job store as the event loop sees it: every call runs in one worker thread, so the loop never blocks.

SQLite writes and Redis round trips take milliseconds (more with large
results); on the loop they would delay every other request, refusals
included. One thread at a time uses the store (a capacity limiter of 1), so
the backends need no locking of their own and each call stays atomic.
Counts for `/metrics` and `/healthz` are the ones the last call saw.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio

from scillm.bridges.job_store import JobStore
from scillm.bridges.job_store_redis import RedisJobStore, default_prefix
from scillm.bridges.job_store_sqlite import SqliteJobStore, default_jobs_path
from scillm.bridges.settings import BridgeSettings
from scillm.remote.schema import ErrorBody, JobState, JobStatus

T = TypeVar("T")


def open_job_store(settings: BridgeSettings) -> JobStore:
    """The store the settings name: Redis when `jobs_redis_url` is set, else SQLite at `jobs_path`."""
    if settings.jobs_redis_url:
        return RedisJobStore(settings.jobs_redis_url, prefix=default_prefix(settings.engine, settings.port),
                             max_jobs=settings.max_jobs, ttl_s=settings.job_ttl_s, max_bytes=settings.jobs_max_bytes)
    return SqliteJobStore(settings.jobs_path or default_jobs_path(settings.engine, settings.port),
                          max_jobs=settings.max_jobs, ttl_s=settings.job_ttl_s, max_bytes=settings.jobs_max_bytes)


class AsyncJobStore:
    """A `JobStore` behind awaitable methods that run in a single worker thread."""

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self._limiter = anyio.CapacityLimiter(1)
        self.running = store.running_count()
        self.kept = len(store)
        self.bytes = store.stored_bytes()

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        def _run() -> tuple[T, int, int, int]:
            value = fn(*args, **kwargs)
            return value, self.store.running_count(), len(self.store), self.store.stored_bytes()

        value, self.running, self.kept, self.bytes = await anyio.to_thread.run_sync(_run, limiter=self._limiter)
        return value

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(partial(fn, *args), limiter=self._limiter)

    async def create(self, total: int) -> str:
        return await self._call(self.store.create, total)

    async def set_status(self, job_id: str, status: JobState) -> None:
        await self._call(self.store.set_status, job_id, status)

    async def add_result(self, job_id: str, index: int, result: object) -> int:
        return await self._call(self.store.add_result, job_id, index, result)

    async def finish(self, job_id: str, status: JobState, *, reply: dict[str, Any] | None = None,
                     results: list[Any] | None = None, error: ErrorBody | None = None) -> None:
        await self._call(self.store.finish, job_id, status, reply=reply, results=results, error=error)

    async def status(self, job_id: str) -> str:
        return await self._read(self.store.status, job_id)

    async def events_after(self, job_id: str, seq: int) -> list[tuple[int, int, Any]]:
        return await self._read(self.store.events_after, job_id, seq)

    async def view(self, job_id: str) -> JobStatus:
        return await self._read(self.store.view, job_id)

    async def view_json(self, job_id: str) -> dict[str, Any]:
        """The job's view as JSON-ready data, built in the worker thread too (results can be large)."""
        return await self._read(lambda: self.store.view(job_id).model_dump(mode="json"))

    async def aclose(self) -> None:
        await self._read(self.store.close)


__all__ = ["AsyncJobStore", "open_job_store"]
