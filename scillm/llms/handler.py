"""The LiteLLM handler of one scillm provider: completion, acompletion, streaming, astreaming.

LiteLLM calls it through `custom_provider_map` (its public extension point);
it hands the call to the provider module (`scillm.llms.certainly`,
`scillm.llms.codeworld`): `acomplete(provider, model, messages, params)` for a
whole response, `astream(...)` for item events. Every extra keyword argument
the caller passed reaches the module untouched in `params`. scillm errors
leave as their LiteLLM-typed twins so Router retries and fallbacks see them.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import AsyncIterator, Iterator
from typing import Any

from litellm import CustomLLM, ModelResponse
from litellm.types.utils import GenericStreamingChunk

from scillm.llms import streaming
from scillm.llms import usage as usage_mod
from scillm.llms.errors import map_exceptions
from scillm.sync import run_sync

# provider name -> module holding `acomplete` and `astream`
PROVIDERS: dict[str, str] = {
    "certainly": "scillm.llms.certainly",
    "lean4": "scillm.llms.certainly",
    "codeworld": "scillm.llms.codeworld",
}
AUTO = "auto"


def full_model(provider: str, model: str) -> str:
    """`<provider>/<suffix>`; a bare provider name (or LiteLLM's alias target) is `<provider>/auto`."""
    suffix = model.split("/", 1)[1] if model.startswith(provider + "/") else model
    return f"{provider}/{suffix or AUTO}"


class ProviderHandler(CustomLLM):
    """LiteLLM handler for one scillm provider (`certainly`, `lean4` or `codeworld`)."""

    def __init__(self, provider: str) -> None:
        super().__init__()
        if provider not in PROVIDERS:
            raise ValueError(f"unknown scillm provider {provider!r}; choose one of {sorted(PROVIDERS)}")
        self.provider = provider

    def _module(self) -> types.ModuleType:
        return importlib.import_module(PROVIDERS[self.provider])

    @staticmethod
    def _params(kwargs: dict[str, Any]) -> dict[str, Any]:
        """The caller's extra kwargs, plus `api_base`/`api_key`, which LiteLLM carries outside them."""
        params = dict(kwargs.get("optional_params") or {})
        params.pop("stream", None)
        for key in ("api_base", "api_key"):
            if kwargs.get(key) and key not in params:
                params[key] = kwargs[key]
        return params

    async def _complete(self, model: str, messages: list[Any], params: dict[str, Any]) -> ModelResponse:
        name = full_model(self.provider, model)
        usage_mod.register_costs()
        with usage_mod.tracking() as tally, map_exceptions(provider=self.provider, model=name):
            response, payload = await self._module().acomplete(self.provider, name, messages, params)
        if not isinstance(response, ModelResponse):
            response = ModelResponse(**response)
        return usage_mod.attach(response, self.provider, payload, tally)

    async def _events(self, model: str, messages: list[Any], params: dict[str, Any]
                      ) -> AsyncIterator[GenericStreamingChunk]:
        name = full_model(self.provider, model)
        usage_mod.register_costs()
        chunks = streaming.chunks(self._module().astream(self.provider, name, messages, params))
        try:
            with map_exceptions(provider=self.provider, model=name):
                async for chunk in chunks:
                    yield chunk
        finally:  # a consumer that stops early closes this generator: close the items' too
            await chunks.aclose()

    async def acompletion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> ModelResponse:
        return await self._complete(model, messages, self._params(kwargs))

    def completion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> ModelResponse:
        return run_sync(self._complete(model, messages, self._params(kwargs)))

    def astreaming(self, model: str, messages: list[Any], *args: Any, **kwargs: Any
                   ) -> AsyncIterator[GenericStreamingChunk]:
        return self._events(model, messages, self._params(kwargs))

    def streaming(self, model: str, messages: list[Any], *args: Any, **kwargs: Any
                  ) -> Iterator[GenericStreamingChunk]:
        params = self._params(kwargs)
        return streaming.iterate_in_thread(lambda: self._events(model, messages, params))


__all__ = ["AUTO", "PROVIDERS", "ProviderHandler", "full_model"]
