"""One exception tree for everything a scillm user can hit.

Every class says when it is raised; every message names the cause and the
fix. Under `ScillmError`: usage errors (`ConfigError` and its
`CompletionNotConfiguredError`, `InvalidRequestError`),
unavailable (`EngineNotReadyError`, `BackendUnavailableError`,
`SandboxUnavailableError`), `BusyError`, remote failures (`BridgeError` and its
status-specific subclasses, `ProviderError`), results the caller refused
(`JsonParseError`, `InvalidJsonError`, `RequireProvedError`), `JobNotFoundError`
and `SkillError`. Through LiteLLM the
same errors surface as LiteLLM-typed twins (one table in `scillm.llms.errors`),
so importing this module never imports LiteLLM.
"""

from __future__ import annotations

from typing import Any


class ScillmError(Exception):
    """Root of every error scillm raises on purpose."""


class ConfigError(ScillmError, ValueError):
    """A required setting (base URL, key, model, option) is missing or invalid."""


class CompletionNotConfiguredError(ConfigError):
    """An engine needs an LLM (a model was given) but no `Completion` was injected or scoped for the call."""


class InvalidRequestError(ScillmError, ValueError):
    """The caller passed arguments that cannot be used; the message names the field."""


class EngineNotReadyError(ScillmError, NotImplementedError):
    """A provider exists but the engine behind it is not built or not enabled here."""


class BackendUnavailableError(ScillmError):
    """A prover or sandbox binary needed for this call is missing; the message says what to install."""


class JsonParseError(ScillmError, ValueError):
    """Strict JSON mode was asked for and the model's reply is not valid JSON.

    `scillm_meta` carries `reason="json_parse_failed"`, a `sample` of the raw
    text, `raw_len`, `model` and `provider`.
    """

    def __init__(self, message: str, *, scillm_meta: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.scillm_meta: dict[str, Any] = scillm_meta or {}


class RequireProvedError(ScillmError):
    """`require_proved=True` was passed and some items were not proved."""

    def __init__(self, message: str, *, unproved: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.unproved: list[dict[str, Any]] = unproved or []


class SandboxUnavailableError(ScillmError):
    """No isolating sandbox works here and `allow_unsandboxed=True` was not passed."""


class InvalidJsonError(ScillmError, ValueError):
    """A reply is not JSON or does not match the schema; the message is the parser's or validator's."""


class JobNotFoundError(ScillmError, LookupError):
    """No job with that id: it never existed or its time to live passed (HTTP 404)."""


class SkillError(ScillmError):
    """A skill name is unknown, a skill folder is malformed, or the install target cannot be written."""


class BusyError(ScillmError):
    """A service stayed at capacity until the caller's deadline; retry later (HTTP 429)."""


class BridgeError(ScillmError):
    """An HTTP bridge answered with an error or could not be reached; `status_code` and `body` are the server's."""

    def __init__(self, message: str, *, status_code: int | None = None, body: object = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class BridgeInvalidRequestError(BridgeError, InvalidRequestError):
    """400/413/422: the bridge refused the request; the message names the field."""


class BridgeAuthError(BridgeError):
    """401/403: missing or wrong bearer token (set SCILLM_BRIDGE_TOKEN or pass api_key)."""


class BridgeBusyError(BridgeError, BusyError):
    """429 after every retry: the bridge's queue stayed full."""


class BridgeEngineNotReadyError(BridgeError, EngineNotReadyError):
    """501: the bridge runs a scillm without this engine."""


class BridgeUnavailableError(BridgeError, BackendUnavailableError):
    """503 after every retry, or the bridge cannot be reached at all."""


class BridgeTimeoutError(BridgeError):
    """504 or a job that ran out of `max_seconds`; `.body` holds the partial payload."""


class ProviderError(ScillmError):
    """An OpenAI-compatible host answered a paved helper with an error or could not be reached.

    `reason` is one of auth, quota_exhausted, rate_limited, model_not_listed,
    unreachable, timeout, bad_response, http_error.
    """

    def __init__(self, message: str, *, status_code: int | None = None, reason: str = "http_error") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.reason = reason


__all__ = [
    "BackendUnavailableError",
    "BridgeAuthError",
    "BridgeBusyError",
    "BridgeEngineNotReadyError",
    "BridgeError",
    "BridgeInvalidRequestError",
    "BridgeTimeoutError",
    "BridgeUnavailableError",
    "BusyError",
    "CompletionNotConfiguredError",
    "ConfigError",
    "EngineNotReadyError",
    "InvalidJsonError",
    "InvalidRequestError",
    "JobNotFoundError",
    "JsonParseError",
    "ProviderError",
    "RequireProvedError",
    "SandboxUnavailableError",
    "ScillmError",
    "SkillError",
]
