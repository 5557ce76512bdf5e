"""Parsing a child's reply as hostile input: caps and depth before parsing, finite numbers, typed fields."""

from __future__ import annotations

import json

import pytest

from scillm.integrations.codeworld.sandbox.protocol import (
    MAX_DEPTH,
    ProtocolFaultError,
    decode_reply,
    decode_report,
    loads_untrusted,
    nesting_depth,
)


def _reply(**fields: object) -> bytes:
    return json.dumps({"ok": True, "value": 1, "durations_ms": [0.5], **fields}).encode()


def test_a_well_formed_reply_keeps_only_known_fields() -> None:
    out = decode_reply(_reply(extra="ignored", cpu_ms=0, wall_ms=0), 10_000, repeats=1)
    assert out == {"ok": True, "value": 1, "error": None, "error_type": None, "traceback": None,
                   "durations_ms": [0.5]}


def test_depth_is_counted_without_parsing_and_strings_do_not_count() -> None:
    assert nesting_depth(b'[[{"a": "[[[[[[\\"]]]"}]]') == 3
    deep = b"[" * 985 + b"]" * 985
    assert nesting_depth(deep) == 985
    with pytest.raises(ProtocolFaultError, match="nested 985 deep"):
        loads_untrusted(deep, 1 << 20)
    assert loads_untrusted(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, 1 << 20) is not None


@pytest.mark.parametrize("text", [b'{"ok": true, "value": NaN}', b'{"ok": true, "value": -Infinity}',
                                  b'{"ok": true, "value": 1e999}', b'{"ok": true, "value": ' + b"9" * 5000 + b"}"])
def test_non_finite_and_huge_numbers_are_refused(text: bytes) -> None:
    with pytest.raises(ProtocolFaultError):
        decode_reply(text, 1 << 20, repeats=1)


def test_a_key_given_twice_is_refused() -> None:
    with pytest.raises(ProtocolFaultError, match="'ok' appears twice"):
        decode_reply(b'{"ok": false, "value": 1, "durations_ms": [0.5], "ok": true}', 1 << 20, repeats=1)


@pytest.mark.parametrize("fields", [{"ok": "yes"}, {"error_type": "pwned", "ok": False}, {"error": 3}])
def test_mistyped_fields_are_a_fault(fields: dict[str, object]) -> None:
    with pytest.raises(ProtocolFaultError):
        decode_reply(_reply(**fields), 10_000, repeats=1)


@pytest.mark.parametrize("durations", [[-1.0], [0.1, 0.2], "fast", [True]])
def test_tampered_self_reported_durations_are_dropped_not_trusted(durations: object) -> None:
    out = decode_reply(_reply(durations_ms=durations), 10_000, repeats=1)
    assert out["ok"] is True and out["durations_ms"] == []


def test_lone_surrogates_are_refused_but_real_astral_characters_pass() -> None:
    with pytest.raises(ProtocolFaultError, match="surrogate"):
        decode_reply(b'{"ok": true, "value": "\\ud800"}', 1000, repeats=1)
    assert decode_reply(b'{"ok": true, "value": "\\ud83d\\ude00"}', 1000, repeats=1)["value"] == "\U0001f600"


def test_size_cap_and_garbage() -> None:
    with pytest.raises(ProtocolFaultError, match="exceeds the cap"):
        decode_reply(_reply(value="z" * 5000), 1000, repeats=1)
    for junk in (b"not json", b"\xff\xfe", b"[1, 2]", b'{"ok": t'):
        with pytest.raises(ProtocolFaultError):
            decode_reply(junk, 1000, repeats=1)


def test_reports_must_answer_their_request() -> None:
    assert decode_report(b'{"id": 7, "status": 0}', 7)["status"] == 0
    with pytest.raises(ProtocolFaultError, match="does not answer"):
        decode_report(b'{"id": 6, "status": 0}', 7)
