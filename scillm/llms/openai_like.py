"""OpenAI-compatible chat for any base URL (`custom_llm_provider="openai_like"`).

Stock LiteLLM rejects `openai_like` for chat, so scillm rewrites such a call
to LiteLLM's own `openai` provider pointed at `api_base`: streaming, tools and
`response_format` pass through unchanged. Auth (Bearer, once `x-api-key` on a
401, remembered per base URL) is `scillm.llms.openai_client`'s, shared with the
batch fan-out and the paved helpers.
"""

from __future__ import annotations

from typing import Any

from scillm.errors import ConfigError
from scillm.llms import openai_client
from scillm.llms.openai_client import auth_headers, prefers_x_api_key
from scillm.settings import ChatSettings

PROVIDER = "openai_like"
_PREFIX = PROVIDER + "/"

def is_openai_like(model: str | None, custom_llm_provider: str | None) -> bool:
    return custom_llm_provider == PROVIDER or (custom_llm_provider is None and bool(model)
                                               and str(model).startswith(_PREFIX))


def model_id(model: str) -> str:
    """The host's model id: `openai_like/<id>` or `<id>` -> `<id>`."""
    return model[len(_PREFIX):] if model.startswith(_PREFIX) else model


def default_api_base() -> str | None:
    return ChatSettings.from_env().api_base


def default_api_key() -> str | None:
    return ChatSettings.from_env().api_key


def default_model() -> str | None:
    return ChatSettings.from_env().model


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
    if prefers_x_api_key(base) if x_api_key is None else x_api_key:
        out["extra_headers"] = {**(out.get("extra_headers") or {}), **auth_headers(key, base, x_api_key=True)}
    out.update(model=f"openai/{model_id(model)}", custom_llm_provider="openai", api_base=base, api_key=key)
    tools = out.get("tools") or []
    if tools and not any(isinstance(t, dict) and t.get("type") == "mcp" for t in tools):
        # plain function tools: skip LiteLLM's MCP bridge, which imports the optional `mcp` package
        out["_skip_mcp_handler"] = True
    return out


async def acomplete(model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:  # noqa: ANN401  LiteLLM answers a ModelResponse or a stream wrapper, as `stream=` asks
    """`litellm.acompletion` against an OpenAI-compatible host, with the shared x-api-key fallback."""
    import litellm  # noqa: PLC0415  keeps import scillm light: LiteLLM loads on first use

    base = to_openai_kwargs(model, kwargs)["api_base"]

    async def send(x_api_key: bool) -> Any:  # noqa: ANN401  as acomplete
        return await litellm.acompletion(messages=messages, **to_openai_kwargs(model, kwargs, x_api_key=x_api_key))

    return await openai_client.acall(base, send)


def complete(model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:  # noqa: ANN401  as acomplete
    """Sync twin of `acomplete` (LiteLLM's sync client; no event loop needed)."""
    import litellm  # noqa: PLC0415  keeps import scillm light: LiteLLM loads on first use

    base = to_openai_kwargs(model, kwargs)["api_base"]

    def send(x_api_key: bool) -> Any:  # noqa: ANN401  as acomplete
        return litellm.completion(messages=messages, **to_openai_kwargs(model, kwargs, x_api_key=x_api_key))

    return openai_client.call(base, send)


__all__ = ["PROVIDER", "acomplete", "auth_headers", "complete", "is_openai_like", "model_id",
           "resolve_endpoint", "to_openai_kwargs"]
