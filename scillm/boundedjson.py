"""Decoding hostile JSON with bounded values: finite numbers, bounded integers, bounded nesting, unique keys.

Python's `json` accepts `NaN`/`Infinity`, turns `1e999` into infinity,
recurses without bound, refuses huge integers only by raising and keeps the
last of two equal keys (where another reader may keep the first); each of
those would fail later, far from the input, or mean two things. Every refusal here is one
`JSONRefusedError` naming its kind, so each caller can answer in its own terms
(a 4xx at an HTTP door, a protocol fault for a sandboxed child's reply).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from itertools import accumulate
from typing import Literal

JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]
"""A decoded JSON document."""

RefusalKind = Literal["constant", "float", "int", "depth", "duplicate"]

_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _STEP[_open], _STEP[_close] = 1, -1


class JSONRefusedError(ValueError):
    """Well-formed JSON carrying a value no bounded reader accepts (`kind` says which)."""

    def __init__(self, kind: RefusalKind, message: str) -> None:
        super().__init__(message)
        self.kind: RefusalKind = kind


def nesting_depth(data: bytes) -> int:
    """Deepest array/object nesting of a UTF-8 JSON text, counted without parsing it (strings skipped)."""
    skeleton = _STRINGS.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, skeleton)), default=0)


def within_depth(value: JSONValue, limit: int) -> bool:
    """True when no array/object in `value` sits deeper than `limit` (iterative: no recursion limit)."""
    stack: list[tuple[JSONValue, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return False
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


def _constant(name: str) -> float:
    raise JSONRefusedError("constant", f"{name} is not a JSON number; send a finite number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONRefusedError("float", f"{text[:40]} does not fit a finite 64-bit float")
    return value


def _unique(pairs: list[tuple[str, JSONValue]]) -> dict[str, JSONValue]:
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JSONRefusedError("duplicate", f"key {key[:80]!r} appears twice in one JSON object; "
                                       "send each key once")
            seen.add(key)
    return obj


def _int_parser(max_digits: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        digits = len(text.lstrip("-"))
        if digits > max_digits:
            raise JSONRefusedError("int", f"an integer of {digits} digits; at most {max_digits} are accepted")
        return int(text)
    return parse


def loads(text: str | bytes, *, max_depth: int, max_int_digits: int) -> JSONValue:
    """The decoded document, or `JSONRefusedError` for a non-finite number, a huge integer, deep nesting
    or a key given twice in one object (at any depth).

    Malformed text raises `json.JSONDecodeError` / `UnicodeDecodeError` as `json.loads` does.
    """
    parse_int = _int_parser(max_int_digits)
    too_deep = JSONRefusedError("depth", f"JSON nested deeper than {max_depth} levels")
    try:
        value: JSONValue = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=parse_int,
                                      object_pairs_hook=_unique)
    except RecursionError:
        raise too_deep from None
    if not within_depth(value, max_depth):
        raise too_deep
    return value


__all__ = ["JSONRefusedError", "JSONValue", "RefusalKind", "loads", "nesting_depth", "within_depth"]
