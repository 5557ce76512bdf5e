"""`RemoteEngine`: an engine that runs on a bridge, as httpx puts a Client over a Transport.

It sends one batch as a `BridgeRequest` through `BridgeClient` and answers the
bridge's payload, which the bridge's engine built exactly as direct mode does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scillm.remote.client import BridgeClient
from scillm.remote.schema import BridgeRequest


class RemoteEngine:
    """The engine `name` served by the bridge at `base_url`."""

    def __init__(self, name: str, base_url: str, *, token: str | None = None, timeout_s: float = 120.0) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    async def arun(self, items: list[Any], args: Mapping[str, Any] | None = None, *,
                   options: Mapping[str, Any] | None = None, provider: str | None = None,
                   messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Run `items` on the bridge; its payload (a job followed by events when the deadline is long).

        Raises:
            BridgeError: the bridge refused or failed (its subclass names how).
        """
        request = BridgeRequest.model_validate({
            "messages": messages or [],
            "items": list(items),
            "provider": {"name": provider or self.name, "args": dict(args or {})},
            "options": dict(options or {}),
        })
        async with BridgeClient(self.base_url, token=self.token, timeout_s=self.timeout_s) as client:
            return await client.arun(request)

    async def ahealth(self) -> dict[str, Any]:
        """The bridge's `/healthz` body."""
        async with BridgeClient(self.base_url, token=self.token, timeout_s=self.timeout_s) as client:
            return await client.ahealth()


__all__ = ["RemoteEngine"]
