"""Paved helpers for OpenAI-compatible hosts: preflight, model listing, chat and JSON chat, images.

Credentials come only through `api_key=` (or the env defaults in
`scillm.config`); requests go through `scillm.llms.openai_client`, the one
client that builds auth headers and retries a 401 with `x-api-key`.
"""

from __future__ import annotations

import asyncio
import base64
import mimetypes
import time
from pathlib import Path
from typing import Any, Union

import httpx

from scillm import jsonmode
from scillm.errors import ConfigError, InvalidJsonError, ProviderError
from scillm.jsonmode import Schema
from scillm.llms import openai_like
from scillm.llms.openai_client import OpenAIClient
from scillm.settings import ChatSettings
from scillm.sync import run_sync

Messages = Union[str, list[dict[str, Any]]]
_JSON_FORMAT = {"type": "json_object"}
_QUOTA_WORDS = ("quota", "insufficient", "billing", "credit", "balance")


def _messages(messages: Messages, system: str | None = None) -> list[dict[str, Any]]:
    out = [{"role": "user", "content": messages}] if isinstance(messages, str) else list(messages)
    return [{"role": "system", "content": system}, *out] if system else out


def chat_endpoint(api_base: str | None, api_key: str | None, model: str | None) -> tuple[str, str, str]:
    """(base, key, model) for the chat helpers: arguments, then SCILLM_/CHUTES_ settings, then OpenRouter.

    OpenRouter (`OPENROUTER_API_BASE`, `OPENROUTER_MODEL`) is the default
    when `OPENROUTER_API_KEY` is the only credential set; any argument or
    SCILLM_/CHUTES_ setting takes precedence.
    """
    chat = ChatSettings.from_env()
    own = api_base or api_key or chat.api_base or chat.api_key
    if not own and chat.openrouter_api_key:
        return (str(chat.openrouter_api_base), chat.openrouter_api_key,
                model or chat.model or str(chat.openrouter_model))
    base, key = openai_like.resolve_endpoint(api_base, api_key)
    return base, key, _model(model)


def _model(model: str | None) -> str:
    chosen = model or openai_like.default_model()
    if not chosen:
        raise ConfigError("no model: pass model=... or set CHUTES_MODEL_ID / CHUTES_TEXT_MODEL")
    return chosen


def _reason(status: int | None, text: str) -> str:
    lowered = text.lower()
    if status in (401, 403):
        return "auth"
    if status == 402 or (status == 429 and any(w in lowered for w in _QUOTA_WORDS)):
        return "quota_exhausted"
    if status == 429:
        return "rate_limited"
    if status == 404 and "model" in lowered:
        return "model_not_listed"
    return "http_error"


async def _request(client: httpx.AsyncClient, method: str, base: str, key: str, path: str,
                   **kwargs: Any) -> httpx.Response:
    """One request through the shared OpenAI-compatible client; an HTTP error is a ProviderError."""
    url = base.rstrip("/") + path
    try:
        resp = await OpenAIClient(client, base, key).request(method, path, **kwargs)
    except httpx.TimeoutException as exc:
        raise ProviderError(f"{url} did not answer in time: {exc!r}", reason="timeout") from exc
    except httpx.TransportError as exc:
        raise ProviderError(f"cannot reach {url}: {exc!r}; check api_base", reason="unreachable") from exc
    if resp.status_code >= 400:
        reason = _reason(resp.status_code, resp.text)
        raise ProviderError(f"{method} {url} -> HTTP {resp.status_code} ({reason}): {resp.text[:300]}",
                            status_code=resp.status_code, reason=reason)
    return resp


async def alist_models_openai_like(api_base: str | None = None, api_key: str | None = None, *,
                                   timeout_s: float = 15.0) -> list[str]:
    """Model ids from `GET {api_base}/models`; raises ProviderError with a `reason`."""
    base, key = openai_like.resolve_endpoint(api_base, api_key)
    async with httpx.AsyncClient(timeout=timeout_s) as client:
        resp = await _request(client, "GET", base, key, "/models")
    try:
        data = resp.json()["data"]
        return [str(m["id"]) for m in data]
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderError(f"{base}/models returned no OpenAI model list: {resp.text[:200]!r}",
                            status_code=resp.status_code, reason="bad_response") from exc


def list_models_openai_like(api_base: str | None = None, api_key: str | None = None, *,
                            timeout_s: float = 15.0) -> list[str]:
    """Sync `alist_models_openai_like` (Bearer, falling back to x-api-key on 401)."""
    return run_sync(alist_models_openai_like(api_base, api_key, timeout_s=timeout_s))


def _failure(exc: BaseException) -> dict[str, Any]:
    return {"exc_type": type(exc).__name__, "message": str(exc), "status": getattr(exc, "status_code", None),
            "reason": getattr(exc, "reason", "http_error")}


async def _apreflight(api_base: str | None, api_key: str | None, model: str, parallel: int) -> dict[str, Any]:
    base, key = openai_like.resolve_endpoint(api_base, api_key)
    report: dict[str, Any] = {"ok": False, "api_base": base, "model": model, "models_listed": None,
                              "latencies_s": [], "failures": []}
    try:
        models = await alist_models_openai_like(base, key)
    except ProviderError as exc:
        report["failures"].append(_failure(exc))
        return report
    report["models_listed"] = len(models)
    if openai_like.model_id(model) not in models:
        missing = ProviderError(f"model {model!r} is not in {base}/models ({len(models)} listed); check the id",
                                reason="model_not_listed")
        report["failures"].append(_failure(missing))
        return report
    payload = {"model": openai_like.model_id(model), "max_tokens": 8,
               "messages": [{"role": "user", "content": "Reply with the word OK."}]}

    async def probe(client: httpx.AsyncClient) -> float:
        started = time.monotonic()
        resp = await _request(client, "POST", base, key, "/chat/completions", json=payload)
        try:
            resp.json()["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError(f"chat reply is not an OpenAI completion: {resp.text[:200]!r}",
                                status_code=resp.status_code, reason="bad_response") from exc
        return round(time.monotonic() - started, 4)

    async with httpx.AsyncClient(timeout=30.0) as client:
        outcomes = await asyncio.gather(*(probe(client) for _ in range(max(1, parallel))), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, ProviderError):
            report["failures"].append(_failure(outcome))
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            report["latencies_s"].append(outcome)
    report["ok"] = not report["failures"]
    return report


def sanity_preflight(api_base: str | None, api_key: str | None, model: str, parallel: int = 3,
                     wall_time_s: float = 30) -> dict[str, Any]:
    """Check auth, model listing and `parallel` concurrent tiny chats before a long run.

    Sync and safe to call from a thread inside a running loop. Returns `ok`,
    `models_listed`, `latencies_s` and `failures` (each with `exc_type, message,
    status, reason`; reasons: auth, quota_exhausted, rate_limited,
    model_not_listed, unreachable, timeout, bad_response, http_error).
    """

    async def bounded() -> dict[str, Any]:
        try:
            return await asyncio.wait_for(_apreflight(api_base, api_key, model, parallel), wall_time_s)
        except asyncio.TimeoutError:
            exc = ProviderError(f"preflight did not finish within wall_time_s={wall_time_s:g}", reason="timeout")
            return {"ok": False, "api_base": api_base, "model": model, "models_listed": None,
                    "latencies_s": [], "failures": [_failure(exc)]}

    return run_sync(bounded())


async def chat(messages: Messages, *, model: str | None = None, api_base: str | None = None,
               api_key: str | None = None, system: str | None = None, **kwargs: Any) -> str:
    """One chat turn (a prompt string or a messages list); returns the reply text.

    The endpoint comes from `chat_endpoint`: OpenRouter when only
    `OPENROUTER_API_KEY` is set.
    """
    from scillm.llms.registry import acompletion  # noqa: PLC0415  keeps import scillm light: LiteLLM loads on first use

    base, key, chosen = chat_endpoint(api_base, api_key, model)
    resp = await acompletion(model=chosen, messages=_messages(messages, system), custom_llm_provider="openai_like",
                             api_base=base, api_key=key, **kwargs)
    return str(resp.choices[0].message.content or "")


async def chat_json(messages: Messages, *, model: str | None = None, api_base: str | None = None,
                    api_key: str | None = None, schema: Schema | None = None,
                    **kwargs: Any) -> Any:  # noqa: ANN401  the parsed JSON value
    """One JSON-mode chat turn; returns the parsed value or raises JsonParseError (never raw text)."""
    base, key, chosen = chat_endpoint(api_base, api_key, model)
    text = await chat(messages, model=chosen, api_base=base, api_key=key,
                      response_format=kwargs.pop("response_format", _JSON_FORMAT), **kwargs)
    try:
        return jsonmode.load(text, schema=schema)[0]
    except InvalidJsonError as exc:
        raise jsonmode.parse_error(text, str(exc), model=chosen, provider=openai_like.PROVIDER) from exc


def image_url(image: str | Path) -> str:
    """An http(s)/data URL unchanged; a local file path inlined as a base64 data URL."""
    text = str(image)
    if text.startswith(("http://", "https://", "data:")):
        return text
    path = Path(text)
    if not path.is_file():
        raise ConfigError(f"image {text!r} is neither a URL nor an existing file")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _image_messages(image: str | Path, prompt: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "text", "text": prompt},
                                         {"type": "image_url", "image_url": {"url": image_url(image)}}]}]


async def analyze_image(image: str | Path, prompt: str, **kwargs: Any) -> str:
    """Ask a vision model about one image (URL or local path); returns the reply text."""
    return await chat(_image_messages(image, prompt), **kwargs)


async def analyze_image_json(image: str | Path, prompt: str, **kwargs: Any) -> Any:  # noqa: ANN401  the parsed JSON value
    """`analyze_image` in JSON mode; returns the parsed value or raises JsonParseError."""
    return await chat_json(_image_messages(image, prompt), **kwargs)


def chutes_chat_json(messages: Messages, **kwargs: Any) -> Any:  # noqa: ANN401  the parsed JSON value
    """Sync `chat_json` (same arguments), safe inside a running loop."""
    return run_sync(chat_json(messages, **kwargs))


def chutes_router_json(messages: Messages, *, model: str | None = None, fallbacks: list[str] | None = None,
                       api_base: str | None = None, api_key: str | None = None, num_retries: int = 1,
                       schema: Schema | None = None, **kwargs: Any) -> Any:  # noqa: ANN401  the parsed JSON value
    """JSON chat through LiteLLM's Router: `model` first, then `fallbacks` (default CHUTES_FALLBACK_MODELS)."""
    from scillm.llms.registry import Router  # noqa: PLC0415  keeps import scillm light: LiteLLM loads on first use

    base, key = openai_like.resolve_endpoint(api_base, api_key)
    chain = [_model(model), *(fallbacks if fallbacks is not None else ChatSettings.from_env().fallback_models)]
    model_list = [{"model_name": m, "litellm_params": {"model": m, "custom_llm_provider": "openai_like",
                                                       "api_base": base, "api_key": key}} for m in chain]
    router = Router(model_list=model_list, num_retries=num_retries,
                    fallbacks=[{chain[0]: chain[1:]}] if len(chain) > 1 else [])
    resp = router.completion(model=chain[0], messages=_messages(messages),
                             response_format=kwargs.pop("response_format", _JSON_FORMAT), **kwargs)
    text = resp.choices[0].message.content
    try:
        return jsonmode.load(text, schema=schema)[0]
    except InvalidJsonError as exc:
        raise jsonmode.parse_error(text, str(exc), model=chain[0], provider=openai_like.PROVIDER) from exc


__all__ = ["alist_models_openai_like", "analyze_image", "analyze_image_json", "chat", "chat_endpoint", "chat_json",
           "chutes_chat_json", "chutes_router_json", "image_url", "list_models_openai_like",
           "sanity_preflight"]
