"""Async jobs for long batches: 202 + id, status polling, server-sent events as results finish.

A 202 means the job already holds its admission place (taken before the
body was read), so an accepted job is never refused later for capacity. It
runs in the app's lifespan task group (never an untracked task) and writes
each result to the job store as it finishes, so a restart keeps them; on
shutdown a running job is marked `failed` with `server_restarted` instead of
being waited for.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from scillm.bridges.admission import BusyError, Reservation
from scillm.bridges.body import finite, require_json
from scillm.bridges.deps import BridgeState, bridge_state, check_auth
from scillm.bridges.engines import BridgeEngine
from scillm.bridges.handlers import busy, deadline_of, engine_failure, prepare, read_request, reserve
from scillm.bridges.http_errors import BridgeHTTPError
from scillm.bridges.job_access import AsyncJobStore
from scillm.bridges.job_store import FINAL, JobNotFoundError, restarted_error
from scillm.bridges.openapi import json_body
from scillm.bridges.runner import collect
from scillm.remote.schema import BridgeRequest, ErrorBody, JobCreated

router = APIRouter()


class JobSignals:
    """In-memory wake-ups for event readers; the data itself lives in the store."""

    def __init__(self) -> None:
        self._events: dict[str, anyio.Event] = {}

    def wait_for(self, job_id: str) -> anyio.Event:
        return self._events.setdefault(job_id, anyio.Event())

    def notify(self, job_id: str) -> None:
        event = self._events.pop(job_id, None)
        if event is not None:
            event.set()


def _store(state: BridgeState) -> AsyncJobStore:
    return state.require_jobs()


async def _get(state: BridgeState, job_id: str) -> None:
    try:
        await _store(state).status(job_id)
    except JobNotFoundError:
        raise BridgeHTTPError(404, "job_not_found", f"no job {job_id!r}; it never existed or its time to live "
                              "passed") from None


async def _run_job(state: BridgeState, engine: BridgeEngine, job_id: str, body: BridgeRequest,
                   kwargs: dict[str, Any], reservation: Reservation) -> None:
    store, signals = _store(state), state.job_signals
    max_seconds = deadline_of(state, body)
    items = list(body.items)

    async def _on_result(index: int, result: object) -> None:
        await store.add_result(job_id, index, finite(result))
        state.metrics.record_result(result)
        signals.notify(job_id)

    queued_at = time.perf_counter()
    try:
        async with reservation.run():
            await store.set_status(job_id, "running")
            signals.notify(job_id)
            outcome = await collect(engine, items, kwargs, max_seconds, _on_result, queued_at)
        reply = finite(outcome.payload)
        if outcome.timed_out:
            error = ErrorBody(type="timeout", message=f"max_seconds={max_seconds:g} passed with "
                              f"{outcome.completed} of {len(items)} items finished")
            await store.finish(job_id, "timeout", reply=reply, results=list(reply.get("results", outcome.results)),
                         error=error)
        else:
            await store.finish(job_id, "done", reply=reply, results=list(reply.get("results", outcome.results)))
    except anyio.get_cancelled_exc_class():
        with anyio.CancelScope(shield=True):
            if state.shutting_down:
                await store.finish(job_id, "failed", error=restarted_error())
            else:
                await store.finish(job_id, "cancelled")
        raise
    except Exception as exc:  # noqa: BLE001  a failed engine run becomes the job's failed status, never a crashed task
        await store.finish(job_id, "failed", error=engine_failure(exc).body)
    finally:
        reservation.release()
        signals.notify(job_id)


@router.post("/bridge/jobs", status_code=202, openapi_extra=json_body(BridgeRequest))
async def create_job(request: Request) -> JSONResponse:
    """Start a batch in the background; 202 with the id and where to follow it."""
    state = bridge_state(request)
    check_auth(request)
    require_json(request)
    reservation = reserve(request, state)
    started = False
    try:
        body = await read_request(request, state)
        engine = state.require_engine()
        kwargs = await anyio.to_thread.run_sync(prepare, state, engine, body)  # reads whole files: off the loop
        try:
            job_id = await _store(state).create(len(body.items))
        except BusyError as exc:
            raise busy(state, exc) from exc
        assert state.tasks is not None
        reservation.hand_over()
        state.tasks.start_soon(_run_job, state, engine, job_id, body, kwargs, reservation)
        started = True
    finally:
        if not started:
            reservation.release()
    created = JobCreated(id=job_id, status="queued", status_url=f"/bridge/jobs/{job_id}",
                         events_url=f"/bridge/jobs/{job_id}/events")
    return JSONResponse(created.model_dump(mode="json"), status_code=202, headers={"Location": created.status_url})


@router.get("/bridge/jobs/{job_id}")
async def job_status(job_id: str, request: Request) -> JSONResponse:
    """Status and the results finished so far (null where not yet)."""
    state = bridge_state(request)
    check_auth(request)
    await _get(state, job_id)
    try:
        return JSONResponse(await _store(state).view_json(job_id))
    except JobNotFoundError:
        raise BridgeHTTPError(404, "job_not_found", f"no job {job_id!r}; its time to live passed") from None


async def _sse(state: BridgeState, job_id: str) -> AsyncIterator[bytes]:
    store, cursor = _store(state), 0
    while True:
        waiter = state.job_signals.wait_for(job_id)
        try:
            events = await store.events_after(job_id, cursor)
            final = await store.status(job_id) in FINAL
        except JobNotFoundError:
            return
        for seq, index, result in events:
            cursor = seq
            yield f"event: result\ndata: {json.dumps({'index': index, 'result': result})}\n\n".encode()
        if final:
            try:
                view = await store.view_json(job_id)
            except JobNotFoundError:
                return
            yield f"event: done\ndata: {json.dumps(view)}\n\n".encode()
            return
        if events:
            continue
        with anyio.move_on_after(15) as scope:
            await waiter.wait()
        if scope.cancelled_caught:
            yield b": keep-alive\n\n"


@router.get("/bridge/jobs/{job_id}/events")
async def job_events(job_id: str, request: Request) -> StreamingResponse:
    """Server-sent events: `result` per finished item (replayed from the start), then `done`."""
    state = bridge_state(request)
    check_auth(request)
    await _get(state, job_id)
    return StreamingResponse(_sse(state, job_id), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


__all__ = ["JobSignals", "router"]
