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
import math
import re
import secrets
from itertools import accumulate
from typing import Any

REQUEST_CAP_BYTES = 16 * 1024 * 1024
"""Largest request (code plus case input) a child accepts."""

MAX_DEPTH = 64
"""Deepest nesting of arrays/objects accepted in a reply (the host's own recursion stays far from its limit)."""

_MAX_INT_DIGITS = 4000
_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _STEP[_open], _STEP[_close] = 1, -1
_ERROR_TYPES = frozenset({"exception", "timeout", "memory", "crashed", "protocol", "rejected"})
_TEXT_CAP = 8000


class ProtocolFaultError(Exception):
    """A reply or report was malformed, oversized, too deep or carried non-finite numbers."""


def new_nonce() -> str:
    """A fresh unguessable token for a worker's start-up handshake."""
    return secrets.token_hex(16)


def nesting_depth(data: bytes) -> int:
    """Deepest array/object nesting of a JSON text, counted without parsing it (strings skipped)."""
    skeleton = _STRINGS.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, skeleton)), default=0)


def _no_constant(name: str) -> Any:
    raise ProtocolFaultError(f"non-finite number {name} in the reply")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ProtocolFaultError(f"number {text[:40]} overflows to infinity")
    return value


def _bounded_int(text: str) -> int:
    if len(text) > _MAX_INT_DIGITS:
        raise ProtocolFaultError(f"integer of {len(text)} digits in the reply")
    return int(text)


def loads_untrusted(data: bytes, cap_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """Parse untrusted JSON: size and depth checked first, only finite numbers."""
    if len(data) > cap_bytes:
        raise ProtocolFaultError(f"reply of {len(data)} bytes exceeds the cap of {cap_bytes}")
    depth = nesting_depth(data)
    if depth > max_depth:
        raise ProtocolFaultError(f"reply nested {depth} deep exceeds the limit of {max_depth}")
    try:
        obj = json.loads(data.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float,
                         parse_int=_bounded_int)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolFaultError(f"reply is not JSON: {str(exc)[:200]}") from exc
    try:  # a lone surrogate (`"\ud800"`) parses, but no UTF-8 response could carry it later
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ProtocolFaultError("reply text holds a lone UTF-16 surrogate") from exc
    return obj


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolFaultError(f"reply field {name} is not text")
    return value[:_TEXT_CAP]


def decode_reply(data: bytes, cap_bytes: int, repeats: int) -> dict[str, Any]:
    """The RunResult fields a child's reply may set: ok, value, error, error_type, traceback, durations."""
    raw = loads_untrusted(data, cap_bytes)
    if not isinstance(raw, dict):
        raise ProtocolFaultError("reply is not a JSON object")
    ok = raw.get("ok")
    if not isinstance(ok, bool):
        raise ProtocolFaultError("reply field ok is not a boolean")
    error_type = raw.get("error_type")
    if error_type is not None and error_type not in _ERROR_TYPES:
        raise ProtocolFaultError("reply field error_type is not a known kind")
    durations = raw.get("durations_ms", [])
    if not (isinstance(durations, list) and len(durations) <= repeats and all(
            isinstance(d, (int, float)) and not isinstance(d, bool) and d >= 0 for d in durations)):
        durations = []  # self-reported and never scored: a tampered clock loses them, not the result
    return {
        "ok": ok,
        "value": raw.get("value") if ok else None,
        "error": _text(raw.get("error"), "error"),
        "error_type": None if ok else (error_type or "exception"),
        "traceback": _text(raw.get("traceback"), "traceback"),
        "durations_ms": [float(d) for d in durations],
    }


def decode_report(data: bytes, request_id: int) -> dict[str, Any]:
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
    "decode_reply",
    "decode_report",
    "loads_untrusted",
    "nesting_depth",
    "new_nonce",
]
