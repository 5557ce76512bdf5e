"""The one client for OpenAI-compatible hosts: auth headers and the 401 -> `x-api-key` retry.

Some OpenAI-compatible hosts refuse `Authorization: Bearer` and want the key
in `x-api-key`. Every scillm call to such a host (the LiteLLM `openai_like`
route, the batch fan-out, the paved helpers) sends Bearer first; on a 401 it
retries once with `x-api-key` and remembers that base URL, so later calls
send `x-api-key` at once. The retry policy lives in `acall`/`call`; the
transports plug in as a `send(x_api_key)` callable.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

_xkey_bases: set[str] = set()
_xkey_lock = threading.Lock()


class UnauthorizedResponseError(Exception):
    """A host answered 401; raised inside `send` so the retry policy sees it, unwrapped by `OpenAIClient`."""

    status_code = 401

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP 401 from {response.request.url}")
        self.response = response


def _base(api_base: str) -> str:
    return api_base.rstrip("/")


def prefers_x_api_key(api_base: str) -> bool:
    """True when this base URL answered 401 to Bearer and accepted `x-api-key`."""
    with _xkey_lock:
        return _base(api_base) in _xkey_bases


def remember_x_api_key(api_base: str) -> None:
    """Record that this base URL wants `x-api-key` instead of Bearer."""
    with _xkey_lock:
        _xkey_bases.add(_base(api_base))


def auth_headers(api_key: str, api_base: str, *, x_api_key: bool | None = None) -> dict[str, str]:
    """The auth headers for `api_base`: Bearer, or `x-api-key` where that base is known to want it."""
    use_xkey = prefers_x_api_key(api_base) if x_api_key is None else x_api_key
    return {"x-api-key": api_key} if use_xkey else {"Authorization": f"Bearer {api_key}"}


def _unauthorized(exc: BaseException) -> bool:
    return getattr(exc, "status_code", None) == 401


async def acall(api_base: str, send: Callable[[bool], Awaitable[T]]) -> T:
    """`send(x_api_key)` with the header this base wants; a 401 to Bearer is retried once with `x-api-key`."""
    if prefers_x_api_key(api_base):
        return await send(True)
    try:
        return await send(False)
    except Exception as exc:
        if not _unauthorized(exc):
            raise
    result = await send(True)
    remember_x_api_key(api_base)
    return result


def call(api_base: str, send: Callable[[bool], T]) -> T:
    """Blocking twin of `acall`."""
    if prefers_x_api_key(api_base):
        return send(True)
    try:
        return send(False)
    except Exception as exc:
        if not _unauthorized(exc):
            raise
    result = send(True)
    remember_x_api_key(api_base)
    return result


class OpenAIClient:
    """Requests to one OpenAI-compatible host over a shared `httpx.AsyncClient`, with the auth policy above.

    Answers every response, 401 included (after the retry); transport errors
    propagate as httpx raises them.
    """

    def __init__(self, http: httpx.AsyncClient, api_base: str, api_key: str) -> None:
        self.http = http
        self.api_base = _base(api_base)
        self.api_key = api_key

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """`method {api_base}{path}`; `kwargs` go to `httpx.AsyncClient.request` (json, timeout, ...)."""
        url = self.api_base + path

        async def send(x_api_key: bool) -> httpx.Response:
            headers = auth_headers(self.api_key, self.api_base, x_api_key=x_api_key)
            response = await self.http.request(method, url, headers=headers, **kwargs)
            if response.status_code == 401:
                raise UnauthorizedResponseError(response)
            return response

        try:
            return await acall(self.api_base, send)
        except UnauthorizedResponseError as exc:
            return exc.response

    async def chat_completions(self, payload: dict[str, Any], **kwargs: Any) -> httpx.Response:
        """`POST /chat/completions` with `payload` as the JSON body."""
        return await self.request("POST", "/chat/completions", json=payload, **kwargs)


class OpenAICompletion:
    """A `scillm.completion_protocol.Completion` that talks to one OpenAI-compatible host without LiteLLM.

    `model` is the host's model id (an `openai/` or `openai_like/` prefix is
    dropped); `api_base`/`api_key` in a call's options override the ones given
    here; other options (`temperature`, `max_tokens`, ...) go into the body,
    `timeout` (seconds) bounds the request. An HTTP error raises
    `httpx.HTTPStatusError`.
    """

    def __init__(self, api_base: str, api_key: str, *, timeout_s: float = 120.0) -> None:
        self.api_base = api_base
        self.api_key = api_key
        self.timeout_s = timeout_s

    async def __call__(self, *, model: str, messages: list[dict[str, Any]], **options: Any) -> str:
        base = options.pop("api_base", None) or self.api_base
        key = options.pop("api_key", None) or self.api_key
        timeout = options.pop("timeout", None) or self.timeout_s
        options.pop("custom_llm_provider", None)
        body = {"model": model.split("/", 1)[1] if model.startswith(("openai/", "openai_like/")) else model,
                "messages": messages, **options}
        async with httpx.AsyncClient(timeout=timeout) as http:
            response = await OpenAIClient(http, base, key).chat_completions(body)
        response.raise_for_status()
        content = response.json()["choices"][0]["message"].get("content")
        return content if isinstance(content, str) else ""


__all__ = ["OpenAIClient", "OpenAICompletion", "UnauthorizedResponseError", "acall", "auth_headers", "call", "prefers_x_api_key",
           "remember_x_api_key"]
