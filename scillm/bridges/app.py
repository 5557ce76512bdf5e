"""`create_app(settings)`: the FastAPI app of one bridge, with no import-time globals.

The engine is bound in the lifespan and injected through `app.state.bridge`;
when it cannot be bound the work routes answer 501 with the reason, and
`/healthz` says so. Auth, error bodies, `/healthz` and `/metrics` live here;
the work routes live in `certainly.py`/`codeworld.py` and `jobs.py`.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import TaskGroup
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from scillm.bridges.admission import Admission
from scillm.bridges.engines import ModuleEngine, load_engine
from scillm.bridges.guard import HostGuard
from scillm.bridges.http_errors import BridgeHTTPError, error_response, field_errors, from_status
from scillm.bridges.metrics import BridgeMetrics
from scillm.bridges.settings import BridgeSettings
from scillm.errors import EngineNotReadyError

EngineLoader = Callable[[str], ModuleEngine]


@dataclass
class BridgeState:
    """Everything a request needs, built in the lifespan and reached through `app.state.bridge`."""

    settings: BridgeSettings
    admission: Admission
    metrics: BridgeMetrics
    engine: ModuleEngine | None = None
    engine_error: str | None = None
    health: dict[str, Any] = field(default_factory=dict)
    tasks: TaskGroup | None = None
    jobs: Any = None
    job_signals: Any = None
    shutting_down: bool = False

    def require_engine(self) -> ModuleEngine:
        if self.engine is None:
            raise BridgeHTTPError(501, "engine_not_ready", self.engine_error or "engine not loaded")
        return self.engine


def bridge_state(request: Request) -> BridgeState:
    state: BridgeState = request.app.state.bridge
    return state


def token_ok(request: Request, token: str | None) -> bool:
    """True when no token is configured or the request carries it (`Bearer`, any case, compared in constant time)."""
    if not token:
        return True
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def require_token(request: Request, token: str | None) -> None:
    """401 unless the bearer token matches, when the server has one."""
    if not token_ok(request, token):
        raise BridgeHTTPError(401, "unauthorized", "missing or wrong bearer token; send 'Authorization: Bearer <SCILLM_BRIDGE_TOKEN>'",
                              headers={"WWW-Authenticate": "Bearer"})


def check_auth(request: Request) -> None:
    """401 unless the bearer token matches, when the bridge has one."""
    require_token(request, bridge_state(request).settings.token)


def install_error_handlers(app: FastAPI) -> None:
    """Every error FastAPI or Starlette raise themselves (404, 405, validation) in the documented shape."""

    @app.exception_handler(BridgeHTTPError)
    async def _on_bridge_error(request: Request, exc: BridgeHTTPError) -> Response:
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return from_status(exc.status_code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _on_validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [(".".join(str(p) for p in e.get("loc", ())), str(e.get("msg", ""))) for e in exc.errors()]
        return error_response(field_errors(problems, "request does not match the schema"))


async def _refresh_health(state: BridgeState) -> dict[str, Any]:
    if state.engine is None:
        state.health = {"ready": False, "reason": state.engine_error}
    else:
        state.health = await anyio.to_thread.run_sync(state.engine.health)
    return state.health


def create_app(settings: BridgeSettings, engine_loader: EngineLoader = load_engine) -> FastAPI:
    """A bridge app for `settings.engine`; nothing runs until the ASGI lifespan starts."""
    from scillm import __version__
    from scillm.bridges import jobs as jobs_routes
    from scillm.bridges.job_store import JobStore, default_jobs_path

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = BridgeState(settings=settings, admission=Admission(settings.max_concurrent, settings.queue_size,
                                                                 initial_run_s=float(settings.retry_after_s)),
                            metrics=BridgeMetrics(settings.engine))
        try:
            state.engine = engine_loader(settings.engine)
        except EngineNotReadyError as exc:
            state.engine_error = str(exc)
        state.metrics.gauges.update({
            "pool_running": lambda: float(state.admission.running),
            "pool_waiting": lambda: float(state.admission.waiting),
            "pool_capacity": lambda: float(state.admission.max_concurrent),
            "queue_capacity": lambda: float(state.admission.queue_size),
        })
        await _refresh_health(state)
        app.state.bridge = state
        state.jobs = JobStore(settings.jobs_path or default_jobs_path(settings.engine, settings.port),
                              max_jobs=settings.max_jobs, ttl_s=settings.job_ttl_s, max_bytes=settings.jobs_max_bytes)
        state.job_signals = jobs_routes.JobSignals()
        state.metrics.gauges["jobs_running"] = lambda: float(state.jobs.running_count())
        state.metrics.gauges["jobs_bytes"] = lambda: float(state.jobs.stored_bytes())
        async with anyio.create_task_group() as tg:
            state.tasks = tg
            try:
                yield
            finally:
                state.shutting_down = True
                tg.cancel_scope.cancel()
        state.jobs.close()
        close = getattr(state.engine, "aclose", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await close()

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
            "jobs": {"running": state.jobs.running_count(), "kept": len(state.jobs)},
            "auth": bool(settings.token),
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics")
    async def metrics(request: Request) -> PlainTextResponse:
        check_auth(request)
        return PlainTextResponse(bridge_state(request).metrics.render(), media_type="text/plain; version=0.0.4")

    if settings.engine == "certainly":
        from scillm.bridges.certainly import router
        from scillm.bridges.prove import ProveRequest
        from scillm.bridges.prove import router as prove_router

        app.include_router(prove_router)
        extra: list[Any] = [ProveRequest]
    else:
        from scillm.bridges.codeworld import router

        extra = []
    app.include_router(router)
    app.include_router(jobs_routes.router)
    from scillm.bridges.openapi import install
    from scillm.bridges.schema import BridgeRequest

    install(app, [BridgeRequest, *extra])
    return app


class _RequestCounter:
    """Pure ASGI middleware (no body buffering, so disconnects and SSE pass through) counting answers."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") in {"/metrics", "/healthz"}:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def _send(message: dict[str, Any]) -> None:
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


__all__ = ["BridgeHTTPError", "BridgeState", "bridge_state", "check_auth", "create_app", "install_error_handlers",
           "require_token", "token_ok"]
