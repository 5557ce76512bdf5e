"""Admission at the door over real HTTP: refusals need no body, and every place taken is given back."""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx
import pytest

from tests.bridges.conftest import StartBridge
from tests.bridges.items import CODE_ARGS, FAST, sleepy_item

pytestmark = pytest.mark.needs_bwrap


def _body(items: list[Any]) -> dict[str, Any]:
    return {"items": items, "provider": {"name": "codeworld", "args": CODE_ARGS}}


def _pool(base: str) -> dict[str, Any]:
    pool: dict[str, Any] = httpx.get(f"{base}/healthz", timeout=10).json()["pool"]
    return pool


def _wait_pool(base: str, running: int, waiting: int = 0) -> None:
    deadline = time.monotonic() + 60
    while (pool := _pool(base))["running"] != running or pool["waiting"] != waiting:
        assert time.monotonic() < deadline, pool
        time.sleep(0.05)


def test_a_full_bridge_refuses_before_the_body_arrives(start_bridge: StartBridge) -> None:
    bridge = start_bridge("codeworld", max_concurrent=1, queue_size=0)
    base = bridge.base_url
    job = httpx.post(f"{base}/bridge/jobs", json=_body([sleepy_item("hold", 30)]), timeout=30)
    assert job.status_code == 202
    _wait_pool(base, running=1)
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /bridge/complete HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 4000000\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode().lower().split("\r\n")
    assert lines[0].startswith("http/1.1 429"), lines
    assert "connection: close" in lines and any(line.startswith("retry-after: ") for line in lines)
    assert b'"type": "busy"' in body or b'"type":"busy"' in body


def test_places_taken_at_the_door_are_given_back(start_bridge: StartBridge) -> None:
    bridge = start_bridge("codeworld", max_concurrent=2, queue_size=0, max_body_bytes=4096)
    base = bridge.base_url
    refused = [
        httpx.post(f"{base}/bridge/complete", content=b"{not json", headers={"content-type": "application/json"}),
        httpx.post(f"{base}/bridge/complete", json={"items": "not a list"}),
        httpx.post(f"{base}/bridge/complete", json={"items": [FAST], "pad": "x" * 8000}),
        httpx.post(f"{base}/bridge/jobs", json={"items": [FAST], "provider": {"args": {"api_base": "http://x"}}}),
        httpx.post(f"{base}/bridge/complete", content=b"{}", headers={"content-type": "text/plain"}),
    ]
    assert [r.status_code for r in refused] == [400, 422, 413, 422, 415]
    _wait_pool(base, running=0)
    job = httpx.post(f"{base}/bridge/jobs", json=_body([sleepy_item("slow", 3)]), timeout=30)
    assert job.status_code == 202
    _wait_pool(base, running=1)  # the job keeps its place after the 202 went out
    assert httpx.post(f"{base}/bridge/complete", json=_body([FAST]), timeout=60).status_code == 200
    _wait_pool(base, running=1)
    deadline = time.monotonic() + 60
    while httpx.get(f"{base}/bridge/jobs/{job.json()['id']}").json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    _wait_pool(base, running=0)
