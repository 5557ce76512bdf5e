"""What a work route does: read and validate the body, take a slot, run the engine, answer.

Shared by the certainly and codeworld routes so that both bridges give the
same status codes for the same faults: 400 malformed JSON, 408 body too slow,
413 too large, 415 not JSON, 422 schema or policy errors (with the field
path), 429 busy (checked before the body is read, so refusals are fast), 501
no engine, 504 deadline with the results so far.
"""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from scillm.bridges.admission import BusyError, Reservation
from scillm.bridges.body import INLINE_PARSE_BYTES, finite, parse_json, read_body, require_json
from scillm.bridges.deps import BridgeState, bridge_state, check_auth, claim_reservation
from scillm.bridges.engines import BridgeEngine, engine_kwargs
from scillm.bridges.http_errors import BridgeHTTPError, field_errors
from scillm.bridges.policy import certainly_kwargs, codeworld_kwargs, door_check_certainly
from scillm.bridges.runner import OnResult, RunOutcome, collect
from scillm.bridges.settings import BridgeSettings
from scillm.errors import (
    BackendUnavailableError,
    ConfigError,
    EngineNotReadyError,
    InvalidRequestError,
    SandboxUnavailableError,
)
from scillm.integrations.certainly.options import RequestFieldError
from scillm.remote.schema import BridgeReply, BridgeRequest, ErrorBody, ErrorDetail, TimeoutReply


def _details(exc: ValidationError) -> list[ErrorDetail]:
    return [ErrorDetail(loc=".".join(str(p) for p in err["loc"]), msg=err["msg"]) for err in exc.errors()]


def _validated(raw: bytes, limits: BridgeSettings) -> BridgeRequest:
    data = parse_json(raw)
    try:
        body = BridgeRequest.model_validate(data)
    except ValidationError as exc:
        details = _details(exc)
        summary = "; ".join(f"{d.loc or 'body'}: {d.msg}" for d in details[:5])
        raise BridgeHTTPError(422, "invalid_request", f"request does not match the bridge schema: {summary}",
                              details=details) from exc
    if len(body.items) > limits.max_items:
        raise BridgeHTTPError(413, "too_many_items", f"{len(body.items)} items; this bridge accepts at most "
                              f"{limits.max_items} per request (use several requests or /bridge/jobs)")
    oversized = [ErrorDetail(loc=f"items.{i}", msg=f"item is {n} bytes serialised; the limit is {limits.max_item_bytes}")
                 for i, n in ((i, len(json.dumps(item))) for i, item in enumerate(body.items))
                 if n > limits.max_item_bytes]
    if oversized:
        raise BridgeHTTPError(422, "item_too_large", f"{len(oversized)} item(s) exceed {limits.max_item_bytes} bytes: "
                              + ", ".join(d.loc for d in oversized[:5]), details=oversized)
    if body.options.max_seconds is not None and body.options.max_seconds > limits.max_item_seconds:
        raise field_errors([("options.max_seconds", f"at most {limits.max_item_seconds:g} on this server")],
                           "request asks for more than this server allows")
    return body


async def read_request(request: Request, state: BridgeState) -> BridgeRequest:
    """The validated body, or the 400/408/413/415/422 that says exactly what is wrong with it.

    A large body is decoded and validated in a worker thread, so the event
    loop keeps answering other requests (refusals above all) meanwhile.
    """
    limits = state.settings
    require_json(request)
    raw = await read_body(request, limits.max_body_bytes, limits.body_timeout_s)
    if len(raw) > INLINE_PARSE_BYTES:
        return await anyio.to_thread.run_sync(_validated, raw, limits)
    return _validated(raw, limits)


def prepare(state: BridgeState, engine: BridgeEngine, body: BridgeRequest) -> dict[str, Any]:
    """The engine keywords for this request after the server's policy and the door checks; 422 otherwise."""
    try:
        if engine.name == "certainly":
            kwargs = certainly_kwargs(body.provider.args, body.options.model_dump(), state.settings)
            door_check_certainly(list(body.items))
        else:
            kwargs = codeworld_kwargs(body.provider.args, state.settings)
    except RequestFieldError as exc:
        raise field_errors(exc.problems, "request refused by the server's policy") from exc
    return engine_kwargs(engine, kwargs, body.options.model_dump())


def deadline_of(state: BridgeState, body: BridgeRequest) -> float:
    return body.options.max_seconds or state.settings.default_max_seconds


def busy(state: BridgeState, exc: BusyError) -> BridgeHTTPError:
    retry = str(state.admission.retry_after_s())
    return BridgeHTTPError(429, "busy", f"bridge is at capacity ({exc}); retry after {retry} s",
                           headers={"Retry-After": retry})


def engine_failure(exc: Exception) -> BridgeHTTPError:
    """The HTTP answer for an error the engine raised about the call as a whole."""
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, EngineNotReadyError):
        return BridgeHTTPError(501, "engine_not_ready", message)
    if isinstance(exc, BackendUnavailableError | SandboxUnavailableError):
        return BridgeHTTPError(503, "backend_unavailable", message)
    if isinstance(exc, InvalidRequestError | ConfigError):
        return BridgeHTTPError(422, "invalid_request", message, details=[ErrorDetail(loc="provider.args", msg=str(exc))])
    if isinstance(exc, ValueError | TypeError):
        return BridgeHTTPError(422, "invalid_request", message, details=[ErrorDetail(loc="body", msg=str(exc))])
    return BridgeHTTPError(500, "engine_error", message)


async def watch_disconnect(request: Request, scope: anyio.CancelScope) -> None:
    """Cancel the work when the client goes away (the body is already consumed)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            scope.cancel()
            return


def reserve(request: Request, state: BridgeState) -> Reservation:
    """This request's admission place (taken at the door when it could be); 429 when there is none."""
    try:
        return claim_reservation(request, state)
    except BusyError as exc:
        raise busy(state, exc) from exc


async def run_sync(request: Request) -> JSONResponse:
    """POST /bridge/complete: run every item now and answer with the engine payload."""
    state = bridge_state(request)
    check_auth(request)
    require_json(request)
    reservation = reserve(request, state)
    try:
        body = await read_request(request, state)
        engine = state.require_engine()
        kwargs = await anyio.to_thread.run_sync(prepare, state, engine, body)  # reads whole files: off the loop
        return await _run_reserved(request, state, engine, body, kwargs, reservation)
    finally:
        reservation.release()


async def run_watched(request: Request, engine: BridgeEngine, items: list[Any], kwargs: dict[str, Any],
                      reservation: Reservation, max_seconds: float, on_result: OnResult | None) -> RunOutcome:
    """Run the items in the reserved place; cancelled when the client goes away (499), engine faults mapped."""
    outcome: RunOutcome | None = None
    failure: Exception | None = None

    async def _work(scope: anyio.CancelScope) -> None:
        nonlocal outcome, failure
        queued_at = time.perf_counter()
        try:
            async with reservation.run():
                outcome = await collect(engine, items, kwargs, max_seconds, on_result, queued_at)
        except Exception as exc:  # noqa: BLE001  every engine fault becomes the HTTP answer below, never a 500 trace
            failure = exc
        finally:
            scope.cancel()

    async with anyio.create_task_group() as tg:
        tg.start_soon(watch_disconnect, request, tg.cancel_scope)
        tg.start_soon(_work, tg.cancel_scope)
    if failure is not None:
        raise engine_failure(failure) from failure
    if outcome is None:
        raise BridgeHTTPError(499, "client_closed", "client disconnected; the work was cancelled")
    return outcome


async def _run_reserved(request: Request, state: BridgeState, engine: BridgeEngine, body: BridgeRequest,
                        kwargs: dict[str, Any], reservation: Reservation) -> JSONResponse:
    max_seconds = deadline_of(state, body)

    async def _record(index: int, result: dict[str, Any]) -> None:
        state.metrics.record_result(result)

    outcome = await run_watched(request, engine, list(body.items), kwargs, reservation, max_seconds, _record)
    payload = finite(outcome.payload)
    if outcome.timed_out:
        error = ErrorBody(type="timeout", message=f"max_seconds={max_seconds:g} passed with {outcome.completed} of "
                          f"{len(body.items)} items finished; unfinished items are marked timeout")
        reply = TimeoutReply(error=error, **payload)
        return JSONResponse(reply.model_dump(mode="json"), status_code=504)
    BridgeReply.model_validate(payload)
    return JSONResponse(payload, status_code=200)


__all__ = ["busy", "deadline_of", "engine_failure", "prepare", "read_request", "reserve", "run_sync", "run_watched",
           "watch_disconnect"]
