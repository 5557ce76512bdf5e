"""Certainly items with one field of the wrong JSON type, for property tests of every surface.

`wrong_items()` draws a list of `(item, field)` pairs: a valid Coq item with one
field replaced by a value of a type that field does not take (None, numbers,
booleans, lists, objects, nested values), or set to any value when the field
is not an item field at all. `check_result` asserts what every surface must
answer for such an item: an `error` result naming the field.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

STATEMENT = "forall n : nat, n + 0 = n"
CONTROL: dict[str, Any] = {"id": "control", "requirement_text": STATEMENT, "tactics": ["intros; lia."]}

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                     st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
JSON_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)), max_leaves=8)

_NESTED = st.one_of(st.lists(JSON_VALUES, min_size=1, max_size=3),
                    st.dictionaries(st.text(max_size=5), JSON_VALUES, min_size=1, max_size=3))
_NUMBERS = st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False))
_NOT_STRING = st.one_of(st.booleans(), _NUMBERS, st.just([]), st.just({}), _NESTED)
_NOT_ID = st.one_of(st.booleans(), st.floats(allow_nan=False, allow_infinity=False), st.just([]), st.just({}), _NESTED)
_NOT_STRINGS = st.one_of(st.booleans(), _NUMBERS, st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=3),
                         st.lists(JSON_VALUES, min_size=1, max_size=3).filter(
                             lambda v: any(not isinstance(x, str) for x in v)))
_NOT_OBJECT = st.one_of(st.booleans(), _NUMBERS, st.text(max_size=5), st.lists(JSON_VALUES, max_size=3))

# field -> (values it must refuse, the words its message must hold)
WRONG: dict[str, tuple[st.SearchStrategy[Any], str]] = {
    "requirement_text": (st.one_of(st.none(), _NOT_STRING), "`requirement_text`"),
    "text": (_NOT_STRING, "`text` must be a string"),
    "requirement": (_NOT_STRING, "`requirement` must be a string"),
    "id": (_NOT_ID, "`id` must be a string or an integer"),
    "backend": (_NOT_STRING, "`backend` must be a string"),
    "header": (_NOT_STRING, "`header` must be a string"),
    "decls": (_NOT_STRING, "`decls` must be a string"),
    "theorem_name": (_NOT_STRING, "`theorem_name` must be a string"),
    "tactics": (_NOT_STRINGS, "`tactics` must be a list of strings"),
    "strategies": (_NOT_STRINGS, "`strategies` must be a list of strings"),
    "metadata": (_NOT_OBJECT, "`metadata` must be an object"),
    # not item fields: any value, of any type, is refused by name
    "statement": (JSON_VALUES, "unknown item field"),
    "proof": (JSON_VALUES, "unknown item field"),
    "imports": (JSON_VALUES, "unknown item field"),
    "options": (JSON_VALUES, "unknown item field"),
}

# None means "not given" for every optional field: such an item is proved like the control
OPTIONAL = ("text", "requirement", "id", "backend", "header", "decls", "theorem_name", "tactics", "strategies",
            "metadata")


@st.composite
def wrong_item(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """One item with exactly one wrong-typed (or unknown) field, and that field's name."""
    field = draw(st.sampled_from(sorted(WRONG)))
    value = draw(WRONG[field][0])
    item: dict[str, Any] = {"id": f"bad-{field}", "requirement_text": STATEMENT}
    if field in ("text", "requirement"):
        del item["requirement_text"]
    item[field] = value
    return item, field


def wrong_items(max_size: int = 4) -> st.SearchStrategy[list[tuple[dict[str, Any], str]]]:
    return st.lists(wrong_item(), min_size=1, max_size=max_size)


def check_result(result: dict[str, Any], index: int, field: str) -> None:
    """An `error` in its own place whose explanation names the field and what it takes."""
    assert result["index"] == index, result
    assert result["status"] == "error", (field, result)
    explanation = result.get("explanation") or ""
    assert WRONG[field][1] in explanation and field in explanation, (field, explanation)


def batch(pairs: list[tuple[dict[str, Any], str]]) -> list[dict[str, Any]]:
    """The control item first, then the wrong ones, then the control again."""
    return [CONTROL, *(item for item, _ in pairs), {**CONTROL, "id": "control-last"}]


def check_batch(results: list[dict[str, Any]], pairs: list[tuple[dict[str, Any], str]]) -> None:
    """One result per item, in order: both controls proved, every wrong item its own named error."""
    assert len(results) == len(pairs) + 2, results
    assert [r["index"] for r in results] == list(range(len(pairs) + 2))
    assert results[0]["status"] == "proved" and results[-1]["status"] == "proved", (results[0], results[-1])
    for i, (_, field) in enumerate(pairs, start=1):
        check_result(results[i], i, field)


__all__ = ["CONTROL", "JSON_VALUES", "OPTIONAL", "STATEMENT", "WRONG", "batch", "check_batch", "check_result",
           "wrong_item", "wrong_items"]
