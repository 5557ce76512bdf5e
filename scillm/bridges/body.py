"""Reading a request body safely: JSON only, size-capped, under a deadline, with bounded values.

Python's `json` accepts `NaN`/`Infinity`, turns `1e999` into infinity,
recurses without bound and refuses huge integers by raising; each of those
would be a 500 later. It also keeps the last of two equal keys, where a proxy
may read the first. Here each is a 4xx at the door instead, and a body that
arrives too slowly (or never completes its Content-Length) is answered 408
and the connection closed.
"""

from __future__ import annotations

import json
import math
from typing import TypeVar, cast

import anyio
from starlette.requests import ClientDisconnect, Request

from scillm import boundedjson
from scillm.boundedjson import JSONValue
from scillm.bridges.http_errors import BridgeHTTPError
from scillm.remote.schema import ErrorDetail

MAX_DEPTH = 64
MAX_INT_DIGITS = 100
INLINE_PARSE_BYTES = 64 * 1024
_T = TypeVar("_T")


def parse_json(raw: bytes) -> JSONValue:
    """The decoded body; 400 when it is not JSON, 422 for values no JSON reply could carry."""
    try:
        return boundedjson.loads(raw, max_depth=MAX_DEPTH, max_int_digits=MAX_INT_DIGITS)
    except boundedjson.JSONRefusedError as exc:
        kind = {"depth": "too_deep", "duplicate": "duplicate_key"}.get(exc.kind, "invalid_number")
        raise BridgeHTTPError(422, kind, str(exc), details=[ErrorDetail(loc="body", msg=str(exc))]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise BridgeHTTPError(400, "invalid_json", f"request body is not valid JSON{where}: {exc}",
                              details=[ErrorDetail(loc="body", msg=str(exc))]) from None


def is_json_type(content_type: str) -> bool:
    """True for `application/json` and `application/*+json`, parameters ignored."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


def require_json(request: Request) -> None:
    """415 unless the body is declared `application/json` (a browser form cannot send that cross-site)."""
    if not is_json_type(request.headers.get("content-type", "")):
        kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        raise BridgeHTTPError(415, "unsupported_media_type",
                              f"send the body as JSON with 'Content-Type: application/json' (got {kind or 'none'!r})")


async def read_body(request: Request, cap: int, timeout_s: float) -> bytes:
    """The whole body, at most `cap` bytes, received within `timeout_s`; else 413 or 408 (connection closed)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise BridgeHTTPError(413, "too_large", f"request body is {declared} bytes; this server accepts at most {cap}",
                              headers={"Connection": "close"})
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > cap:
                    raise BridgeHTTPError(413, "too_large", f"request body exceeds {cap} bytes; split the batch",
                                          headers={"Connection": "close"})
                chunks.append(chunk)
    except TimeoutError:
        raise BridgeHTTPError(408, "request_timeout", f"the request body was not received within {timeout_s:g} s",
                              headers={"Connection": "close"}) from None
    except ClientDisconnect:
        raise BridgeHTTPError(400, "client_closed", "the client closed the connection before sending the body") from None
    return b"".join(chunks)


async def read_json(request: Request, cap: int, timeout_s: float) -> JSONValue:
    """The checked JSON body; a large one is decoded in a worker thread so the event loop keeps answering."""
    require_json(request)
    raw = await read_body(request, cap, timeout_s)
    if len(raw) > INLINE_PARSE_BYTES:
        return await anyio.to_thread.run_sync(parse_json, raw)
    return parse_json(raw)


__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "finite", "is_json_type", "parse_json", "read_body", "read_json", "require_json"]


def finite(value: _T) -> _T:
    """`value` with every NaN/infinite float replaced by null, so a reply can always be encoded.

    The type is kept for the containers a reply is built of; a bare non-finite float becomes None.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else cast("_T", None)
    if isinstance(value, dict):
        return cast("_T", {k: finite(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return cast("_T", [finite(v) for v in value])
    return value
