"""LiteLLM twins of the bridge client's errors, so Router retries and fallbacks see the right kind.

A busy bridge is a LiteLLM `RateLimitError` (429), a wrong token an
`AuthenticationError` (401), a deadline a `Timeout` (408); each is still the
`scillm.bridges.client` class with the server's message and body. Other
bridge errors go through `scillm.llms.errors.to_litellm`.
"""

from __future__ import annotations

from typing import Any

from scillm.config import set_default

set_default("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm  # noqa: E402

from scillm.bridges.client import BridgeAuthError, BridgeBusyError, BridgeTimeoutError  # noqa: E402
from scillm.errors import ScillmError  # noqa: E402


class LLMBridgeBusyError(BridgeBusyError, litellm.RateLimitError):  # type: ignore[misc]
    """The bridge stayed at capacity through every retry; a Router may try another deployment."""


class LLMBridgeAuthError(BridgeAuthError, litellm.AuthenticationError):  # type: ignore[misc]
    """The bridge refused the bearer token."""


class LLMBridgeTimeoutError(BridgeTimeoutError, litellm.Timeout):  # type: ignore[misc]
    """The bridge's deadline passed; `.body` holds the partial payload."""


_TWINS: tuple[tuple[type[ScillmError], type[ScillmError]], ...] = (
    (BridgeBusyError, LLMBridgeBusyError),
    (BridgeAuthError, LLMBridgeAuthError),
    (BridgeTimeoutError, LLMBridgeTimeoutError),
)


def to_litellm_error(exc: ScillmError, *, provider: str, model: str) -> Exception:
    """The LiteLLM-typed twin of a bridge error: same message, status and body, chained to `exc`."""
    from scillm.llms.errors import to_litellm

    target = next((twin for base, twin in _TWINS if isinstance(exc, base)), None)
    if target is None:
        return to_litellm(exc, provider=provider, model=model)
    err: Any = target.__new__(target)
    message = str(exc)
    kwargs: dict[str, Any] = {"message": message, "llm_provider": provider, "model": model}
    if target is LLMBridgeTimeoutError:
        litellm.Timeout.__init__(err, **kwargs)
    elif target is LLMBridgeAuthError:
        litellm.AuthenticationError.__init__(err, **kwargs)
    else:
        litellm.RateLimitError.__init__(err, **kwargs)
    err.message = message
    err.body = getattr(exc, "body", None)
    err.__cause__ = exc
    return err


__all__ = ["LLMBridgeAuthError", "LLMBridgeBusyError", "LLMBridgeTimeoutError", "to_litellm_error"]
