"""Registers scillm's providers with LiteLLM on first use and exposes LiteLLM's own entry points.

`certainly`, `lean4` and `codeworld` go through LiteLLM's custom-provider
mechanism (`litellm.custom_provider_map` + a `CustomLLM` handler); each
handler hands the call to the provider module's `acomplete(provider, model,
messages, params)` with every extra keyword argument untouched in `params`.
`completion`/`acompletion` are LiteLLM's functions behind the thinnest
wrapper that (1) accepts a bare model name for a scillm provider, (2) routes
`custom_llm_provider="openai_like"` to any OpenAI-compatible host, and (3)
applies strict JSON mode. `Router` is LiteLLM's Router with the same model
normalisation applied to its deployments; `ModelResponse` is LiteLLM's.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from scillm.config import set_default

set_default("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm  # noqa: E402
from litellm import CustomLLM, ModelResponse  # noqa: E402

from scillm.errors import ScillmError  # noqa: E402
from scillm.llms import openai_like  # noqa: E402
from scillm.llms.errors import to_litellm  # noqa: E402
from scillm.llms.sync import run_sync  # noqa: E402
from scillm.paved import jsonmode  # noqa: E402

# provider name -> module holding `acomplete(provider, model, messages, params)`
PROVIDERS: dict[str, str] = {
    "certainly": "scillm.llms.certainly",
    "lean4": "scillm.llms.certainly",
    "codeworld": "scillm.llms.codeworld",
}

_register_lock = threading.Lock()


class ProviderHandler(CustomLLM):
    """LiteLLM handler for one scillm provider; dispatches to the provider module's `acomplete`."""

    def __init__(self, provider: str) -> None:
        super().__init__()
        self.provider = provider

    def _full_model(self, model: str) -> str:
        return self.provider if model in ("", self.provider) else f"{self.provider}/{model}"

    async def _dispatch(self, model: str, messages: list[Any], optional_params: dict[str, Any]) -> Any:
        full_model = self._full_model(model)
        module = importlib.import_module(PROVIDERS[self.provider])
        try:
            result = await module.acomplete(self.provider, full_model, messages, dict(optional_params))
        except ScillmError as exc:
            raise to_litellm(exc, provider=self.provider, model=full_model) from exc
        return result if isinstance(result, ModelResponse) else ModelResponse(**result)

    @staticmethod
    def _params(kwargs: dict[str, Any]) -> dict[str, Any]:
        """The caller's extra kwargs, plus `api_base`/`api_key`, which LiteLLM carries outside them."""
        params = dict(kwargs.get("optional_params") or {})
        for key in ("api_base", "api_key"):
            if kwargs.get(key) and key not in params:
                params[key] = kwargs[key]
        return params

    async def acompletion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return await self._dispatch(model, messages, self._params(kwargs))

    def completion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return run_sync(self._dispatch(model, messages, self._params(kwargs)))


def register_providers() -> None:
    """Register `certainly`, `lean4`, `codeworld` with LiteLLM (idempotent, thread-safe)."""
    with _register_lock:
        present = {item.get("provider") for item in litellm.custom_provider_map}
        missing = [p for p in PROVIDERS if p not in present]
        if not missing and all(p in litellm._custom_providers for p in PROVIDERS):
            return
        litellm.custom_provider_map = [
            *litellm.custom_provider_map,
            *({"provider": p, "custom_handler": ProviderHandler(p)} for p in missing),  # type: ignore[list-item]
        ]
        from litellm.utils import custom_llm_setup

        custom_llm_setup()


def normalise_call(model: str, kwargs: dict[str, Any]) -> str:
    """The model string LiteLLM accepts: a bare scillm provider model gets its provider prefix."""
    provider = kwargs.get("custom_llm_provider")
    if provider is None and model in PROVIDERS:
        kwargs["custom_llm_provider"] = provider = model
    if provider in PROVIDERS and "/" not in model:
        return f"{provider}/{model}"
    return model


def _check_strict(response: Any, model: str, provider: str | None, response_format: Any,
                  strict_json: bool | None) -> Any:
    if not (jsonmode.wants_json(response_format) and jsonmode.strict_enabled(strict_json)):
        return response
    if not isinstance(response, ModelResponse):
        return response
    text = response.choices[0].message.content  # type: ignore[union-attr]
    try:
        jsonmode.parse_json_text(text)
    except jsonmode.InvalidJson as exc:
        err = jsonmode.parse_error(text, str(exc), model=model, provider=provider)
        raise to_litellm(err, provider=provider or "", model=model) from None
    return response


def completion(model: str, messages: list[dict[str, Any]] | None = None, **kwargs: Any) -> Any:
    """LiteLLM `completion` with scillm's providers registered (see the module docstring)."""
    register_providers()
    strict_json = kwargs.pop("strict_json", None)
    provider = kwargs.get("custom_llm_provider")
    if openai_like.is_openai_like(model, provider):
        response = openai_like.complete(model, messages or [], **kwargs)
        provider = openai_like.PROVIDER
    else:
        response = litellm.completion(model=normalise_call(model, kwargs), messages=messages or [], **kwargs)
    return _check_strict(response, model, provider, kwargs.get("response_format"), strict_json)


async def acompletion(model: str, messages: list[dict[str, Any]] | None = None, **kwargs: Any) -> Any:
    """LiteLLM `acompletion` with scillm's providers registered (see the module docstring)."""
    register_providers()
    strict_json = kwargs.pop("strict_json", None)
    provider = kwargs.get("custom_llm_provider")
    if openai_like.is_openai_like(model, provider):
        response = await openai_like.acomplete(model, messages or [], **kwargs)
        provider = openai_like.PROVIDER
    else:
        response = await litellm.acompletion(model=normalise_call(model, kwargs), messages=messages or [],
                                             **kwargs)
    return _check_strict(response, model, provider, kwargs.get("response_format"), strict_json)


def normalise_deployment(deployment: dict[str, Any]) -> dict[str, Any]:
    """A Router deployment whose `litellm_params` LiteLLM accepts (bare names, openai_like)."""
    params = dict(deployment.get("litellm_params") or {})
    model = str(params.get("model", ""))
    if openai_like.is_openai_like(model, params.get("custom_llm_provider")):
        params = openai_like.to_openai_kwargs(model, params)
    elif model:
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
    return litellm.Router(model_list=deployments or None, **kwargs)  # type: ignore[arg-type]


__all__ = ["ModelResponse", "Router", "acompletion", "completion", "register_providers", "run_sync"]
