"""Strict JSON for model replies: parse, repair (json-repair), validate (jsonschema or a callable).

Pure text logic, shared by single completions (strict mode raises
`JsonParseError`) and the batch fan-out (per-item `invalid_json` results).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Union

import json_repair
import jsonschema

from scillm.config import env_bool
from scillm.errors import InvalidJsonError, JsonParseError

Schema = Union[Mapping[str, Any], Callable[[Any], Any]]

SAMPLE_CHARS = 400
_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n(.*?)\n?```\s*$", re.DOTALL)


def wants_json(response_format: object) -> bool:
    """True for `{"type": "json_object"}` and `{"type": "json_schema", ...}` response formats."""
    kind = response_format.get("type") if isinstance(response_format, Mapping) else None
    return kind in ("json_object", "json_schema")


def strict_enabled(strict_json: bool | None) -> bool:
    """The explicit argument wins; otherwise `SCILLM_JSON_STRICT`."""
    return env_bool("SCILLM_JSON_STRICT") if strict_json is None else bool(strict_json)


def repair_enabled(repair_invalid_json: bool | None) -> bool:
    """The explicit argument wins; otherwise `SCILLM_REPAIR_INVALID_JSON`."""
    return env_bool("SCILLM_REPAIR_INVALID_JSON") if repair_invalid_json is None else bool(repair_invalid_json)


def parse_json_text(text: str | None) -> Any:  # noqa: ANN401  any JSON value
    """Parse a reply as JSON; one surrounding Markdown code fence is allowed. Raises InvalidJsonError."""
    if text is None or not text.strip():
        raise InvalidJsonError("empty reply")
    match = _FENCE.match(text)
    body = match.group(1) if match else text
    try:
        return json.loads(body)
    except ValueError as exc:
        raise InvalidJsonError(f"not valid JSON: {exc}") from exc


def repair_json_text(text: str | None) -> Any:  # noqa: ANN401  any JSON value
    """Best-effort repair with json-repair; raises InvalidJsonError when nothing JSON-like is left."""

    if text is None or not text.strip():
        raise InvalidJsonError("empty reply")
    repaired = json_repair.loads(text)
    if repaired in ("", None) or isinstance(repaired, str):
        raise InvalidJsonError("not valid JSON and json-repair found no JSON value in it")
    return repaired


def validate(obj: object, schema: Schema | None) -> None:
    """Check `obj` against a jsonschema dict or a callable; raises InvalidJsonError with the validator's message.

    A callable rejects by raising (its message is kept) or by returning False.
    """
    if schema is None:
        return
    if callable(schema):
        try:
            verdict = schema(obj)
        except Exception as exc:
            raise InvalidJsonError(str(exc) or type(exc).__name__) from exc
        if verdict is False:
            raise InvalidJsonError(f"schema callable {getattr(schema, '__name__', 'schema')} rejected the value")
        return

    try:
        jsonschema.validate(obj, dict(schema))
    except jsonschema.ValidationError as exc:
        raise InvalidJsonError(exc.message) from exc


def load(text: str | None, *, schema: Schema | None = None, repair: bool = False) -> tuple[Any, bool]:
    """Parse (then repair when allowed) and validate; returns (value, repaired)."""
    try:
        value, repaired = parse_json_text(text), False
    except InvalidJsonError:
        if not repair:
            raise
        value, repaired = repair_json_text(text), True
    validate(value, schema)
    return value, repaired


def parse_error(text: str | None, reason: str, *, model: str | None, provider: str | None) -> JsonParseError:
    """The JsonParseError for a reply that strict JSON mode rejects, with `scillm_meta`."""
    raw = text or ""
    meta = {"reason": "json_parse_failed", "detail": reason, "sample": raw[:SAMPLE_CHARS],
            "raw_len": len(raw), "model": model, "provider": provider}
    return JsonParseError(
        f"model {model!r} ({provider}) did not return valid JSON ({reason}); "
        "ask for JSON in the prompt, or drop strict_json/SCILLM_JSON_STRICT to get the raw text",
        scillm_meta=meta,
    )


__all__ = ["Schema", "load", "parse_error", "parse_json_text", "repair_enabled",
           "repair_json_text", "strict_enabled", "validate", "wants_json"]
