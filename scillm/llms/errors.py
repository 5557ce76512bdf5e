"""scillm errors as LiteLLM exceptions: one table, applied in one place (`map_exceptions`).

LiteLLM passes its own exception types through untouched, so a provider that
raises a twin below surfaces to the caller as itself: an instance of the
`scillm.errors` class (same message, attributes, `__cause__` the original)
and of the LiteLLM type its row names, so Router retries and fallbacks see
the right kind (429 busy, 401 auth, 408 timeout, 503 unavailable, 400 bad
request, 404 unknown job, 500 otherwise). A subclass defined outside `scillm.errors` maps
through its nearest ancestor in the table. Importing this module imports
LiteLLM, which is why `scillm.errors` keeps these out.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scillm.config import set_default

set_default("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm  # noqa: E402

from scillm.errors import (  # noqa: E402
    BackendUnavailableError,
    BridgeAuthError,
    BridgeBusyError,
    BridgeEngineNotReadyError,
    BridgeError,
    BridgeInvalidRequestError,
    BridgeTimeoutError,
    BridgeUnavailableError,
    BusyError,
    CompletionNotConfiguredError,
    ConfigError,
    EngineNotReadyError,
    InvalidJsonError,
    InvalidRequestError,
    JobNotFoundError,
    JsonParseError,
    ProviderError,
    RequireProvedError,
    SandboxUnavailableError,
    ScillmError,
    SkillError,
)


class LLMBridgeInvalidRequestError(BridgeInvalidRequestError, litellm.BadRequestError):
    """A bridge's 4xx refusal as a LiteLLM 400: not retried."""


class LLMBridgeAuthError(BridgeAuthError, litellm.AuthenticationError):
    """The bridge refused the bearer token (401)."""


class LLMBridgeBusyError(BridgeBusyError, litellm.RateLimitError):
    """The bridge stayed at capacity through every retry (429); a Router may try another deployment."""


class LLMBridgeEngineNotReadyError(BridgeEngineNotReadyError, litellm.ServiceUnavailableError):
    """The bridge lacks the engine (503)."""


class LLMBridgeUnavailableError(BridgeUnavailableError, litellm.ServiceUnavailableError):
    """The bridge is unreachable or unavailable (503)."""


class LLMBridgeTimeoutError(BridgeTimeoutError, litellm.Timeout):
    """The bridge's deadline passed (408); `.body` holds the partial payload."""


class LLMBridgeError(BridgeError, litellm.APIError):
    """Any other bridge failure (500)."""


class LLMBusyError(BusyError, litellm.RateLimitError):
    """At capacity (429)."""


class LLMEngineNotReadyError(EngineNotReadyError, litellm.ServiceUnavailableError):
    """EngineNotReadyError as a LiteLLM 503: a Router can fall back to another deployment."""


class LLMBackendUnavailableError(BackendUnavailableError, litellm.ServiceUnavailableError):
    """BackendUnavailableError as a LiteLLM 503."""


class LLMSandboxUnavailableError(SandboxUnavailableError, litellm.ServiceUnavailableError):
    """SandboxUnavailableError as a LiteLLM 503."""


class LLMJsonParseError(JsonParseError, litellm.APIError):
    """JsonParseError as a LiteLLM APIError (500): Router retries and fallbacks apply."""


class LLMInvalidJsonError(InvalidJsonError, litellm.APIError):
    """InvalidJsonError as a LiteLLM APIError (500): a retry may get a reply that parses."""


class LLMJobNotFoundError(JobNotFoundError, litellm.NotFoundError):
    """JobNotFoundError as a LiteLLM 404: the job id is unknown or expired, not retried."""


class LLMCompletionNotConfiguredError(CompletionNotConfiguredError, litellm.BadRequestError):
    """CompletionNotConfiguredError as a LiteLLM 400: not retried."""


class LLMConfigError(ConfigError, litellm.BadRequestError):
    """ConfigError as a LiteLLM 400: not retried."""


class LLMInvalidRequestError(InvalidRequestError, litellm.BadRequestError):
    """InvalidRequestError as a LiteLLM 400: not retried."""


class LLMRequireProvedError(RequireProvedError, litellm.APIError):
    """RequireProvedError as a LiteLLM APIError (500)."""


class LLMProviderError(ProviderError, litellm.APIError):
    """ProviderError as a LiteLLM APIError (500)."""


class LLMSkillError(SkillError, litellm.APIError):
    """SkillError as a LiteLLM APIError (500)."""


class LLMScillmError(ScillmError, litellm.APIError):
    """Any other scillm error as a LiteLLM APIError (500)."""


# scillm class -> (its twin, the LiteLLM status); most specific first, the first isinstance match wins
TABLE: tuple[tuple[type[ScillmError], type[Exception], int], ...] = (
    (BridgeInvalidRequestError, LLMBridgeInvalidRequestError, 400),
    (BridgeAuthError, LLMBridgeAuthError, 401),
    (BridgeBusyError, LLMBridgeBusyError, 429),
    (BridgeEngineNotReadyError, LLMBridgeEngineNotReadyError, 503),
    (BridgeUnavailableError, LLMBridgeUnavailableError, 503),
    (BridgeTimeoutError, LLMBridgeTimeoutError, 408),
    (BridgeError, LLMBridgeError, 500),
    (BusyError, LLMBusyError, 429),
    (EngineNotReadyError, LLMEngineNotReadyError, 503),
    (BackendUnavailableError, LLMBackendUnavailableError, 503),
    (SandboxUnavailableError, LLMSandboxUnavailableError, 503),
    (JsonParseError, LLMJsonParseError, 500),
    (InvalidJsonError, LLMInvalidJsonError, 500),
    (JobNotFoundError, LLMJobNotFoundError, 404),
    (CompletionNotConfiguredError, LLMCompletionNotConfiguredError, 400),
    (ConfigError, LLMConfigError, 400),
    (InvalidRequestError, LLMInvalidRequestError, 400),
    (RequireProvedError, LLMRequireProvedError, 500),
    (ProviderError, LLMProviderError, 500),
    (SkillError, LLMSkillError, 500),
    (ScillmError, LLMScillmError, 500),
)


def _litellm_base(twin: type[Exception]) -> type[Exception]:
    return next(b for b in twin.__mro__[1:] if b.__module__.startswith("litellm"))


def to_litellm(exc: ScillmError, *, provider: str, model: str) -> Exception:
    """The LiteLLM-typed twin of `exc`: same message and attributes, chained to the original."""
    if isinstance(exc, tuple(litellm.LITELLM_EXCEPTION_TYPES)):
        return exc
    twin, status = next((t, s) for cls, t, s in TABLE if isinstance(exc, cls))
    err = twin.__new__(twin)
    base = _litellm_base(twin)
    kwargs: dict[str, Any] = {"message": str(exc), "llm_provider": provider, "model": model}
    if base is litellm.APIError:
        kwargs["status_code"] = status
    base.__init__(err, **kwargs)
    err.message = str(exc)  # type: ignore[attr-defined]
    for key, value in vars(exc).items():  # the scillm attributes win, except the status LiteLLM routes on
        if key != "status_code":
            vars(err)[key] = value
    err.__cause__ = exc
    return err


@contextmanager
def map_exceptions(*, provider: str, model: str) -> Iterator[None]:
    """Re-raise any `ScillmError` leaving the block as its LiteLLM twin (chained to it)."""
    try:
        yield
    except ScillmError as exc:
        raise to_litellm(exc, provider=provider, model=model) from exc


__all__ = ["TABLE", "map_exceptions", "to_litellm", *(t.__name__ for _, t, _ in TABLE)]
