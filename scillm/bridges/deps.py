"""What every route needs from the running bridge: its state and the bearer-token check.

Routes import this module, never `app.py`: the app imports the routes, so
this is the one place both sides meet and the import graph stays a tree.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from anyio.abc import TaskGroup
from starlette.requests import Request

from scillm.bridges.admission import Admission, Reservation
from scillm.bridges.engines import BridgeEngine
from scillm.bridges.http_errors import BridgeHTTPError
from scillm.bridges.job_access import AsyncJobStore
from scillm.bridges.metrics import BridgeMetrics
from scillm.bridges.settings import BridgeSettings

RESERVATION_KEY = "scillm.reservation"
"""ASGI scope key under which the early admission middleware leaves the place it took."""


@dataclass
class BridgeState:
    """Everything a request needs, built in the lifespan and reached through `app.state.bridge`."""

    settings: BridgeSettings
    admission: Admission
    metrics: BridgeMetrics
    engine: BridgeEngine | None = None
    engine_error: str | None = None
    health: dict[str, Any] = field(default_factory=dict)
    tasks: TaskGroup | None = None
    jobs: AsyncJobStore | None = None
    job_signals: Any = None
    shutting_down: bool = False

    def require_engine(self) -> BridgeEngine:
        if self.engine is None:
            raise BridgeHTTPError(501, "engine_not_ready", self.engine_error or "engine not loaded")
        return self.engine

    def require_jobs(self) -> AsyncJobStore:
        if self.jobs is None:
            raise BridgeHTTPError(503, "unavailable", "the job store is not open")
        return self.jobs


def bridge_state(request: Request) -> BridgeState:
    state: BridgeState = request.app.state.bridge
    return state


def bearer_ok(header: str, token: str | None) -> bool:
    """True when no token is configured or `header` carries it (`Bearer`, any case, compared in constant time)."""
    if not token:
        return True
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def token_ok(request: Request, token: str | None) -> bool:
    """`bearer_ok` for the request's Authorization header."""
    return bearer_ok(request.headers.get("authorization", ""), token)


def require_token(request: Request, token: str | None) -> None:
    """401 unless the bearer token matches, when the server has one."""
    if not token_ok(request, token):
        raise BridgeHTTPError(401, "unauthorized", "missing or wrong bearer token; send 'Authorization: Bearer <SCILLM_BRIDGE_TOKEN>'",
                              headers={"WWW-Authenticate": "Bearer"})


def check_auth(request: Request) -> None:
    """401 unless the bearer token matches, when the bridge has one."""
    require_token(request, bridge_state(request).settings.token)


def claim_reservation(request: Request, state: BridgeState) -> Reservation:
    """The place the early admission middleware took for this request; else one taken now (BusyError if none)."""
    held = request.scope.get(RESERVATION_KEY)
    if isinstance(held, Reservation):
        return held
    return state.admission.reserve()


__all__ = ["RESERVATION_KEY", "BridgeState", "bearer_ok", "bridge_state", "check_auth", "claim_reservation",
           "require_token", "token_ok"]
