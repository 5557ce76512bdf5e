"""`create_check_app(checker)`: a LeanWorker-style `POST /check` service around any `Checker`.

One machine with provers serves a team: `RemoteChecker` on the other side
speaks the same wire models (`checkers/remote.py`). The service holds itself
to the bridges' rules: the same bearer-token check (any case of `Bearer`,
constant-time compare), JSON bodies only, size-capped and read under a
deadline, a Host allow-list, the documented error shape for every non-200,
and no API documentation for callers without the token. Every check runs the
full verdict (axioms, exact statement): the request's `confirm` field is
accepted for compatibility and ignored. A checker that raises answers 500
(the client reports `crashed`, never `proved`).

Run it: `uvicorn --factory 'scillm.bridges.check_server:coq_app'`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from scillm.bridges.body import read_json
from scillm.bridges.deps import require_token, token_ok
from scillm.bridges.guard import HostGuard
from scillm.bridges.http_errors import BridgeHTTPError, field_errors, install_error_handlers
from scillm.bridges.openapi import install, json_body
from scillm.bridges.settings import LOOPBACK_HOSTS
from scillm.integrations.certainly.checkers.base import Checker
from scillm.integrations.certainly.checkers.coq import CoqChecker
from scillm.integrations.certainly.checkers.prover_sandbox import allowing_unsandboxed
from scillm.integrations.certainly.checkers.remote import CheckReply, CheckRequest
from scillm.integrations.certainly.models import Backend
from scillm.settings import CertainlySettings, bridge_token


def create_check_app(
    checker: Checker, *, token: str | None = None, default_backend: Backend = "coq", close_checker: bool = False,
    max_body_bytes: int = 1024 * 1024, body_timeout_s: float = 15.0,
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS, unsandboxed_provers: bool = False,
) -> FastAPI:
    """The app; `token` (default `SCILLM_BRIDGE_TOKEN`) is required as a Bearer token when set.

    `unsandboxed_provers` (the server's `CertainlySettings.unsandboxed_provers`) lets the checker run
    provers without bubblewrap where it cannot run; a request never can.
    """
    required = token if token is not None else bridge_token()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.checker = checker
        try:
            yield
        finally:
            if close_checker:
                await checker.aclose()

    app = FastAPI(title="scillm check server", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app)
    app.add_middleware(HostGuard, allowed=allowed_hosts)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        require_token(request, required)
        return JSONResponse(app.openapi())

    @app.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        """`{"ok": ...}`; the checker's details only for an authorised caller (a wrong token is 401)."""
        if "authorization" in request.headers:
            require_token(request, required)
        with allowing_unsandboxed(unsandboxed_provers):
            status = await asyncio.to_thread(checker.status)
        if not token_ok(request, required):
            return JSONResponse({"ok": status.available})
        return JSONResponse({"ok": status.available, "checker": checker.name, "backend": status.model_dump()})

    @app.post("/check", response_model=CheckReply, openapi_extra=json_body(CheckRequest))
    async def check(request: Request) -> JSONResponse:
        require_token(request, required)
        data = await read_json(request, max_body_bytes, body_timeout_s)
        try:
            body = CheckRequest.model_validate(data)
            problem = body.to_problem(default_backend)
        except ValidationError as exc:
            problems = [(".".join(str(p) for p in e["loc"]), str(e["msg"])) for e in exc.errors()]
            raise field_errors(problems, "request does not match the check schema") from exc
        try:
            with allowing_unsandboxed(unsandboxed_provers):
                result = await checker.check(problem, body.proof, timeout_ms=body.timeout_ms, confirm=True)
        except Exception as exc:
            raise BridgeHTTPError(500, "checker_error", f"the checker failed: {type(exc).__name__}: {exc}") from exc
        reply: dict[str, Any] = CheckReply.from_result(result).model_dump(mode="json")
        return JSONResponse(reply)

    install(app, [CheckRequest])
    return app


def coq_app() -> FastAPI:
    """The service around a warm-pool Coq checker (for `uvicorn --factory`), configured from the environment."""
    settings = CertainlySettings.from_env()
    return create_check_app(CoqChecker(pool_size=settings.pool_size), close_checker=True,
                            unsandboxed_provers=settings.unsandboxed_provers)


__all__ = ["coq_app", "create_check_app"]
