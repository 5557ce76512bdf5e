"""Registers scillm's providers with LiteLLM on first use and exposes LiteLLM's own entry points.

`certainly`, `lean4` and `codeworld` go through LiteLLM's custom-provider
mechanism (`litellm.custom_provider_map` + a `CustomLLM` handler, see
`scillm.llms.handler`), with every extra keyword argument untouched.
`completion`/`acompletion` are LiteLLM's functions behind the thinnest
wrapper that (1) accepts a bare model name for a scillm provider, (2) routes
`custom_llm_provider="openai_like"` to any OpenAI-compatible host, and (3)
applies strict JSON mode. `Router` is LiteLLM's Router with the same model
normalisation applied to its deployments; `ModelResponse` is LiteLLM's.
"""

from __future__ import annotations

import threading
from typing import Any, TypeVar

from scillm.config import set_default

set_default("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm  # noqa: E402
from litellm import ModelResponse  # noqa: E402

from scillm import jsonmode  # noqa: E402
from scillm.errors import InvalidJsonError, InvalidRequestError  # noqa: E402
from scillm.llms import openai_like, usage  # noqa: E402
from scillm.llms.errors import to_litellm  # noqa: E402
from scillm.llms.handler import AUTO, PROVIDERS, ProviderHandler  # noqa: E402
from scillm.names import suggest  # noqa: E402
from scillm.sync import run_sync  # noqa: E402

_register_lock = threading.Lock()
_handlers: dict[str, ProviderHandler] = {}


def handler(provider: str) -> ProviderHandler:
    """The one handler instance of a scillm provider (shared by registration and `scillm.proxy`)."""
    with _register_lock:
        if provider not in _handlers:
            _handlers[provider] = ProviderHandler(provider)
        return _handlers[provider]


def register_providers() -> None:
    """Register `certainly`, `lean4`, `codeworld` with LiteLLM (idempotent, thread-safe).

    Uses only LiteLLM's public settings: an entry per provider in
    `litellm.custom_provider_map` (LiteLLM re-reads it on every call), an
    alias `<provider>` -> `<provider>/auto` in `litellm.model_alias_map` so a
    bare `model="certainly"` works in plain `litellm.completion`, and a zero
    price per model name (`litellm.register_model`) for `completion_cost`.
    """
    handlers = {p: handler(p) for p in PROVIDERS}
    with _register_lock:
        present = {item.get("provider") for item in litellm.custom_provider_map}
        missing = [p for p in PROVIDERS if p not in present]
        if missing:
            litellm.custom_provider_map = [
                *litellm.custom_provider_map,
                *({"provider": p, "custom_handler": handlers[p]} for p in missing),
            ]
        aliases = {p: f"{p}/{AUTO}" for p in PROVIDERS if p not in litellm.model_alias_map}
        if aliases:
            litellm.model_alias_map = {**litellm.model_alias_map, **aliases}
    usage.register_costs()


def check_provider(model: str, kwargs: dict[str, Any]) -> None:
    """A "did you mean" error for a misspelt scillm provider (`certianly/coq`), before LiteLLM's generic one."""
    provider = kwargs.get("custom_llm_provider") or (model.split("/", 1)[0] if "/" in model else None)
    if not provider or provider in PROVIDERS or provider == openai_like.PROVIDER:
        return
    if provider in litellm.provider_list or any(i.get("provider") == provider for i in litellm.custom_provider_map):
        return
    close = suggest(str(provider), [*PROVIDERS, openai_like.PROVIDER])
    if close is not None:
        raise to_litellm(InvalidRequestError(
            f"unknown provider {provider!r} in model {model!r}; did you mean {close!r}? "
            f"(scillm providers: {', '.join(PROVIDERS)}, plus openai_like)"), provider=str(provider), model=model)


def normalise_call(model: str, kwargs: dict[str, Any]) -> str:
    """The model string LiteLLM accepts: a bare scillm provider model gets its provider prefix.

    Also moves the prover's `cache=False` into `options`, where LiteLLM leaves it alone.
    """
    provider = kwargs.get("custom_llm_provider")
    if provider is None and model in PROVIDERS:
        kwargs["custom_llm_provider"] = provider = model
    # LiteLLM owns `cache` (a dict of its own cache controls): `cache=False` is the prover's option here
    prover = (provider or model.split("/", 1)[0]) in ("certainly", "lean4")
    if prover and isinstance(kwargs.get("cache"), bool) and kwargs.pop("cache") is False \
            and isinstance(kwargs.get("options") or {}, dict):
        kwargs["options"] = {**(kwargs.get("options") or {}), "cache": False}
    if provider in PROVIDERS and "/" not in model:
        return f"{provider}/{AUTO if model == provider else model}"
    return model


_Response = TypeVar("_Response")


def _check_strict(response: _Response, model: str, provider: str | None, response_format: object,
                  strict_json: bool | None) -> _Response:
    if not (jsonmode.wants_json(response_format) and jsonmode.strict_enabled(strict_json)):
        return response
    if not isinstance(response, ModelResponse):
        return response
    text = response.choices[0].message.content
    try:
        jsonmode.parse_json_text(text)
    except InvalidJsonError as exc:
        err = jsonmode.parse_error(text, str(exc), model=model, provider=provider)
        raise to_litellm(err, provider=provider or "", model=model) from None
    return response


def completion(model: str, messages: list[dict[str, Any]] | None = None, **kwargs: Any) -> Any:  # noqa: ANN401  LiteLLM's ModelResponse or stream wrapper, as `stream=` asks
    """LiteLLM `completion` with scillm's providers registered (see the module docstring)."""
    register_providers()
    check_provider(model, kwargs)
    strict_json = kwargs.pop("strict_json", None)
    provider = kwargs.get("custom_llm_provider")
    if openai_like.is_openai_like(model, provider):
        response = openai_like.complete(model, messages or [], **kwargs)
        provider = openai_like.PROVIDER
    else:
        response = litellm.completion(model=normalise_call(model, kwargs), messages=messages or [], **kwargs)
    usage.record(response)
    return _check_strict(response, model, provider, kwargs.get("response_format"), strict_json)


async def acompletion(model: str, messages: list[dict[str, Any]] | None = None, **kwargs: Any) -> Any:  # noqa: ANN401  as completion
    """LiteLLM `acompletion` with scillm's providers registered (see the module docstring)."""
    register_providers()
    check_provider(model, kwargs)
    strict_json = kwargs.pop("strict_json", None)
    provider = kwargs.get("custom_llm_provider")
    if openai_like.is_openai_like(model, provider):
        response = await openai_like.acomplete(model, messages or [], **kwargs)
        provider = openai_like.PROVIDER
    else:
        response = await litellm.acompletion(model=normalise_call(model, kwargs), messages=messages or [],
                                             **kwargs)
    usage.record(response)
    return _check_strict(response, model, provider, kwargs.get("response_format"), strict_json)


def normalise_deployment(deployment: dict[str, Any]) -> dict[str, Any]:
    """A Router deployment whose `litellm_params` LiteLLM accepts (bare names, openai_like)."""
    params = dict(deployment.get("litellm_params") or {})
    model = str(params.get("model", ""))
    if openai_like.is_openai_like(model, params.get("custom_llm_provider")):
        params = openai_like.to_openai_kwargs(model, params)
    elif model:
        check_provider(model, params)
        params["model"] = normalise_call(model, params)
    return {**deployment, "litellm_params": params}


def Router(model_list: list[dict[str, Any]] | None = None, **kwargs: Any) -> litellm.Router:  # noqa: N802
    """A real `litellm.Router`; deployments may name scillm providers (bare or `provider/backend`) and openai_like.

    LiteLLM's constructor is its public extension point (the class itself may
    not be subclassed), so the deployments are normalised here and handed to
    it. An openai_like deployment is rewritten once to LiteLLM's `openai`
    provider: it sends Bearer, or `x-api-key` where that base URL is already
    known to want it (the 401 retry itself happens only in `completion`).
    """
    register_providers()
    deployments = [normalise_deployment(d) for d in model_list or []]
    return litellm.Router(model_list=deployments or None, **kwargs)


__all__ = ["PROVIDERS", "ModelResponse", "ProviderHandler", "Router", "acompletion", "check_provider", "completion",
           "handler", "register_providers", "run_sync"]
