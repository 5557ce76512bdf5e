"""Async jobs for long batches: 202 + id, status polling, server-sent events as results finish.

A job runs in the app's lifespan task group (never an untracked task), holds
one admission slot while it runs, and keeps its results in input order.
Finished jobs are forgotten after `job_ttl_s` or when more than `max_jobs`
are kept.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from scillm.bridges.admission import BusyError
from scillm.bridges.app import BridgeHTTPError, BridgeState, bridge_state, check_auth
from scillm.bridges.engines import ModuleEngine
from scillm.bridges.handlers import busy, deadline_of, engine_failure, engine_kwargs, finish, read_request
from scillm.bridges.runner import collect
from scillm.bridges.schema import BridgeReply, BridgeRequest, ErrorBody, JobCreated, JobState, JobStatus

router = APIRouter()

_FINAL: set[str] = {"done", "failed", "timeout", "cancelled"}


@dataclass
class Job:
    """One batch: its results so far, an event log for SSE readers, and its final reply."""

    id: str
    total: int
    status: JobState = "queued"
    results: list[Any] = field(default_factory=list)
    completed: int = 0
    reply: dict[str, Any] | None = None
    error: ErrorBody | None = None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    finished_at: float | None = None
    changed: anyio.Event = field(default_factory=anyio.Event)

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        self.events.append((kind, data))
        self.changed.set()
        self.changed = anyio.Event()

    def view(self) -> JobStatus:
        return JobStatus(id=self.id, status=self.status, total=self.total, completed=self.completed,
                         results=self.results, reply=BridgeReply(**self.reply) if self.reply else None,
                         error=self.error)


class JobStore:
    """Jobs by id, bounded in count and age."""

    def __init__(self, max_jobs: int, ttl_s: float) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self.max_jobs = max_jobs
        self.ttl_s = ttl_s

    def __len__(self) -> int:
        return len(self._jobs)

    def running_count(self) -> int:
        return sum(1 for j in self._jobs.values() if j.status not in _FINAL)

    def _prune(self) -> None:
        now = time.monotonic()
        for job_id, job in list(self._jobs.items()):
            if job.finished_at is not None and now - job.finished_at > self.ttl_s:
                del self._jobs[job_id]
        for job_id, job in list(self._jobs.items()):
            if len(self._jobs) < self.max_jobs:
                break
            if job.status in _FINAL:
                del self._jobs[job_id]

    def create(self, total: int) -> Job:
        self._prune()
        if len(self._jobs) >= self.max_jobs:
            raise BusyError(f"{len(self._jobs)} jobs still running; the bridge keeps at most {self.max_jobs}")
        job = Job(id=uuid.uuid4().hex, total=total, results=[None] * total)
        self._jobs[job.id] = job
        return job

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise BridgeHTTPError(404, "job_not_found", f"no job {job_id!r}; it never existed or was forgotten")
        return job


async def _run_job(state: BridgeState, engine: ModuleEngine, job: Job, body: BridgeRequest) -> None:
    kwargs = engine_kwargs(engine, body)
    max_seconds = deadline_of(state, body)
    items = list(body.items)

    async def _on_result(index: int, result: Any) -> None:
        job.results[index] = result
        job.completed += 1
        state.metrics.record_result(result)
        job.publish("result", {"index": index, "result": result})

    queued_at = time.perf_counter()
    try:
        try:
            async with state.admission.slot():
                job.status = "running"
                job.publish("status", {"status": "running"})
                outcome = await collect(engine, items, kwargs, max_seconds, _on_result, queued_at)
        except BusyError as exc:
            job.status, job.error = "failed", ErrorBody(type="busy", message=str(exc))
            return
        job.reply = await finish(engine, items, kwargs, outcome, max_seconds)
        job.results = list(job.reply.get("results", outcome.results))
        if outcome.timed_out:
            job.status = "timeout"
            job.error = ErrorBody(type="timeout", message=f"max_seconds={max_seconds:g} passed with "
                                  f"{outcome.completed} of {len(items)} items finished")
        else:
            job.status = "done"
    except anyio.get_cancelled_exc_class():
        job.status = "cancelled"
        raise
    except Exception as exc:
        job.status, job.error = "failed", engine_failure(exc).body
    finally:
        job.finished_at = time.monotonic()
        job.publish("done", job.view().model_dump(mode="json"))


@router.post("/bridge/jobs", status_code=202)
async def create_job(request: Request) -> JSONResponse:
    """Start a batch in the background; 202 with the id and where to follow it."""
    state = bridge_state(request)
    check_auth(request)
    body = await read_request(request, state)
    engine = state.require_engine()
    if state.admission.running + state.admission.waiting >= state.admission.max_concurrent + state.admission.queue_size:
        raise busy(state, BusyError("every slot and queue place is taken"))
    try:
        job = state.jobs.create(len(body.items))
    except BusyError as exc:
        raise busy(state, exc) from exc
    assert state.tasks is not None
    state.tasks.start_soon(_run_job, state, engine, job, body)
    created = JobCreated(id=job.id, status=job.status, status_url=f"/bridge/jobs/{job.id}",
                         events_url=f"/bridge/jobs/{job.id}/events")
    return JSONResponse(created.model_dump(mode="json"), status_code=202,
                        headers={"Location": created.status_url})


@router.get("/bridge/jobs/{job_id}")
async def job_status(job_id: str, request: Request) -> JSONResponse:
    """Status and the results finished so far (null where not yet)."""
    state = bridge_state(request)
    check_auth(request)
    return JSONResponse(state.jobs.get(job_id).view().model_dump(mode="json"))


async def _sse(job: Job) -> AsyncIterator[bytes]:
    cursor = 0
    while True:
        while cursor < len(job.events):
            kind, data = job.events[cursor]
            cursor += 1
            yield f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()
            if kind == "done":
                return
        waiter = job.changed
        if cursor < len(job.events):
            continue
        with anyio.move_on_after(15):
            await waiter.wait()
        if cursor == len(job.events):
            yield b": keep-alive\n\n"


@router.get("/bridge/jobs/{job_id}/events")
async def job_events(job_id: str, request: Request) -> StreamingResponse:
    """Server-sent events: `result` per finished item (replayed from the start), then `done`."""
    state = bridge_state(request)
    check_auth(request)
    job = state.jobs.get(job_id)
    return StreamingResponse(_sse(job), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


__all__ = ["Job", "JobStore", "router"]
