"""Strict JSON text logic: parse, repair, validate."""

from __future__ import annotations

from typing import Any

import pytest

from scillm import jsonmode
from scillm.errors import InvalidJsonError


def test_parse_plain_and_fenced() -> None:
    assert jsonmode.parse_json_text('{"a": 1}') == {"a": 1}
    assert jsonmode.parse_json_text('```json\n{"a": [1, 2]}\n```') == {"a": [1, 2]}


@pytest.mark.parametrize("text", [None, "", "   ", "prose", '{"a": 1', "```json\nnope\n```"])
def test_parse_rejects(text: str | None) -> None:
    with pytest.raises(InvalidJsonError):
        jsonmode.parse_json_text(text)


def test_repair_uses_json_repair() -> None:
    assert jsonmode.repair_json_text('{"a": 1, "b": "x') == {"a": 1, "b": "x"}
    with pytest.raises(InvalidJsonError):
        jsonmode.repair_json_text("no json at all")


def test_load_marks_repaired_and_validates() -> None:
    assert jsonmode.load('{"a": 1}') == ({"a": 1}, False)
    assert jsonmode.load('{"a": 1', repair=True) == ({"a": 1}, True)
    with pytest.raises(InvalidJsonError, match="not valid JSON"):
        jsonmode.load('{"a": 1')
    with pytest.raises(InvalidJsonError, match="'b' is a required property"):
        jsonmode.load('{"a": 1}', schema={"type": "object", "required": ["b"]})


def test_callable_schema() -> None:
    def is_list(obj: Any) -> bool:
        return isinstance(obj, list)

    jsonmode.validate([1], is_list)
    with pytest.raises(InvalidJsonError, match="is_list rejected"):
        jsonmode.validate({}, is_list)


def test_flags_follow_arguments_then_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCILLM_JSON_STRICT", "1")
    monkeypatch.setenv("SCILLM_REPAIR_INVALID_JSON", "0")
    assert jsonmode.strict_enabled(None) and not jsonmode.strict_enabled(False)
    assert not jsonmode.repair_enabled(None) and jsonmode.repair_enabled(True)
    assert jsonmode.wants_json({"type": "json_object"}) and not jsonmode.wants_json({"type": "text"})
    assert not jsonmode.wants_json(None)


def test_parse_error_meta() -> None:
    err = jsonmode.parse_error("x" * 1000, "not valid JSON", model="m", provider="openai_like")
    assert err.scillm_meta["reason"] == "json_parse_failed"
    assert err.scillm_meta["raw_len"] == 1000 and len(err.scillm_meta["sample"]) == jsonmode.SAMPLE_CHARS
    assert "m" in str(err) and "strict_json" in str(err)
