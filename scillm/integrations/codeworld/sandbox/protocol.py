"""Host-side parsing of what comes back: a child's reply (untrusted) and the zygote's report.

A child's reply is whatever bytes the code under test left in its reply
descriptor, so it is parsed as hostile input: size and nesting depth are
checked BEFORE any parser runs, NaN/Infinity and floats that overflow to
infinity are refused, integers are bounded, and only well-typed fields are
kept. Every failure is a `ProtocolFaultError`, which the pool turns into that one
evaluation's `protocol` error; it never escapes into the batch.
"""

from __future__ import annotations

import json
import secrets
from typing import TypedDict, get_args

from scillm.boundedjson import JSONRefusedError, JSONValue, loads, nesting_depth
from scillm.integrations.codeworld.sandbox.base import ErrorType

REQUEST_CAP_BYTES = 16 * 1024 * 1024
"""Largest request (code plus case input) a child accepts."""

MAX_DEPTH = 64
"""Deepest nesting of arrays/objects accepted in a reply (the host's own recursion stays far from its limit)."""

_MAX_INT_DIGITS = 4000
_ERROR_TYPES: dict[object, ErrorType] = {kind: kind for kind in get_args(ErrorType)}
_TEXT_CAP = 8000


class ReplyFields(TypedDict):
    """The RunResult fields a child's reply may set."""

    ok: bool
    value: JSONValue
    error: str | None
    error_type: ErrorType | None
    traceback: str | None
    durations_ms: list[float]


class ProtocolFaultError(Exception):
    """A reply or report was malformed, oversized, too deep or carried non-finite numbers."""


def new_nonce() -> str:
    """A fresh unguessable token for a worker's start-up handshake."""
    return secrets.token_hex(16)


def loads_untrusted(data: bytes, cap_bytes: int, max_depth: int = MAX_DEPTH) -> JSONValue:
    """Parse untrusted JSON: size and depth checked first, only finite numbers."""
    if len(data) > cap_bytes:
        raise ProtocolFaultError(f"reply of {len(data)} bytes exceeds the cap of {cap_bytes}")
    depth = nesting_depth(data)
    if depth > max_depth:
        raise ProtocolFaultError(f"reply nested {depth} deep exceeds the limit of {max_depth}")
    try:
        obj = loads(data.decode("utf-8"), max_depth=max_depth, max_int_digits=_MAX_INT_DIGITS)
    except JSONRefusedError as exc:
        raise ProtocolFaultError(f"reply refused: {exc}") from exc
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolFaultError(f"reply is not JSON: {str(exc)[:200]}") from exc
    try:  # a lone surrogate (`"\ud800"`) parses, but no UTF-8 response could carry it later
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ProtocolFaultError("reply text holds a lone UTF-16 surrogate") from exc
    return obj


def _text(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolFaultError(f"reply field {name} is not text")
    return value[:_TEXT_CAP]


def decode_reply(data: bytes, cap_bytes: int, repeats: int) -> ReplyFields:
    """The RunResult fields a child's reply may set: ok, value, error, error_type, traceback, durations."""
    raw = loads_untrusted(data, cap_bytes)
    if not isinstance(raw, dict):
        raise ProtocolFaultError("reply is not a JSON object")
    ok = raw.get("ok")
    if not isinstance(ok, bool):
        raise ProtocolFaultError("reply field ok is not a boolean")
    error_type = raw.get("error_type")
    if error_type is not None and not (isinstance(error_type, str) and error_type in _ERROR_TYPES):
        raise ProtocolFaultError("reply field error_type is not a known kind")
    reported = raw.get("durations_ms", [])
    entries = reported if isinstance(reported, list) else []
    durations = [float(d) for d in entries if isinstance(d, int | float) and not isinstance(d, bool) and d >= 0]
    if not isinstance(reported, list) or len(durations) != len(reported) or len(durations) > repeats:
        durations = []  # self-reported and never scored: a tampered clock loses them, not the result
    return {
        "ok": ok,
        "value": raw.get("value") if ok else None,
        "error": _text(raw.get("error"), "error"),
        "error_type": None if ok else _ERROR_TYPES.get(error_type, "exception"),
        "traceback": _text(raw.get("traceback"), "traceback"),
        "durations_ms": durations,
    }


def decode_report(data: bytes, request_id: int) -> dict[str, JSONValue]:
    """The zygote's report on one child (trusted, but still checked: a mismatch kills the worker)."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolFaultError(f"worker report is not JSON: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("id") != request_id:
        raise ProtocolFaultError("worker report does not answer this request")
    return raw


__all__ = [
    "MAX_DEPTH",
    "REQUEST_CAP_BYTES",
    "ProtocolFaultError",
    "ReplyFields",
    "decode_reply",
    "decode_report",
    "loads_untrusted",
    "nesting_depth",
    "new_nonce",
]
