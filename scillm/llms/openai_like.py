"""OpenAI-compatible chat for any base URL (`custom_llm_provider="openai_like"`).

Stock LiteLLM rejects `openai_like` for chat, so scillm rewrites such a call
to LiteLLM's own `openai` provider pointed at `api_base`: streaming, tools and
`response_format` pass through unchanged. The key goes out as Bearer; on a 401
the call is retried once with an `x-api-key` header, and the base URL is
remembered so later calls send it at once. `auth_headers` is the single place
scillm builds auth headers for OpenAI-compatible hosts.
"""

from __future__ import annotations

import threading
from typing import Any

from scillm.config import env
from scillm.errors import ConfigError

PROVIDER = "openai_like"
_PREFIX = PROVIDER + "/"

_xkey_bases: set[str] = set()
_xkey_lock = threading.Lock()


def _norm_base(api_base: str) -> str:
    return api_base.rstrip("/")


def prefers_x_api_key(api_base: str) -> bool:
    """True when this base URL answered 401 to Bearer and accepted `x-api-key`."""
    with _xkey_lock:
        return _norm_base(api_base) in _xkey_bases


def remember_x_api_key(api_base: str) -> None:
    """Record that this base URL wants `x-api-key` instead of Bearer."""
    with _xkey_lock:
        _xkey_bases.add(_norm_base(api_base))


def auth_headers(api_key: str, api_base: str, *, x_api_key: bool | None = None) -> dict[str, str]:
    """The auth headers for `api_base`: Bearer, or `x-api-key` where that base is known to want it."""
    use_xkey = prefers_x_api_key(api_base) if x_api_key is None else x_api_key
    return {"x-api-key": api_key} if use_xkey else {"Authorization": f"Bearer {api_key}"}


def is_openai_like(model: str | None, custom_llm_provider: str | None) -> bool:
    return custom_llm_provider == PROVIDER or (custom_llm_provider is None and bool(model)
                                               and str(model).startswith(_PREFIX))


def model_id(model: str) -> str:
    """The host's model id: `openai_like/<id>` or `<id>` -> `<id>`."""
    return model[len(_PREFIX):] if model.startswith(_PREFIX) else model


def default_api_base() -> str | None:
    return env("SCILLM_API_BASE") or env("CHUTES_API_BASE")


def default_api_key() -> str | None:
    return env("CHUTES_API_KEY")


def default_model() -> str | None:
    return env("CHUTES_MODEL_ID") or env("CHUTES_TEXT_MODEL")


def resolve_endpoint(api_base: str | None, api_key: str | None) -> tuple[str, str]:
    """Base URL and key after env defaults, or a ConfigError naming what to set."""
    base = api_base or default_api_base()
    key = api_key or default_api_key()
    if not base:
        raise ConfigError("openai_like needs api_base=... (or SCILLM_API_BASE / CHUTES_API_BASE)")
    if not key:
        raise ConfigError("openai_like needs api_key=... (or CHUTES_API_KEY)")
    return base, key


def to_openai_kwargs(model: str, kwargs: dict[str, Any], *, x_api_key: bool | None = None) -> dict[str, Any]:
    """LiteLLM `openai` provider arguments for an `openai_like` call."""
    out = dict(kwargs)
    base, key = resolve_endpoint(out.pop("api_base", None), out.pop("api_key", None))
    out.pop("custom_llm_provider", None)
    use_xkey = prefers_x_api_key(base) if x_api_key is None else x_api_key
    if use_xkey:
        out["extra_headers"] = {**(out.get("extra_headers") or {}), **auth_headers(key, base, x_api_key=True)}
    out.update(model=f"openai/{model_id(model)}", custom_llm_provider="openai", api_base=base, api_key=key)
    tools = out.get("tools") or []
    if tools and not any(isinstance(t, dict) and t.get("type") == "mcp" for t in tools):
        # plain function tools: skip LiteLLM's MCP bridge, which imports the optional `mcp` package
        out["_skip_mcp_handler"] = True
    return out


def _is_auth_error(exc: BaseException) -> bool:
    import litellm

    return isinstance(exc, litellm.AuthenticationError) or getattr(exc, "status_code", None) == 401


async def acomplete(model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
    """`litellm.acompletion` against an OpenAI-compatible host, with the x-api-key fallback."""
    import litellm

    call = to_openai_kwargs(model, kwargs)
    try:
        return await litellm.acompletion(messages=messages, **call)
    except Exception as exc:
        if not _is_auth_error(exc) or prefers_x_api_key(call["api_base"]):
            raise
    retry = to_openai_kwargs(model, kwargs, x_api_key=True)
    response = await litellm.acompletion(messages=messages, **retry)
    remember_x_api_key(retry["api_base"])
    return response


def complete(model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
    """Sync twin of `acomplete` (LiteLLM's sync client; no event loop needed)."""
    import litellm

    call = to_openai_kwargs(model, kwargs)
    try:
        return litellm.completion(messages=messages, **call)
    except Exception as exc:
        if not _is_auth_error(exc) or prefers_x_api_key(call["api_base"]):
            raise
    retry = to_openai_kwargs(model, kwargs, x_api_key=True)
    response = litellm.completion(messages=messages, **retry)
    remember_x_api_key(retry["api_base"])
    return response


__all__ = ["PROVIDER", "acomplete", "auth_headers", "complete", "is_openai_like", "model_id",
           "resolve_endpoint", "to_openai_kwargs"]
