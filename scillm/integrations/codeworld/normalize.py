"""Turn one caller item into a `CodeTask`, or say exactly which field is wrong.

Accepted shape: `{task, task_id|id, context: {code_variants: {id: code},
cases: [{input, expected}], input, expected, entry}}`. A single
`input`/`expected` pair is one case; a case may give `args` (a list of
positional arguments) instead of `input` (one argument). Code variants may
also be a list of sources (ids `v0`, `v1`, ...) or of `{id, code}` objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scillm.errors import InvalidRequestError
from scillm.integrations.codeworld.models import Case, CodeTask


def normalize_item(item: object, index: int) -> CodeTask:
    """Validate `item` (position `index` in the batch) into a `CodeTask`.

    Raises:
        InvalidRequestError: naming the field that cannot be used.
    """
    if not isinstance(item, Mapping):
        raise InvalidRequestError(f"item {index} must be an object, got {type(item).__name__}")
    context = item.get("context") or {}
    if not isinstance(context, Mapping):
        raise InvalidRequestError(f"item {index}: `context` must be an object")
    task_id = item.get("task_id", item.get("id"))
    task = item.get("task", context.get("task", ""))
    if not isinstance(task, str):
        raise InvalidRequestError(f"item {index}: `task` must be a string")
    entry = context.get("entry", item.get("entry", "solve"))
    if not isinstance(entry, str) or not entry.isidentifier():
        raise InvalidRequestError(f"item {index}: `entry` must be a Python identifier, got {entry!r}")
    variants = _variants(context.get("code_variants", item.get("code_variants")), index)
    cases = _cases(context, index)
    return CodeTask(
        task=task,
        task_id=str(task_id) if task_id is not None else f"item-{index}",
        variants=variants,
        cases=cases,
        entry=entry,
        context=dict(context),
    )


def _variants(raw: object, index: int) -> dict[str, str]:
    if raw is None:
        return {}
    pairs: list[tuple[Any, Any]]
    if isinstance(raw, Mapping):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = []
        for i, entry in enumerate(raw):
            if isinstance(entry, str):
                pairs.append((f"v{i}", entry))
            elif isinstance(entry, Mapping) and "code" in entry:
                pairs.append((entry.get("id", f"v{i}"), entry["code"]))
            else:
                raise InvalidRequestError(
                    f"item {index}: code_variants[{i}] must be source text or {{id, code}}"
                )
    else:
        raise InvalidRequestError(f"item {index}: `code_variants` must be an object {{id: code}} or a list")
    out: dict[str, str] = {}
    for vid, code in pairs:
        if not isinstance(code, str) or not code.strip():
            raise InvalidRequestError(f"item {index}: code variant {vid!r} must be non-empty source text")
        key = str(vid)
        if key in out:
            raise InvalidRequestError(f"item {index}: duplicate code variant id {key!r}")
        out[key] = code
    return out


def _cases(context: Mapping[str, Any], index: int) -> list[Case]:
    raw = context.get("cases")
    if raw is None:
        if "input" in context or "args" in context:
            return [_case(context, index, 0)]
        raise InvalidRequestError(f"item {index}: give `context.cases` or a single `context.input`/`expected`")
    if not isinstance(raw, list) or not raw:
        raise InvalidRequestError(f"item {index}: `context.cases` must be a non-empty list")
    return [_case(c, index, i) for i, c in enumerate(raw)]


def _case(raw: object, index: int, case_index: int) -> Case:
    if not isinstance(raw, Mapping):
        raise InvalidRequestError(f"item {index}: case {case_index} must be an object {{input, expected}}")
    if "args" in raw:
        args = raw["args"]
        if not isinstance(args, list):
            raise InvalidRequestError(f"item {index}: case {case_index} `args` must be a list")
    elif "input" in raw:
        args = [raw["input"]]
    else:
        raise InvalidRequestError(f"item {index}: case {case_index} has neither `input` nor `args`")
    return Case(args=list(args), expected=raw.get("expected"), has_expected="expected" in raw)


__all__ = ["normalize_item"]
