"""What a work route does: read and validate the body, take a slot, run the engine, answer.

Shared by the certainly and codeworld routes so that both bridges give the
same status codes for the same faults: 400 malformed JSON, 413 too large,
422 schema errors (with the field path), 429 busy, 501 no engine, 504
deadline with the results so far.
"""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from scillm.bridges.admission import BusyError
from scillm.bridges.app import BridgeHTTPError, BridgeState, bridge_state, check_auth
from scillm.bridges.engines import ModuleEngine
from scillm.bridges.runner import RunOutcome, collect, partial_payload
from scillm.bridges.schema import BridgeReply, BridgeRequest, ErrorBody, ErrorDetail, TimeoutReply
from scillm.errors import (
    BackendUnavailableError,
    ConfigError,
    EngineNotReadyError,
    InvalidRequestError,
    SandboxUnavailableError,
)


async def _read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise BridgeHTTPError(413, "too_large", f"request body is {declared} bytes; this bridge accepts at most {cap}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise BridgeHTTPError(413, "too_large", f"request body exceeds {cap} bytes; split the batch")
        chunks.append(chunk)
    return b"".join(chunks)


def _details(exc: ValidationError) -> list[ErrorDetail]:
    return [ErrorDetail(loc=".".join(str(p) for p in err["loc"]), msg=err["msg"]) for err in exc.errors()]


async def read_request(request: Request, state: BridgeState) -> BridgeRequest:
    """The validated body, or the 400/413/422 that says exactly what is wrong with it."""
    limits = state.settings
    raw = await _read_capped(request, limits.max_body_bytes)
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise BridgeHTTPError(400, "invalid_json", f"request body is not valid JSON{where}: {exc}",
                              details=[ErrorDetail(loc="body", msg=str(exc))]) from exc
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
    return body


def engine_kwargs(engine: ModuleEngine, body: BridgeRequest) -> dict[str, Any]:
    return engine.engine_kwargs(body.provider.args, body.options.model_dump())


def deadline_of(state: BridgeState, body: BridgeRequest) -> float:
    return body.options.max_seconds or state.settings.default_max_seconds


def busy(state: BridgeState, exc: BusyError) -> BridgeHTTPError:
    retry = str(state.settings.retry_after_s)
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
    return BridgeHTTPError(500, "engine_error", message)


async def finish(engine: ModuleEngine, items: list[Any], kwargs: dict[str, Any], outcome: RunOutcome,
                 max_seconds: float) -> dict[str, Any]:
    """The reply payload: the engine's own when every item finished, else results so far."""
    if outcome.timed_out:
        return partial_payload(engine.name, outcome, kwargs, max_seconds)
    built = await engine.build_payload(items, outcome.results, kwargs, outcome.elapsed_s)
    return built if built is not None else partial_payload(engine.name, outcome, kwargs, max_seconds)


async def _watch_disconnect(request: Request, scope: anyio.CancelScope) -> None:
    """Cancel the work when the client goes away (the body is already consumed)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            scope.cancel()
            return


async def run_sync(request: Request) -> JSONResponse:
    """POST /bridge: run every item now and answer with the engine payload."""
    state = bridge_state(request)
    check_auth(request)
    body = await read_request(request, state)
    engine = state.require_engine()
    kwargs = engine_kwargs(engine, body)
    max_seconds = deadline_of(state, body)
    outcome: RunOutcome | None = None
    failure: Exception | None = None

    async def _record(index: int, result: Any) -> None:
        state.metrics.record_result(result)

    async def _work(scope: anyio.CancelScope) -> None:
        nonlocal outcome, failure
        queued_at = time.perf_counter()
        try:
            async with state.admission.slot():
                outcome = await collect(engine, list(body.items), kwargs, max_seconds, _record, queued_at)
        except Exception as exc:
            failure = exc
        finally:
            scope.cancel()

    async with anyio.create_task_group() as tg:
        tg.start_soon(_watch_disconnect, request, tg.cancel_scope)
        tg.start_soon(_work, tg.cancel_scope)
    if isinstance(failure, BusyError):
        raise busy(state, failure) from failure
    if failure is not None:
        raise engine_failure(failure) from failure
    if outcome is None:
        raise BridgeHTTPError(499, "client_closed", "client disconnected; the work was cancelled")
    payload = await finish(engine, list(body.items), kwargs, outcome, max_seconds)
    if outcome.timed_out:
        error = ErrorBody(type="timeout", message=f"max_seconds={max_seconds:g} passed with {outcome.completed} of "
                          f"{len(body.items)} items finished; unfinished items are marked timeout")
        reply = TimeoutReply(error=error, **payload)
        return JSONResponse(reply.model_dump(mode="json"), status_code=504)
    BridgeReply.model_validate(payload)
    return JSONResponse(payload, status_code=200)


__all__ = ["busy", "deadline_of", "engine_failure", "engine_kwargs", "finish", "read_request", "run_sync"]
