"""Admission at the door: a full bridge answers 429 before routing, parsing or reading the body.

Under a burst most requests are refusals, and each one is cheap only if it
costs no more than the HTTP parse: this pure ASGI middleware takes the place
for a work request (`POST` on a work path) in the same step as the capacity
check, hands it to the route through the scope, and otherwise answers 429
with `Retry-After` from the queue and `Connection: close` (the unread body is
never read). Requests without the right token or not declared JSON pass
through untouched, so they still get their 401/415 from the route.
"""

from __future__ import annotations

import json
from typing import Any

from scillm.bridges.admission import BusyError
from scillm.bridges.body import is_json_type
from scillm.bridges.deps import RESERVATION_KEY, BridgeState, bearer_ok

ROUTE_KEY = "scillm.route"
"""ASGI scope key naming the work path a request was refused on (for the metrics)."""


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


class EarlyAdmission:
    """Take an admission place for work requests on `paths`, or refuse them with 429 at once."""

    def __init__(self, app: Any, paths: frozenset[str]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return
        state: BridgeState | None = getattr(scope["app"].state, "bridge", None) if "app" in scope else None
        if (state is None or not bearer_ok(_header(scope, b"authorization"), state.settings.token)
                or not is_json_type(_header(scope, b"content-type"))):
            await self.app(scope, receive, send)
            return
        try:
            reservation = state.admission.reserve()
        except BusyError as exc:
            scope[ROUTE_KEY] = scope["path"]
            await _refuse(send, str(exc), state.admission.retry_after_s())
            return
        scope[RESERVATION_KEY] = reservation
        try:
            await self.app(scope, receive, send)
        finally:
            if not reservation.handed_over:
                reservation.release()


async def _refuse(send: Any, reason: str, retry_after_s: int) -> None:
    message = f"bridge is at capacity ({reason}); retry after {retry_after_s} s"
    body = json.dumps({"error": {"type": "busy", "message": message, "details": []}}).encode()
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after_s).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


__all__ = ["ROUTE_KEY", "EarlyAdmission"]
