"""scillm errors that are also LiteLLM exceptions, so Router retries and fallbacks recognise them.

LiteLLM passes its own exception types through untouched, so a provider that
raises one of these classes surfaces to the caller as itself: still an
instance of the `scillm.errors` class (with its message and attributes) and
of the matching LiteLLM type. Importing this module imports LiteLLM, which is
why `scillm.errors` keeps these out.
"""

from __future__ import annotations

from typing import Any

from scillm.config import set_default

set_default("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm  # noqa: E402

from scillm.errors import (  # noqa: E402
    BackendUnavailableError,
    ConfigError,
    EngineNotReadyError,
    InvalidRequestError,
    JsonParseError,
    ScillmError,
)


class LLMEngineNotReadyError(EngineNotReadyError, litellm.ServiceUnavailableError):
    """EngineNotReadyError as a LiteLLM 503: a Router can fall back to another deployment."""


class LLMBackendUnavailableError(BackendUnavailableError, litellm.ServiceUnavailableError):
    """BackendUnavailableError as a LiteLLM 503."""


class LLMJsonParseError(JsonParseError, litellm.APIError):
    """JsonParseError as a LiteLLM APIError (500): Router retries and fallbacks apply."""


class LLMConfigError(ConfigError, litellm.BadRequestError):
    """ConfigError as a LiteLLM 400: not retried."""


class LLMInvalidRequestError(InvalidRequestError, litellm.BadRequestError):
    """InvalidRequestError as a LiteLLM 400: not retried."""


class LLMScillmError(ScillmError, litellm.APIError):
    """Any other scillm error as a LiteLLM APIError (500)."""


# scillm class -> its named LiteLLM twin; other scillm classes get a twin made on first use
_NAMED: dict[type[ScillmError], type[ScillmError]] = {
    EngineNotReadyError: LLMEngineNotReadyError,
    BackendUnavailableError: LLMBackendUnavailableError,
    JsonParseError: LLMJsonParseError,
    ConfigError: LLMConfigError,
    InvalidRequestError: LLMInvalidRequestError,
    ScillmError: LLMScillmError,
}
_made: dict[type[ScillmError], type[ScillmError]] = {}


def _twin(cls: type[ScillmError]) -> type[ScillmError]:
    """The LiteLLM-typed subclass of `cls`, choosing the LiteLLM base of its nearest named ancestor."""
    if cls in _NAMED:
        return _NAMED[cls]
    if cls not in _made:
        ancestor = next(base for base in cls.__mro__ if base in _NAMED)
        litellm_base = next(b for b in _NAMED[ancestor].__mro__[1:] if b.__module__.startswith("litellm"))
        try:
            _made[cls] = type(f"LLM{cls.__name__}", (cls, litellm_base),
                              {"__module__": __name__, "__doc__": f"{cls.__name__} as a {litellm_base.__name__}."})
        except TypeError:
            _made[cls] = _NAMED[ancestor]
    return _made[cls]


def to_litellm(exc: ScillmError, *, provider: str, model: str) -> ScillmError:
    """The LiteLLM-typed twin of `exc`: same message and attributes, chained to the original."""
    if isinstance(exc, tuple(litellm.LITELLM_EXCEPTION_TYPES)):
        return exc
    target = _twin(type(exc))
    err = target.__new__(target)
    message = str(exc)
    kwargs: dict[str, Any] = {"message": message, "llm_provider": provider, "model": model}
    if issubclass(target, litellm.APIError):
        litellm.APIError.__init__(err, status_code=500, **kwargs)  # type: ignore[arg-type]
    elif issubclass(target, litellm.BadRequestError):
        litellm.BadRequestError.__init__(err, **kwargs)  # type: ignore[arg-type]
    else:
        litellm.ServiceUnavailableError.__init__(err, **kwargs)  # type: ignore[arg-type]
    err.message = message  # type: ignore[attr-defined]
    for key, value in vars(exc).items():
        vars(err).setdefault(key, value)
    err.__cause__ = exc
    return err


__all__ = [
    "LLMBackendUnavailableError",
    "LLMConfigError",
    "LLMEngineNotReadyError",
    "LLMInvalidRequestError",
    "LLMJsonParseError",
    "LLMScillmError",
    "to_litellm",
]
