"""Batch fan-out for pipelines: many chat requests, bounded concurrency, one result per request.

`parallel_acompletions` returns a `BatchResults` list (request order) whose
`.summary` holds the counters; `parallel_acompletions_iter` yields the same
result dicts (plus `ok`) as they finish. OpenAI-compatible hosts
(`openai_like`, `openai`) are called through one shared `httpx.AsyncClient`
per batch (the fast path); any other provider goes through
`scillm.acompletion`. Each item's `wall_time_s` budget starts when the item
starts running, not while it waits in the queue.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from scillm import jsonmode
from scillm.errors import ConfigError, InvalidJsonError
from scillm.jsonmode import Schema
from scillm.llms import openai_like
from scillm.llms.openai_client import OpenAIClient
from scillm.names import check_keywords

_FAST_PROVIDERS = {"openai_like", "openai"}
_PASSTHROUGH = ("top_p", "stop", "seed", "tools", "tool_choice", "presence_penalty", "frequency_penalty", "n")
_TRANSIENT_STATUS = {408, 409, 425, 429}
_HINTS = {"api_base": "api_base=... or SCILLM_API_BASE/CHUTES_API_BASE",
          "api_key": "api_key=... or CHUTES_API_KEY",
          "model": "a 'model' in each request or CHUTES_MODEL_ID/CHUTES_TEXT_MODEL"}
SUMMARY_KEYS = ("total", "ok", "invalid_json", "provider_error", "empty_content", "timeout", "repaired",
                "invalid_request")


class BatchResults(list[dict[str, Any]]):
    """Results in request order; `.summary` holds the counters (total, ok, invalid_json, ...)."""

    summary: dict[str, int]


@dataclass(frozen=True)
class _Options:
    provider: str
    concurrency: int
    timeout: float
    wall_time_s: float
    tenacious: bool
    schema: Schema | None
    retry_invalid_json: int
    repair: bool
    backoff_base_s: float
    backoff_max_s: float


@dataclass(frozen=True)
class _Item:
    index: int
    request: Any
    error: str | None = None
    api_base: str = ""
    api_key: str = ""
    model: str = ""
    payload: Mapping[str, Any] | None = None


class _TransientError(Exception):
    """A failure worth retrying; `retry_after_s` comes from the server when it sent one."""

    def __init__(self, message: str, status: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


class _FinalError(Exception):
    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


def summarize(results: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Counters over result dicts: total, ok, one per failure status, and repaired."""
    counts = dict.fromkeys(SUMMARY_KEYS, 0)
    for r in results:
        counts["total"] += 1
        counts[r["status"]] = counts.get(r["status"], 0) + 1
        counts["repaired"] += bool(r.get("repaired"))
    return counts


def _prepare(requests: Iterable[Any], api_base: str | None, api_key: str | None, provider: str,
             default_max_tokens: int | None, default_temperature: float | None,
             response_format: object) -> list[_Item]:
    base_default = api_base or openai_like.default_api_base()
    key_default = api_key or openai_like.default_api_key()
    model_default = openai_like.default_model()
    items: list[_Item] = []
    for index, req in enumerate(list(requests)):
        if not isinstance(req, Mapping):
            items.append(_Item(index, req, error=f"invalid_request: request must be a dict, got {type(req).__name__}"))
            continue
        messages = req.get("messages")
        if not isinstance(messages, list) or not messages:
            items.append(_Item(index, req, error="invalid_request: request has no messages list"))
            continue
        base, key, model = req.get("api_base") or base_default, req.get("api_key") or key_default, \
            req.get("model") or model_default
        needed = {"api_base": base, "api_key": key} if provider in _FAST_PROVIDERS else {}
        missing = [name for name, value in {**needed, "model": model}.items() if not value]
        if missing:
            raise ConfigError(f"request {index}: no {', '.join(missing)}; pass "
                              + "; ".join(_HINTS[m] for m in missing))
        payload: dict[str, Any] = {"model": openai_like.model_id(str(model)), "messages": messages}
        max_tokens = req.get("max_tokens", default_max_tokens)
        temperature = req.get("temperature", default_temperature)
        fmt = req.get("response_format", response_format)
        for name, value in (("max_tokens", max_tokens), ("temperature", temperature), ("response_format", fmt)):
            if value is not None:
                payload[name] = value
        payload.update({k: req[k] for k in _PASSTHROUGH if k in req})
        items.append(_Item(index, req, api_base=str(base or ""), api_key=str(key or ""), model=str(model),
                           payload=payload))
    return items


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


async def _call_fast(client: httpx.AsyncClient, item: _Item, timeout: float) -> dict[str, Any]:
    try:
        host = OpenAIClient(client, item.api_base, item.api_key)
        resp = await asyncio.wait_for(host.chat_completions(dict(item.payload or {}), timeout=timeout), timeout)
    except (asyncio.TimeoutError, httpx.TimeoutException) as exc:
        raise _TransientError(f"timeout: no complete reply within {timeout:g}s ({type(exc).__name__})", "timeout") from exc
    except httpx.TransportError as exc:
        raise _TransientError(f"provider_error: {type(exc).__name__}: {exc}", "provider_error") from exc
    if resp.status_code in _TRANSIENT_STATUS or resp.status_code >= 500:
        raise _TransientError(f"provider_error: HTTP {resp.status_code}: {resp.text[:300]}", "provider_error",
                         _retry_after(resp.headers))
    if resp.status_code >= 400:
        raise _FinalError(f"provider_error: HTTP {resp.status_code}: {resp.text[:300]}", "provider_error")
    try:
        body = resp.json()
    except ValueError as exc:
        raise _TransientError(f"provider_error: response body is not JSON: {resp.text[:200]!r}", "provider_error") from exc
    if not isinstance(body, dict):
        raise _FinalError(f"provider_error: unexpected response body {str(body)[:200]!r}", "provider_error")
    return body


async def _call_litellm(item: _Item, opts: _Options, timeout: float) -> dict[str, Any]:
    from scillm.llms.registry import acompletion  # noqa: PLC0415  keeps import scillm light: LiteLLM loads on first use

    kwargs = {k: v for k, v in item.payload.items() if k not in ("model", "messages")} if item.payload else {}
    for name, value in (("api_base", item.api_base), ("api_key", item.api_key)):
        if value:
            kwargs[name] = value
    try:
        resp = await asyncio.wait_for(acompletion(model=item.model, messages=list(item.payload["messages"])
                                                  if item.payload else [], custom_llm_provider=opts.provider,
                                                  timeout=timeout, **kwargs), timeout)
    except asyncio.TimeoutError as exc:
        raise _TransientError(f"timeout: no reply within {timeout:g}s", "timeout") from exc
    except Exception as exc:
        status = getattr(exc, "status_code", None)
        if isinstance(status, int) and (status in _TRANSIENT_STATUS or status >= 500):
            raise _TransientError(f"provider_error: {type(exc).__name__}: {exc}", "provider_error") from exc
        raise _FinalError(f"provider_error: {type(exc).__name__}: {exc}", "provider_error") from exc
    return dict(resp.model_dump()) if hasattr(resp, "model_dump") else dict(resp)


def _content(body: dict[str, Any]) -> tuple[str | None, bool]:
    """(message content, has tool calls) or a _FinalError for a malformed body."""
    try:
        message = body["choices"][0]["message"]
    except (KeyError, IndexError, TypeError) as exc:
        raise _FinalError(f"provider_error: response has no choices[0].message: {str(body)[:200]!r}",
                     "provider_error") from exc
    return message.get("content"), bool(message.get("tool_calls"))


def _backoff_s(attempt: int, opts: _Options, retry_after_s: float | None) -> float:
    delay = min(opts.backoff_max_s, opts.backoff_base_s * (2 ** (attempt - 1))) * random.uniform(0.5, 1.0)
    return float(max(delay, retry_after_s) if retry_after_s is not None else delay)


def _spent_while_retrying(error: str, opts: _Options) -> str:
    """The budget ran out during a retry or its backoff: the cause worth reporting is the failure retried."""
    return f"{error} (wall_time_s={opts.wall_time_s:g} spent while retrying)"


async def _run_item(client: httpx.AsyncClient, item: _Item, opts: _Options) -> dict[str, Any]:
    start = time.monotonic()
    deadline = start + opts.wall_time_s
    result: dict[str, Any] = {"index": item.index, "request": item.request, "response": None, "error": None,
                              "status": "ok", "content": None, "raw": None, "repaired": False, "attempts": 0}
    json_retries_left = opts.retry_invalid_json
    json_mode = opts.schema is not None or jsonmode.wants_json((item.payload or {}).get("response_format"))
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            if result["error"] is None:
                result.update(status="timeout", error=f"timeout: wall_time_s={opts.wall_time_s:g} spent")
            else:
                result["error"] = _spent_while_retrying(result["error"], opts)
            break
        result["attempts"] += 1
        cut_by_budget = remaining < opts.timeout
        try:
            if opts.provider in _FAST_PROVIDERS:
                body = await _call_fast(client, item, min(opts.timeout, remaining))
            else:
                body = await _call_litellm(item, opts, min(opts.timeout, remaining))
            result["response"] = body
            text, has_tools = _content(body)
            result["raw"] = text
            if not text and not has_tools:
                raise _FinalError("empty_content: the model returned no content", "empty_content")
            if json_mode:
                try:
                    result["content"], result["repaired"] = jsonmode.load(text, schema=opts.schema,
                                                                          repair=opts.repair)
                except InvalidJsonError as exc:
                    if json_retries_left > 0:
                        json_retries_left -= 1
                        continue
                    raise _FinalError(f"invalid_json: {exc}", "invalid_json") from exc
            else:
                result["content"] = text
            result.update(status="ok", error=None)
            break
        except _TransientError as exc:
            if exc.status == "timeout" and cut_by_budget and result["error"] is not None:
                result["error"] = _spent_while_retrying(result["error"], opts)
                break
            result.update(status=exc.status, error=str(exc))
            delay = _backoff_s(result["attempts"], opts, exc.retry_after_s)
            if not opts.tenacious or time.monotonic() + delay >= deadline:
                break
            await asyncio.sleep(delay)
        except _FinalError as exc:
            result.update(status=exc.status, error=str(exc))
            break
    result["elapsed_s"] = round(time.monotonic() - start, 6)
    result["ok"] = result["status"] == "ok"
    return result


def _invalid_result(item: _Item) -> dict[str, Any]:
    return {"index": item.index, "request": item.request, "response": None, "error": item.error,
            "status": "invalid_request", "content": None, "raw": None, "repaired": False, "attempts": 0,
            "elapsed_s": 0.0, "ok": False}


async def _iterate(items: list[_Item], opts: _Options) -> AsyncIterator[dict[str, Any]]:
    runnable: asyncio.Queue[_Item] = asyncio.Queue()
    done: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for item in items:
        if item.error is None:
            runnable.put_nowait(item)
        else:
            done.put_nowait(_invalid_result(item))
    limits = httpx.Limits(max_connections=opts.concurrency, max_keepalive_connections=opts.concurrency)
    client = httpx.AsyncClient(limits=limits, timeout=opts.timeout)

    async def worker() -> None:
        while not runnable.empty():
            item = runnable.get_nowait()
            try:
                res = await _run_item(client, item, opts)
            except Exception as exc:  # noqa: BLE001  a bug must still give this item its one result
                res = {**_invalid_result(item), "status": "provider_error",
                       "error": f"provider_error: internal {type(exc).__name__}: {exc}"}
            done.put_nowait(res)

    workers = [asyncio.create_task(worker()) for _ in range(min(opts.concurrency, runnable.qsize()))]
    try:
        for _ in items:
            yield await done.get()
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        await client.aclose()


_KEYWORDS = ("api_base", "api_key", "custom_llm_provider", "concurrency", "timeout", "wall_time_s",
             "default_max_tokens", "default_temperature", "response_format", "tenacious", "schema",
             "retry_invalid_json", "repair_invalid_json", "backoff_base_s", "backoff_max_s")
_WRONG_KEYWORDS = {
    "messages_list": "pass requests=[{'messages': m} for m in messages_list] (one dict per request; "
                     "`scillm batch --messages-list FILE` builds them from a JSON file)",
    "messages": "pass requests=[{'messages': messages}] (one dict per request)",
    "model": "put 'model' inside each request dict, or set CHUTES_MODEL_ID",
    "max_tokens": "use default_max_tokens=... or put 'max_tokens' in each request dict",
    "temperature": "use default_temperature=... or put 'temperature' in each request dict",
}


def _check_keywords(unknown: dict[str, Any], where: str) -> None:
    check_keywords(unknown, _KEYWORDS, where=where, hints=_WRONG_KEYWORDS)


def parallel_acompletions_iter(
    requests: Iterable[Any] | None = None, *, api_base: str | None = None, api_key: str | None = None,
    custom_llm_provider: str = "openai_like", concurrency: int = 6, timeout: float = 20,
    wall_time_s: float = 900, default_max_tokens: int | None = None, default_temperature: float | None = None,
    response_format: object = None, tenacious: bool = True, schema: Schema | None = None,
    retry_invalid_json: int = 0, repair_invalid_json: bool | None = None,
    backoff_base_s: float = 0.5, backoff_max_s: float = 8.0, **unknown: Any,
) -> AsyncIterator[dict[str, Any]]:
    """Yield one result dict per request (plus `ok`) as each finishes.

    Raises ConfigError (a ValueError) at once when a request has no base URL,
    key or model after env defaults, and InvalidRequestError (a ValueError)
    for a keyword this function does not take, naming the right one.
    Closing the iterator early (`break`, `aclose()`) cancels every
    outstanding request.
    """
    _check_keywords(unknown, "parallel_acompletions_iter")
    if requests is None:
        raise ConfigError("parallel_acompletions_iter needs requests=[{'messages': [...]}, ...]")
    if concurrency < 1:
        raise ConfigError(f"concurrency must be >= 1, got {concurrency}")
    items = _prepare(requests, api_base, api_key, custom_llm_provider, default_max_tokens,
                     default_temperature, response_format)
    opts = _Options(custom_llm_provider, concurrency, timeout, wall_time_s, tenacious, schema,
                    max(0, int(retry_invalid_json)), jsonmode.repair_enabled(repair_invalid_json),
                    backoff_base_s, backoff_max_s)
    return _iterate(items, opts)


async def parallel_acompletions(requests: Iterable[Any] | None = None, **kwargs: Any) -> BatchResults:
    """Run every request; results in request order, counters in `.summary` and on the first result.

    Takes the same keyword arguments as `parallel_acompletions_iter`; the
    first result's `summary` key holds the same counters as `.summary`.
    """
    _check_keywords({k: v for k, v in kwargs.items() if k not in _KEYWORDS}, "parallel_acompletions")
    results: list[dict[str, Any]] = []
    async for res in parallel_acompletions_iter(requests, **kwargs):
        results.append(res)
    out = BatchResults(sorted(results, key=lambda r: r["index"]))
    out.summary = summarize(out)
    if out:
        out[0]["summary"] = out.summary
    return out


batch_acompletions = parallel_acompletions
batch_acompletions_iter = parallel_acompletions_iter

__all__ = ["BatchResults", "batch_acompletions", "batch_acompletions_iter", "parallel_acompletions",
           "parallel_acompletions_iter", "summarize"]
