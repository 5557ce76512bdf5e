"""Admission at the door: a full bridge answers 429 before the framework, routing or the body.

Under a burst most requests are refusals, and each one is cheap only if it
costs little more than the HTTP parse. `Door` wraps the whole FastAPI app
(FastAPI's own per-request work included) as pure ASGI: for a work request
(`POST` on a work path, an allowed Host, the right token, declared JSON) it
takes the admission place in the same step as the capacity check and hands
it to the route through the scope; when there is none it answers 429 with
`Retry-After` from the queue and `Connection: close` (the body is never
read). Every other request passes through untouched and gets its
421/401/415/... from the app. Without the door the routes take their place
themselves, with the same answers, only later.
"""

from __future__ import annotations

import json
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from scillm.bridges.admission import BusyError
from scillm.bridges.body import is_json_type
from scillm.bridges.deps import RESERVATION_KEY, BridgeState, bearer_ok
from scillm.bridges.guard import host_allowed

WORK_PATHS: dict[str, frozenset[str]] = {
    "certainly": frozenset({"/bridge/complete", "/bridge", "/v1/certainly", "/bridge/jobs", "/prove"}),
    "codeworld": frozenset({"/bridge/complete", "/bridge", "/v1/codeworld", "/bridge/jobs"}),
}
"""The routes that take an admission place, by engine."""


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


class Door:
    """The bridge app behind admission at the door; an ASGI app itself (give it to uvicorn)."""

    def __init__(self, app: ASGIApp, paths: frozenset[str]) -> None:
        self.app = app
        self.paths = paths
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return
        state: BridgeState | None = getattr(self.state, "bridge", None)
        if (state is None or not host_allowed(scope, state.settings.allowed_hosts)
                or not bearer_ok(_header(scope, b"authorization"), state.settings.token)
                or not is_json_type(_header(scope, b"content-type"))):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            reservation = state.admission.reserve()
        except BusyError as exc:
            await _refuse(send, str(exc), state.admission.retry_after_s())
            state.metrics.record_request(scope["path"], 429, time.perf_counter() - started)
            return
        scope[RESERVATION_KEY] = reservation
        try:
            await self.app(scope, receive, send)
        finally:
            if not reservation.handed_over:
                reservation.release()


async def _refuse(send: Send, reason: str, retry_after_s: int) -> None:
    message = f"bridge is at capacity ({reason}); retry after {retry_after_s} s"
    body = json.dumps({"error": {"type": "busy", "message": message, "details": []}}).encode()
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after_s).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


__all__ = ["WORK_PATHS", "Door"]
