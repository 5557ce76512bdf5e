"""Jobs keep their word over real HTTP: a 202 holds its slot, restarts are reported, shutdown is bounded."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.bridges.conftest import StartBridge
from tests.bridges.items import CODE_ARGS, FAST, sleepy_item

pytestmark = pytest.mark.needs_bwrap
ROOT = Path(__file__).resolve().parents[2]


def _body(items: list[Any]) -> dict[str, Any]:
    return {"items": items, "provider": {"name": "codeworld", "args": CODE_ARGS}}


def _wait_final(base: str, job_id: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status: dict[str, Any] = httpx.get(f"{base}/bridge/jobs/{job_id}", timeout=10).json()
        if status["status"] in ("done", "failed", "timeout", "cancelled"):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.1)


def test_concurrent_job_submissions_never_overbook(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld", max_concurrent=4, queue_size=16).base_url

    async def submit() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            return list(await asyncio.gather(*(client.post("/bridge/jobs", json=_body([sleepy_item(f"j{i}", 0.3)]))
                                               for i in range(40))))

    replies = asyncio.run(submit())
    codes = sorted(r.status_code for r in replies)
    assert codes.count(202) == 20 and codes.count(429) == 20, codes
    assert all(int(r.headers["retry-after"]) >= 1 for r in replies if r.status_code == 429)
    finals = [_wait_final(base, r.json()["id"]) for r in replies if r.status_code == 202]
    assert [f["status"] for f in finals] == ["done"] * 20
    assert all(f["results"][0]["status"] == "ok" for f in finals)


def test_retry_after_follows_the_queue(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld", max_concurrent=1, queue_size=3, retry_after_s=1).base_url
    for i in range(2):
        httpx.post(f"{base}/bridge/complete", json=_body([sleepy_item(f"warm{i}", 2)]), timeout=60)
    holders = [threading.Thread(target=httpx.post, args=(f"{base}/bridge/complete",),
                                kwargs={"json": _body([sleepy_item(f"h{i}", 2)]), "timeout": 60}) for i in range(4)]
    for t in holders:
        t.start()
    try:
        deadline = time.monotonic() + 20
        while True:
            pool = httpx.get(f"{base}/healthz").json()["pool"]
            if pool["running"] + pool["waiting"] == 4:
                break
            assert time.monotonic() < deadline, pool
            time.sleep(0.05)
        r = httpx.post(f"{base}/bridge/complete", json=_body([FAST]), timeout=60)
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 4, r.headers  # four places ahead, ~2 s each, one slot
    finally:
        for t in holders:
            t.join()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn(port: int, jobs: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "scillm.bridges.codeworld", "--port", str(port),
                             "--job-store", jobs], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return proc
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes], sig: int) -> None:
    os.killpg(proc.pid, sig)
    proc.wait(timeout=30)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=pytest.mark.needs_redis)])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_restart_reports_the_job_as_server_restarted_never_404(
        tmp_path: Path, sig: int, backend: str, request: pytest.FixtureRequest) -> None:
    port = _free_port()
    jobs = request.getfixturevalue("redis_url") if backend == "redis" else str(tmp_path / "jobs.sqlite3")
    base = f"http://127.0.0.1:{port}"
    proc = _spawn(port, jobs)
    try:
        job = httpx.post(f"{base}/bridge/jobs", json=_body([FAST, sleepy_item("long", 60)]), timeout=30).json()
        deadline = time.monotonic() + 30
        while httpx.get(f"{base}/bridge/jobs/{job['id']}").json()["completed"] < 1:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        started = time.monotonic()
        _stop(proc, sig)
        assert time.monotonic() - started < 20, "shutdown must not wait for the job"
        proc = _spawn(port, jobs)
        status = httpx.get(f"{base}/bridge/jobs/{job['id']}")
        assert status.status_code == 200
        body = status.json()
        assert body["status"] == "failed" and body["error"]["type"] == "server_restarted"
        assert body["results"][0]["status"] == "ok" and body["results"][1] is None
    finally:
        if proc.poll() is None:
            _stop(proc, signal.SIGKILL)


def test_shutdown_with_a_job_streaming_is_bounded(start_bridge: StartBridge) -> None:
    bridge = start_bridge("codeworld", timeout_graceful_shutdown_s=2)
    job = httpx.post(f"{bridge.base_url}/bridge/jobs", json=_body([sleepy_item("long", 60)])).json()

    def follow() -> None:
        try:
            with httpx.stream("GET", f"{bridge.base_url}{job['events_url']}", timeout=120) as stream:
                for _ in stream.iter_lines():
                    pass
        except httpx.HTTPError:
            pass

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    time.sleep(0.5)  # let the reader connect; the bound below does not depend on it
    started = time.monotonic()
    bridge.close()
    assert time.monotonic() - started < 10
    reader.join(timeout=10)
    assert not reader.is_alive()
