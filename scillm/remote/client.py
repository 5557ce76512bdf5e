"""HTTP fallback client: send a batch to a bridge, map its errors, retry when it says so.

Short runs use `POST /bridge`; when `max_seconds` exceeds the HTTP timeout the
client starts a job and follows its server-sent events instead, so no single
HTTP read has to outlive a proxy's timeout. Errors carry the server's message
as `scillm.errors` types (all `BridgeError`, imported from there, not from
here); LiteLLM twins are added by the provider layer (`scillm.llms.errors`).
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx

from scillm.errors import (
    BridgeAuthError,
    BridgeBusyError,
    BridgeEngineNotReadyError,
    BridgeError,
    BridgeInvalidRequestError,
    BridgeTimeoutError,
    BridgeUnavailableError,
)
from scillm.remote.schema import BridgeRequest

_BY_STATUS: dict[int, type[BridgeError]] = {
    400: BridgeInvalidRequestError, 413: BridgeInvalidRequestError, 422: BridgeInvalidRequestError,
    401: BridgeAuthError, 403: BridgeAuthError, 429: BridgeBusyError, 501: BridgeEngineNotReadyError,
    503: BridgeUnavailableError, 504: BridgeTimeoutError,
}
_BY_TYPE: dict[str, int] = {"invalid_request": 422, "busy": 429, "engine_not_ready": 501,
                            "backend_unavailable": 503, "timeout": 504}
_RETRY_STATUS = {429, 503}


def error_from_response(status_code: int, body: object, url: str) -> BridgeError:
    """The scillm exception for one bridge error answer, carrying the server's own message."""
    message = ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = str(body["error"].get("message", ""))
    if not message:
        message = str(body)[:500] if body else f"HTTP {status_code}"
    cls = _BY_STATUS.get(status_code, BridgeError)
    return cls(f"bridge {url} answered {status_code}: {message}", status_code=status_code, body=body)


def _retry_after_s(response: httpx.Response, attempt: int, backoff_s: float) -> float:
    raw = response.headers.get("retry-after")
    if raw is not None:
        try:
            return min(max(float(raw), 0.0), 60.0)
        except ValueError:
            pass
    return float(backoff_s * (2**attempt) * (1 + random.random() / 4))


def _body(response: httpx.Response) -> Any:  # noqa: ANN401  the bridge's JSON body, any JSON value
    try:
        return response.json()
    except ValueError:
        return response.text


class BridgeClient:
    """Calls one bridge (`base_url`); `arun` returns the engine payload or raises a BridgeError."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout_s: float = 120.0,
                 max_retries: int = 4, backoff_s: float = 0.25,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=headers, transport=transport,
                                       timeout=httpx.Timeout(timeout_s, connect=10.0))

    async def __aenter__(self) -> BridgeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request with retries on 429/503 (honouring Retry-After) and on refused connections."""
        url = f"{self.base_url}{path}"
        for attempt in range(self.max_retries + 1):
            try:
                response = await self._http.request(method, path, **kwargs)
            except httpx.TimeoutException as exc:
                raise BridgeTimeoutError(f"bridge {url} did not answer within {self.timeout_s:g} s: {exc}") from exc
            except httpx.TransportError as exc:
                if attempt < self.max_retries:
                    await anyio.sleep(self.backoff_s * (2**attempt))
                    continue
                raise BridgeUnavailableError(
                    f"cannot reach the bridge at {url} ({type(exc).__name__}: {exc}); start it with "
                    "`scillm bridge <engine>` or set its base URL") from exc
            if response.status_code in _RETRY_STATUS and attempt < self.max_retries:
                await anyio.sleep(_retry_after_s(response, attempt, self.backoff_s))
                continue
            if response.status_code >= 400:
                raise error_from_response(response.status_code, _body(response), url)
            return response
        raise AssertionError("unreachable: the loop returns or raises")

    async def ahealth(self) -> dict[str, Any]:
        """GET /healthz; its body also for 503 (not ready), so callers see why."""
        try:
            response = await self._http.get("/healthz", timeout=10.0)
        except httpx.TransportError as exc:
            raise BridgeUnavailableError(f"cannot reach the bridge at {self.base_url}: {exc}") from exc
        body = _body(response)
        if response.status_code not in (200, 503) or not isinstance(body, dict):
            raise error_from_response(response.status_code, body, f"{self.base_url}/healthz")
        return body

    async def arun(self, request: BridgeRequest) -> dict[str, Any]:
        """The engine payload for `request`; the jobs path when its deadline outlives the HTTP timeout."""
        max_seconds = request.options.max_seconds
        if max_seconds is not None and max_seconds > self.timeout_s:
            return await self.arun_job(request)
        read_timeout = self.timeout_s if max_seconds is None else max_seconds + 10.0
        response = await self._send("POST", "/bridge/complete", json=request.model_dump(mode="json"),
                                    timeout=httpx.Timeout(read_timeout, connect=10.0))
        payload: dict[str, Any] = response.json()
        return payload

    async def arun_job(self, request: BridgeRequest) -> dict[str, Any]:
        """Start a job and follow its events to the final payload."""
        created = (await self._send("POST", "/bridge/jobs", json=request.model_dump(mode="json"))).json()
        final: dict[str, Any] | None = None
        async for kind, data in self.events(created["events_url"], request.options.max_seconds):
            if kind == "done":
                final = data
        if final is None:
            final = (await self._send("GET", created["status_url"])).json()
        return self._job_payload(final, created["status_url"])

    def _job_payload(self, status: dict[str, Any], url: str) -> dict[str, Any]:
        state = status.get("status")
        if state == "done" and isinstance(status.get("reply"), dict):
            payload: dict[str, Any] = status["reply"]
            return payload
        error = status.get("error") or {}
        code = _BY_TYPE.get(str(error.get("type")), 500)
        body = status.get("reply") or status
        raise error_from_response(code, {"error": error, **(body if isinstance(body, dict) else {})}, url)

    async def events(self, path: str, max_seconds: float | None = None) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Server-sent events of a job as `(event, data)` until `done`."""
        timeout = httpx.Timeout((max_seconds or self.timeout_s) + 30.0, connect=10.0)
        async with self._http.stream("GET", path, timeout=timeout) as response:
            if response.status_code >= 400:
                await response.aread()
                raise error_from_response(response.status_code, _body(response), f"{self.base_url}{path}")
            kind, data = "message", []
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    yield kind, json.loads("\n".join(data))
                    if kind == "done":
                        return
                    kind, data = "message", []


__all__ = ["BridgeClient", "error_from_response"]
