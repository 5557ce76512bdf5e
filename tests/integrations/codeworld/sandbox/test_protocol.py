"""Frame encoding, caps and nonce checks of the worker protocol."""

from __future__ import annotations

import os

import pytest

from scillm.integrations.codeworld.sandbox.protocol import (
    HEADER_SIZE,
    ProtocolFault,
    decode_body,
    encode_frame,
    new_nonce,
    parse_header,
    read_frame_fd,
    write_frame_fd,
)


def test_round_trip_through_a_pipe() -> None:
    r, w = os.pipe()
    try:
        nonce = new_nonce()
        write_frame_fd(w, {"nonce": nonce, "value": [1, "two", None]})
        assert read_frame_fd(r, 1024, nonce) == {"nonce": nonce, "value": [1, "two", None]}
    finally:
        os.close(r)
        os.close(w)


def test_clean_eof_is_none_and_truncation_is_a_fault() -> None:
    r, w = os.pipe()
    os.close(w)
    assert read_frame_fd(r, 1024) is None
    os.close(r)
    r, w = os.pipe()
    frame = encode_frame({"nonce": "x", "pad": "y" * 50})
    os.write(w, frame[:-5])
    os.close(w)
    with pytest.raises(ProtocolFault, match="closed"):
        read_frame_fd(r, 1024)
    os.close(r)


def test_wrong_nonce_is_rejected() -> None:
    frame = encode_frame({"nonce": "stale", "ok": True})
    with pytest.raises(ProtocolFault, match="nonce"):
        decode_body(frame[HEADER_SIZE:], "fresh")


def test_size_cap_and_magic() -> None:
    frame = encode_frame({"nonce": "n", "blob": "z" * 5000})
    with pytest.raises(ProtocolFault, match="exceeds the cap"):
        parse_header(frame[:HEADER_SIZE], 1000)
    assert parse_header(frame[:HEADER_SIZE], 10_000) == len(frame) - HEADER_SIZE
    with pytest.raises(ProtocolFault, match="magic"):
        parse_header(b"RESU" + frame[4:HEADER_SIZE], 10_000)


def test_printed_text_is_not_a_frame() -> None:
    with pytest.raises(ProtocolFault):
        parse_header(b'{"ok": t', 10_000)
    with pytest.raises(ProtocolFault, match="not JSON"):
        decode_body(b"not json", None)
    with pytest.raises(ProtocolFault, match="JSON object"):
        decode_body(b"[1, 2]", None)


def test_non_json_message_is_a_fault() -> None:
    with pytest.raises(ProtocolFault, match="JSON-serialisable"):
        encode_frame({"nonce": "n", "value": {1, 2}})
