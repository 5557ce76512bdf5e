"""`boundedjson.loads`: every refusal names its kind; a key given twice in one object is one of them."""

from __future__ import annotations

import pytest

from scillm import boundedjson


def _loads(text: str) -> boundedjson.JSONValue:
    return boundedjson.loads(text, max_depth=16, max_int_digits=20)


@pytest.mark.parametrize("text, key", [
    ('{"statement": "1 = 2", "statement": "True"}', "statement"),
    ('{"a": 1, "b": 2, "a": 1}', "a"),
    ('[1, {"x": {"y": [{"z": 1, "z": 2}]}}]', "z"),
    ('{"": 1, "": 2}', ""),
    ('{"\\u0061": 1, "a": 2}', "a"),
])
def test_a_key_twice_in_one_object_is_refused_by_name(text: str, key: str) -> None:
    with pytest.raises(boundedjson.JSONRefusedError) as caught:
        _loads(text)
    assert caught.value.kind == "duplicate" and repr(key) in str(caught.value)


def test_equal_keys_in_different_objects_are_fine() -> None:
    assert _loads('[{"a": 1}, {"a": 2}, {"b": {"a": 3}, "a": 4}]') == [{"a": 1}, {"a": 2}, {"b": {"a": 3}, "a": 4}]
    assert _loads('{"A": 1, "a": 2}') == {"A": 1, "a": 2}
