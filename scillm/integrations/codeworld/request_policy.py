"""Which codeworld arguments a request may set: the allow-list a bridge (or any server) enforces.

A request (HTTP body, `completion(...)` keyword arguments from an untrusted
caller) is hostile. It may choose the strategy, metrics, weights, scoring
code (run in the sandbox), budgets within their bounds, and an LLM ALIAS the
server declared in `CodeworldSettings.models`. It may not choose where a
server secret goes or what the policy is: LLM endpoints, keys and providers,
`allow_unsandboxed`, store paths. Those are refused with `RequestPolicyError`
naming the field (a bridge answers 422), never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from scillm.errors import InvalidRequestError
from scillm.integrations.codeworld.models import CodeworldArgs
from scillm.integrations.codeworld.settings import CodeworldSettings

SERVER_ONLY_FIELDS: dict[str, str] = {
    "allow_unsandboxed": "CodeworldSettings.allow_unsandboxed",
    "autogenerate.api_base": "CodeworldSettings.models[alias].api_base",
    "autogenerate.api_key": "CodeworldSettings.models[alias].api_key",
    "autogenerate.custom_llm_provider": "CodeworldSettings.models[alias].custom_llm_provider",
    "api_base": "CodeworldSettings.models[alias].api_base",
    "api_key": "CodeworldSettings.models[alias].api_key",
    "store_path": "CodeworldSettings.db_path",
    "db_path": "CodeworldSettings.db_path",
    "redis_url": "CodeworldSettings.redis_url",
    "settings": "the server's own CodeworldSettings",
    "sandbox": "the server's own sandbox",
    "backend": "the server's own sandbox",
}
"""Dotted request field -> the server setting that decides it instead."""

REQUEST_FIELDS: frozenset[str] = frozenset(set(CodeworldArgs.model_fields) - {"allow_unsandboxed"})
"""Top-level provider arguments a request may set (each validated by `CodeworldArgs`)."""


class RequestPolicyError(InvalidRequestError):
    """A request set a field it may not set, or set it to a value the server did not declare."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _given(args: Mapping[str, Any], dotted: str) -> bool:
    head, _, tail = dotted.partition(".")
    if head not in args:
        return False
    value = args[head]
    if not tail:
        return value not in (None, False)
    return isinstance(value, Mapping) and value.get(tail) is not None


def validate_request_args(args: object, settings: CodeworldSettings | None = None) -> CodeworldArgs:
    """The request's arguments as `CodeworldArgs`, or `RequestPolicyError` naming the first bad field.

    Raises:
        RequestPolicyError: a server-only field, an undeclared model alias, or a value out of bounds.
    """
    if not isinstance(args, Mapping):
        raise RequestPolicyError("args", f"must be an object, got {type(args).__name__}")
    for dotted, setting in SERVER_ONLY_FIELDS.items():
        if _given(args, dotted):
            raise RequestPolicyError(dotted, f"is server configuration ({setting}); a request may not set it")
    try:
        parsed = CodeworldArgs.model_validate(dict(args))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "args"
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'args'}: {e['msg']}" for e in exc.errors())
        raise RequestPolicyError(field, f"invalid codeworld arguments: {detail}") from exc
    server = settings or CodeworldSettings()
    if parsed.strategy_config.timeout_ms > server.max_timeout_ms:
        raise RequestPolicyError("strategy_config.timeout_ms",
                                 f"{parsed.strategy_config.timeout_ms} exceeds this server's cap of "
                                 f"{server.max_timeout_ms} ms (CodeworldSettings.max_timeout_ms)")
    alias = parsed.autogenerate.model
    if alias is not None:
        declared = sorted(server.models)
        if alias not in declared:
            raise RequestPolicyError(
                "autogenerate.model",
                f"{alias!r} is not a model this server declares (declared: {', '.join(declared) or 'none'}); "
                "the operator adds aliases in CodeworldSettings.models")
    return parsed


__all__ = ["REQUEST_FIELDS", "SERVER_ONLY_FIELDS", "RequestPolicyError", "validate_request_args"]
