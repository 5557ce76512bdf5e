"""`create_app(settings)`: the FastAPI app of one bridge, with no import-time globals.

The engine is bound in the lifespan and injected through `app.state.bridge`;
when it cannot be bound the work routes answer 501 with the reason, and
`/healthz` says so. The routes live in `routes.py`, `jobs.py` and `prove.py`
and reach the state through `deps.py`; this module wires them together with
the middleware (Host allow-list, answer counter); `serve.py` puts the
admission door (`early.Door`) in front of it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scillm import __version__
from scillm.bridges.admission import Admission
from scillm.bridges.deps import BridgeState, bridge_state, check_auth, token_ok
from scillm.bridges.engines import BridgeEngine, load_engine
from scillm.bridges.guard import HostGuard
from scillm.bridges.http_errors import install_error_handlers
from scillm.bridges.job_access import AsyncJobStore, open_job_store
from scillm.bridges.jobs import JobSignals
from scillm.bridges.jobs import router as jobs_router
from scillm.bridges.metrics import BridgeMetrics
from scillm.bridges.openapi import install
from scillm.bridges.prove import ProveRequest
from scillm.bridges.prove import router as prove_router
from scillm.bridges.routes import certainly_router, codeworld_router
from scillm.bridges.settings import BridgeSettings
from scillm.errors import EngineNotReadyError
from scillm.remote.schema import BridgeRequest

EngineLoader = Callable[[str], BridgeEngine]

async def _refresh_health(state: BridgeState) -> dict[str, Any]:
    if state.engine is None:
        state.health = {"ready": False, "reason": state.engine_error}
    else:
        health = await anyio.to_thread.run_sync(state.engine.health)
        state.health = health.to_json()
    return state.health


def create_app(settings: BridgeSettings, engine_loader: EngineLoader = load_engine) -> FastAPI:
    """A bridge app for `settings.engine`; nothing runs until the ASGI lifespan starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = BridgeState(settings=settings, admission=Admission(settings.max_concurrent, settings.queue_size,
                                                                 initial_run_s=float(settings.retry_after_s)),
                            metrics=BridgeMetrics(settings.engine))
        try:
            state.engine = engine_loader(settings.engine)
            await state.engine.start()
        except EngineNotReadyError as exc:
            state.engine = None
            state.engine_error = str(exc)
        state.metrics.gauges.update({
            "pool_running": lambda: float(state.admission.running),
            "pool_waiting": lambda: float(state.admission.waiting),
            "pool_capacity": lambda: float(state.admission.max_concurrent),
            "queue_capacity": lambda: float(state.admission.queue_size),
        })
        await _refresh_health(state)
        app.state.bridge = state
        jobs = AsyncJobStore(await anyio.to_thread.run_sync(open_job_store, settings))
        state.jobs = jobs
        state.job_signals = JobSignals()
        state.metrics.gauges["jobs_running"] = lambda: float(jobs.running)
        state.metrics.gauges["jobs_bytes"] = lambda: float(jobs.bytes)
        async with anyio.create_task_group() as tg:
            state.tasks = tg
            try:
                yield
            finally:
                state.shutting_down = True
                tg.cancel_scope.cancel()
        with anyio.CancelScope(shield=True):
            await jobs.aclose()
        if state.engine is not None:
            with anyio.CancelScope(shield=True):
                await state.engine.aclose()

    app = FastAPI(title=f"scillm {settings.engine} bridge", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app)
    app.add_middleware(_RequestCounter)
    app.add_middleware(HostGuard, allowed=settings.allowed_hosts)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        check_auth(request)
        return JSONResponse(app.openapi())

    @app.get("/healthz")
    async def healthz(request: Request, refresh: bool = False) -> JSONResponse:
        """`{"ok": ...}` (seed shape); details (versions, paths, pool) only with the token (a wrong one is 401)."""
        state = bridge_state(request)
        if "authorization" in request.headers:
            check_auth(request)
        authorised = token_ok(request, settings.token)
        health = await _refresh_health(state) if refresh and authorised else state.health
        ready = state.engine is not None and bool(health.get("ready", False))
        if not authorised:
            return JSONResponse({"ok": ready, "ready": ready, "status": "ok" if ready else "unavailable"},
                                status_code=200 if ready else 503)
        body = {
            "ok": ready,
            "status": "ok" if ready else "unavailable",
            "ready": ready,
            "engine": settings.engine,
            "engine_loaded": state.engine is not None,
            "engine_error": state.engine_error,
            "scillm_version": __version__,
            "health": health,
            "pool": state.admission.snapshot(),
            "jobs": {"running": state.jobs.running, "kept": state.jobs.kept} if state.jobs else None,
            "auth": bool(settings.token),
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics")
    async def metrics(request: Request) -> PlainTextResponse:
        check_auth(request)
        return PlainTextResponse(bridge_state(request).metrics.render(), media_type="text/plain; version=0.0.4")

    if settings.engine == "certainly":
        app.include_router(certainly_router)
        app.include_router(prove_router)
        extra: list[Any] = [ProveRequest]
    else:
        app.include_router(codeworld_router)
        extra = []
    app.include_router(jobs_router)
    install(app, [BridgeRequest, *extra])
    return app


class _RequestCounter:
    """Pure ASGI middleware (no body buffering, so disconnects and SSE pass through) counting answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in {"/metrics", "/healthz"}:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            state = getattr(scope["app"].state, "bridge", None) if "app" in scope else None
            if state is not None:
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                state.metrics.record_request(str(route), status["code"], time.perf_counter() - started)


__all__ = ["create_app"]
