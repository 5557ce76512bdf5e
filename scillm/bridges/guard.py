"""Host allow-list as pure ASGI middleware: a web page cannot drive a local bridge through DNS rebinding.

Requests whose `Host` header (port removed) is not on the list get 421 in
the documented error shape; the default list is the loopback names.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send


def host_name(raw: str) -> str:
    """`example.com:80` -> `example.com`, `[::1]:8787` -> `[::1]`."""
    raw = raw.strip().lower()
    if raw.startswith("["):
        return raw[: raw.find("]") + 1] if "]" in raw else raw
    return raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw


def host_allowed(scope: Scope, allowed: tuple[str, ...] | set[str]) -> bool:
    """True when the request's Host (port removed) is on `allowed` ('*' allows any)."""
    names = {h.lower() for h in allowed}
    if "*" in names:
        return True
    host = b""
    for key, value in scope.get("headers") or ():
        if key == b"host":
            host = value
            break
    name = host_name(bytes(host).decode("latin-1"))
    return name in names or (name == "::1" and "[::1]" in names)


class HostGuard:
    """Refuse requests for a Host not in `allowed` ('*' allows any)."""

    def __init__(self, app: ASGIApp, allowed: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = {h.lower() for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or host_allowed(scope, self.allowed):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        host = host_name(headers.get(b"host", b"").decode("latin-1"))
        body = json.dumps({"error": {"type": "misdirected_request", "message": f"Host {host!r} is not served here; "
                                     "start the server with --allowed-host to add it", "details": []}}).encode()
        await send({"type": "http.response.start", "status": 421,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


__all__ = ["HostGuard", "host_allowed", "host_name"]
