"""Length-prefixed JSON frames on dedicated pipes, with nonces and size caps.

Shared by the host and by the worker inside the sandbox, so it imports the
standard library only. A frame is `MAGIC + 4-byte big-endian length + JSON`.
Every request carries a fresh nonce that the reply must echo: a stale or
forged reply is a protocol fault, never a result. User code never sees these
pipes (its stdout goes to a file), so printing cannot forge a frame.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
from typing import Any

MAGIC = b"CWF1"
_HEADER = struct.Struct(">4sI")
HEADER_SIZE = _HEADER.size
REQUEST_CAP_BYTES = 16 * 1024 * 1024
"""Largest request (code plus case input) a worker accepts."""


class ProtocolFault(Exception):
    """A frame was malformed, oversized, truncated or carried the wrong nonce."""


def new_nonce() -> str:
    """A fresh unguessable request id."""
    return secrets.token_hex(16)


def encode_frame(obj: dict[str, Any]) -> bytes:
    """Serialise one message; raises ProtocolFault for non-JSON content."""
    try:
        body = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ProtocolFault(f"message is not JSON-serialisable: {exc}") from exc
    return _HEADER.pack(MAGIC, len(body)) + body


def parse_header(header: bytes, cap_bytes: int) -> int:
    """Body length announced by a header, after checking the magic and the cap."""
    if len(header) != HEADER_SIZE:
        raise ProtocolFault(f"truncated header ({len(header)} bytes)")
    magic, length = _HEADER.unpack(header)
    if magic != MAGIC:
        raise ProtocolFault(f"bad frame magic {magic!r}")
    if length > cap_bytes:
        raise ProtocolFault(f"frame of {length} bytes exceeds the cap of {cap_bytes}")
    return int(length)


def decode_body(body: bytes, nonce: str | None) -> dict[str, Any]:
    """Parse a frame body; when `nonce` is given the body must echo it."""
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolFault(f"frame body is not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise ProtocolFault("frame body is not a JSON object")
    if nonce is not None and obj.get("nonce") != nonce:
        raise ProtocolFault("reply nonce does not match the request")
    return obj


def write_frame_fd(fd: int, obj: dict[str, Any]) -> None:
    """Blocking write of one whole frame to a pipe."""
    view = memoryview(encode_frame(obj))
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exact_fd(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            if remaining == size:
                return None
            raise ProtocolFault(f"pipe closed after {size - remaining} of {size} bytes")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame_fd(fd: int, cap_bytes: int, nonce: str | None = None) -> dict[str, Any] | None:
    """Blocking read of one frame; None on a clean end of file before any byte."""
    header = _read_exact_fd(fd, HEADER_SIZE)
    if header is None:
        return None
    length = parse_header(header, cap_bytes)
    body = _read_exact_fd(fd, length) if length else b""
    if body is None:
        raise ProtocolFault("pipe closed before the frame body")
    return decode_body(body, nonce)


__all__ = [
    "HEADER_SIZE",
    "MAGIC",
    "REQUEST_CAP_BYTES",
    "ProtocolFault",
    "decode_body",
    "encode_frame",
    "new_nonce",
    "parse_header",
    "read_frame_fd",
    "write_frame_fd",
]
