"""The codeworld bridge over real HTTP with the real sandboxed engine: deadlines, backpressure, jobs."""

from __future__ import annotations

import json
import threading
import time

import anyio
import httpx
import pytest

from scillm.integrations.codeworld.api import arun_items
from tests.bridges.conftest import StartBridge
from tests.bridges.items import CODE_ARGS, FAST, code_item, sleepy_item

pytestmark = pytest.mark.needs_bwrap


def _body(items: list[object], **options: object) -> dict[str, object]:
    return {"items": items, "provider": {"name": "codeworld", "args": CODE_ARGS}, "options": options}


def _wait_running(base: str, n: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while httpx.get(f"{base}/healthz").json()["pool"]["running"] != n:
        assert time.monotonic() < deadline, f"pool never reached running={n}"
        time.sleep(0.05)


def test_same_results_as_direct_and_bad_item_gets_its_own_error(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld").base_url
    wrong = code_item("wrong", "    return x")
    items = [FAST, "not an object", wrong]
    r = httpx.post(f"{base}/bridge", json=_body(items), timeout=60)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["ok", "error", "ok"]
    assert "must be an object" in results[1]["error"]
    direct_payload = anyio.run(lambda: arun_items(items, **CODE_ARGS))
    direct = direct_payload["results"]
    keep = ("index", "item_id", "status", "best_variant", "outputs", "error")
    assert [{k: x[k] for k in keep} for x in results] == [{k: x[k] for k in keep} for x in direct]
    assert {k: r.json()["summary"][k] for k in ("items", "succeeded", "failed")} == direct_payload["summary"]
    assert [x["ranking"][0]["cases_passed"] for x in (results[0], results[2])] == [1, 0]


def test_deadline_gives_504_with_finished_results_and_timeouts(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld").base_url
    r = httpx.post(f"{base}/bridge", json=_body([FAST, sleepy_item("slow", 20)], max_seconds=1.5), timeout=30)
    assert r.status_code == 504
    body = r.json()
    assert body["error"]["type"] == "timeout"
    assert [x["status"] for x in body["results"]] == ["ok", "timeout"]
    assert body["results"][1]["item_id"] == "slow"
    assert body["summary"]["completed"] == 1


def test_full_queue_answers_429_with_retry_after(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld", max_concurrent=1, queue_size=0, retry_after_s=2).base_url
    slow = threading.Thread(target=httpx.post, args=(f"{base}/bridge",),
                            kwargs={"json": _body([sleepy_item("hold", 2)]), "timeout": 30})
    slow.start()
    try:
        _wait_running(base, 1)
        r = httpx.post(f"{base}/bridge", json=_body([FAST]), timeout=30)
        assert r.status_code == 429
        assert r.headers["retry-after"] == "2"
        assert r.json()["error"]["type"] == "busy"
    finally:
        slow.join()
    assert httpx.post(f"{base}/bridge", json=_body([FAST]), timeout=30).status_code == 200


def test_client_disconnect_cancels_the_work(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld", max_concurrent=1).base_url
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{base}/bridge", json=_body([sleepy_item("gone", 30)]), timeout=1.0)
    _wait_running(base, 0, timeout_s=10)
    assert time.monotonic() - started < 15
    assert httpx.post(f"{base}/bridge", json=_body([FAST]), timeout=30).status_code == 200


def test_job_streams_results_then_done(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld").base_url
    r = httpx.post(f"{base}/bridge/jobs", json=_body([sleepy_item("s", 0.5), FAST, "bad"]))
    assert r.status_code == 202
    job = r.json()
    assert r.headers["location"] == job["status_url"]
    events: list[tuple[str, dict[str, object]]] = []
    with httpx.stream("GET", f"{base}{job['events_url']}", timeout=30) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        kind = ""
        for line in stream.iter_lines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                events.append((kind, json.loads(line[5:])))
                if kind == "done":
                    break
    results = [d for k, d in events if k == "result"]
    assert sorted(int(str(d["index"])) for d in results) == [0, 1, 2]
    final = events[-1][1]
    assert final["status"] == "done" and final["completed"] == 3
    status = httpx.get(f"{base}{job['status_url']}").json()
    assert status["status"] == "done"
    assert [x["status"] for x in status["results"]] == ["ok", "ok", "error"]
    assert status["reply"]["results"] == status["results"]


def test_job_status_shows_progress_before_done(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld").base_url
    job = httpx.post(f"{base}/bridge/jobs", json=_body([FAST, sleepy_item("s", 3)])).json()
    deadline = time.monotonic() + 15
    status = httpx.get(f"{base}{job['status_url']}").json()
    while status["completed"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
        status = httpx.get(f"{base}{job['status_url']}").json()
    assert status["status"] == "running"
    assert status["results"][0]["status"] == "ok" and status["results"][1] is None


def test_metrics_count_items_and_successes(start_bridge: StartBridge) -> None:
    base = start_bridge("codeworld").base_url
    httpx.post(f"{base}/bridge", json=_body([FAST, "bad"]), timeout=30)
    text = httpx.get(f"{base}/metrics").text
    assert 'scillm_bridge_items_total{engine="codeworld"} 2' in text
    assert 'scillm_bridge_proved_total{engine="codeworld"} 1' in text
    assert 'scillm_bridge_item_results_total{engine="codeworld",status="error"} 1' in text
    assert 'scillm_bridge_requests_total{engine="codeworld",route="/bridge",code="200"} 1' in text


def test_healthz_reports_the_sandbox(start_bridge: StartBridge) -> None:
    body = httpx.get(f"{start_bridge('codeworld').base_url}/healthz").json()
    assert body["ready"] is True
    assert body["health"]["sandbox"]["backend"] in ("bwrap", "unshare")
