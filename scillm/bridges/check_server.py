"""`create_check_app(checker)`: a LeanWorker-style `POST /check` service around any `Checker`.

One machine with provers serves a team: `RemoteChecker` on the other side
speaks the same wire models (`checkers/remote.py`). Routes are thin: the
checker is passed in (no import-time globals), a malformed body is answered
422 by validation, an unexpected checker exception 500 (the client reports
`crashed`, never `proved`). FastAPI is imported by this module only.

Run it: `uvicorn --factory 'scillm.bridges.check_server:coq_app'`.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import ValidationError

from scillm.config import env
from scillm.integrations.certainly.checkers.base import Checker
from scillm.integrations.certainly.checkers.remote import CheckReply, CheckRequest
from scillm.integrations.certainly.models import Backend


def create_check_app(
    checker: Checker, *, token: str | None = None, default_backend: Backend = "coq", close_checker: bool = False
) -> FastAPI:
    """The app; `token` (default `SCILLM_BRIDGE_TOKEN`) is required as a Bearer token when set."""
    required = token if token is not None else env("SCILLM_BRIDGE_TOKEN")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.checker = checker
        try:
            yield
        finally:
            if close_checker:
                await checker.aclose()

    def authorize(request: Request) -> None:
        if not required:
            return
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {required}".encode()):
            raise HTTPException(status_code=401, detail="missing or wrong bearer token")

    app = FastAPI(title="scillm check server", lifespan=lifespan)

    @app.get("/healthz", dependencies=[Depends(authorize)])
    async def healthz() -> dict[str, Any]:
        status = await asyncio.to_thread(checker.status)
        return {"ok": status.available, "checker": checker.name, "backend": status.model_dump()}

    @app.post("/check", response_model=CheckReply, dependencies=[Depends(authorize)])
    async def check(body: CheckRequest) -> CheckReply:
        try:
            problem = body.to_problem(default_backend)
        except ValidationError as exc:
            raise HTTPException(status_code=422, detail=exc.errors(include_url=False)) from exc
        result = await checker.check(problem, body.proof, timeout_ms=body.timeout_ms, confirm=body.confirm)
        return CheckReply.from_result(result)

    return app


def coq_app() -> FastAPI:
    """The service around a warm-pool Coq checker (for `uvicorn --factory`)."""
    from scillm.integrations.certainly.checkers.coq import CoqChecker

    return create_check_app(CoqChecker(), close_checker=True)


__all__ = ["coq_app", "create_check_app"]
