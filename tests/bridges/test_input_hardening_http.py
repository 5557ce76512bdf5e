"""Every hostile input gets a 4xx in the documented shape, never a 500 (real HTTP, no engine work needed)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.bridges.conftest import StartBridge, not_built

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for the module: plain HTTP on loopback, so no CA bundle is loaded per request."""
    with httpx.Client(verify=False) as client:
        yield client


@pytest.fixture
def bridge(start_bridge: StartBridge) -> str:
    return start_bridge("certainly", engine_loader=not_built, body_timeout_s=2.0).base_url


def _shape(r: httpx.Response) -> dict[str, object]:
    body = r.json()
    assert set(body) == {"error"} and {"type", "message", "details"} <= set(body["error"]), body
    error: dict[str, object] = body["error"]
    return error


@pytest.mark.parametrize("raw", [
    b'{"items": [1], "provider": {"args": {"temperature": NaN}}}',
    b'{"items": [1], "provider": {"args": {"temperature": Infinity}}}',
    b'{"items": [1], "options": {"max_seconds": -Infinity}}',
    b'{"items": [1], "provider": {"args": {"temperature": 1e999}}}',
    b'{"items": [' + b"1" * 5000 + b"]}",
    b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"items": [' + b'{"a":' * 200 + b"1" + b"}" * 200 + b"]}",
])
def test_unencodable_or_unbounded_json_is_422(http: httpx.Client, bridge: str, raw: bytes) -> None:
    for route in ("/bridge/complete", "/bridge/jobs", "/prove"):
        r = http.post(f"{bridge}{route}", content=raw, headers=JSON)
        assert r.status_code == 422, (route, r.text[:300])
        assert _shape(r)["type"] in {"invalid_number", "too_deep"}


def test_framework_errors_use_the_documented_shape(http: httpx.Client, bridge: str) -> None:
    missing = http.get(f"{bridge}/no/such/route")
    assert missing.status_code == 404 and _shape(missing)["type"] == "not_found"
    wrong_method = http.get(f"{bridge}/bridge/complete")
    assert wrong_method.status_code == 405 and _shape(wrong_method)["type"] == "method_not_allowed"
    big = http.post(f"{bridge}/bridge/complete", content=b"[" + b"1," * 5_000_000 + b"1]", headers=JSON)
    assert big.status_code == 413 and _shape(big)["type"] == "too_large"


@pytest.mark.parametrize("kind", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None])
def test_only_json_bodies_are_accepted(http: httpx.Client, bridge: str, kind: str | None) -> None:
    headers = {"Content-Type": kind} if kind else {}
    for route in ("/bridge/complete", "/bridge/jobs", "/prove", "/bridge"):
        r = http.post(f"{bridge}{route}", content=b'{"items": [1]}', headers=headers)
        assert r.status_code == 415 and _shape(r)["type"] == "unsupported_media_type", (route, r.text)


@pytest.mark.parametrize("host", ["evil.example", "attacker.test:8787", "127.0.0.1.nip.io"])
def test_host_header_must_be_a_loopback_name(http: httpx.Client, bridge: str, host: str) -> None:
    r = http.get(f"{bridge}/healthz", headers={"Host": host})
    assert r.status_code == 421 and _shape(r)["type"] == "misdirected_request"
    r = http.post(f"{bridge}/bridge/complete", json={"items": [1]}, headers={"Host": host})
    assert r.status_code == 421
    assert http.get(f"{bridge}/healthz", headers={"Host": "localhost"}).status_code in (200, 503)


def _raw(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _read_until_closed(sock: socket.socket, limit_s: float) -> tuple[bytes, float]:
    started, data = time.monotonic(), b""
    sock.settimeout(limit_s)
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data, time.monotonic() - started
        data += chunk


def test_short_content_length_body_is_answered_408_and_closed(bridge: str) -> None:
    sock = _raw(bridge)
    sock.sendall(b"POST /bridge/complete HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n{}")
    data, waited = _read_until_closed(sock, 10)
    sock.close()
    assert data.startswith(b"HTTP/1.1 408"), data[:200]
    assert waited < 6


def test_slow_loris_body_is_cut_at_the_deadline(bridge: str) -> None:
    sock = _raw(bridge)
    sock.sendall(b"POST /bridge/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n")
    started = time.monotonic()
    answer, closed = b"", False
    sock.settimeout(1.0)
    while time.monotonic() - started < 10 and not closed:
        try:
            sock.sendall(b" ")
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:  # reset after the 408: the server closed the connection
            closed = True
            break
        answer += chunk
        closed = not chunk
    sock.close()
    assert closed, "the connection was held open"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 6


def test_bodies_are_documented_in_openapi(http: httpx.Client, start_bridge: StartBridge) -> None:
    base = start_bridge("certainly", engine_loader=not_built, token="t").base_url
    assert http.get(f"{base}/openapi.json").status_code == 401
    assert http.get(f"{base}/docs").status_code == 404
    spec = http.get(f"{base}/openapi.json", headers={"Authorization": "bearer t"}).json()
    for path in ("/bridge/complete", "/bridge", "/bridge/jobs", "/prove"):
        ref = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.rsplit("/", 1)[-1] in spec["components"]["schemas"]
    assert "options" in spec["components"]["schemas"]["BridgeRequest"]["properties"]
    assert "theorem_statement" in spec["components"]["schemas"]["ProveRequest"]["properties"]


def test_uvicorn_limits_are_set() -> None:
    from scillm.bridges.serve import uvicorn_config
    from scillm.bridges.settings import BridgeSettings

    config = uvicorn_config(BridgeSettings(engine="certainly"), object())
    assert config.limit_concurrency and config.timeout_keep_alive and config.timeout_graceful_shutdown  # type: ignore[attr-defined]


@pytest.mark.needs_bwrap
def test_a_nan_codeworld_result_is_still_a_reply(http: httpx.Client, start_bridge: StartBridge) -> None:
    from tests.bridges.items import CODE_ARGS, code_item

    base = start_bridge("codeworld").base_url
    item = code_item("nan", "    return float('nan')", expected=2)
    inf = code_item("inf", "    return float('inf')", expected=2)
    r = http.post(f"{base}/bridge/complete", json={"items": [item, inf], "provider": {"args": CODE_ARGS}},
                   timeout=60)
    assert r.status_code < 500, r.text
    assert len(r.json()["results"]) == 2
