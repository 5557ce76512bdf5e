"""The JobStore contract, run against every backend (SQLite and a real redis-server), and admission."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from scillm.bridges.admission import Admission, BusyError
from scillm.bridges.job_store import JobNotFoundError, JobStore
from scillm.bridges.job_store_redis import RedisJobStore
from scillm.bridges.job_store_sqlite import SqliteJobStore


class Clock:
    """A settable wall clock, so expiry is tested without waiting."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


OpenStore = Callable[..., JobStore]


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.needs_redis)])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    """`open_store(max_jobs=..)` opens the backend; calling it again reopens the same data (a restart)."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    clock = Clock()

    def _open(**kw: Any) -> JobStore:
        opts: dict[str, Any] = {"max_jobs": 10, "ttl_s": 3600.0, "max_bytes": 1 << 20, "clock": clock, **kw}
        if url is not None:
            return RedisJobStore(url, prefix="scillm:test:", **opts)
        return SqliteJobStore(str(tmp_path / "jobs.sqlite3"), **opts)

    _open.clock = clock  # type: ignore[attr-defined]
    return _open


def test_finished_jobs_are_evicted_before_refusing(open_store: OpenStore) -> None:
    store = open_store(max_jobs=2)
    first, second = store.create(1), store.create(1)
    with pytest.raises(BusyError):
        store.create(1)
    store.finish(first, "done", results=[{"ok": True}])
    third = store.create(1)
    with pytest.raises(JobNotFoundError):
        store.status(first)
    assert store.status(second) == "queued" and store.status(third) == "queued"
    assert store.running_count() == 2 and len(store) == 2


def test_expired_jobs_are_forgotten_and_running_ones_kept(open_store: OpenStore) -> None:
    store = open_store(ttl_s=60.0)
    done, running = store.create(2), store.create(1)
    store.finish(done, "done", results=[1, 2])
    open_store.clock.now += 61  # type: ignore[attr-defined]
    store.create(1)
    with pytest.raises(JobNotFoundError):
        store.view(done)
    assert store.status(running) == "queued" and len(store) == 2


def test_results_are_stored_once_and_count_against_the_byte_budget(open_store: OpenStore) -> None:
    store = open_store(max_bytes=10_000)
    job = store.create(2)
    big = {"text": "x" * 3000}
    assert store.add_result(job, 0, big) == 1
    assert store.add_result(job, 1, big) == 2
    store.add_result(job, 1, {"text": "a second result for the same index is ignored"})
    store.finish(job, "done", reply={"summary": "s", "results": [big, big]}, results=[big, big])
    assert 6000 < store.stored_bytes() < 6200
    view = store.view(job)
    assert view.results == [big, big] and view.reply is not None and view.reply.results == [big, big]
    assert view.completed == 2 and view.status == "done"
    second = store.create(1)
    store.add_result(second, 0, {"text": "y" * 5000})
    third = store.create(1)  # over budget: the finished job is evicted to make room
    with pytest.raises(JobNotFoundError):
        store.status(job)
    store.add_result(third, 0, {"text": "z" * 6000})
    with pytest.raises(BusyError):  # only unfinished jobs are left, and they are over the budget
        store.create(1)


def test_events_come_in_finishing_order_after_a_cursor(open_store: OpenStore) -> None:
    store = open_store()
    job = store.create(3)
    store.add_result(job, 2, {"i": 2})
    store.add_result(job, 0, {"i": 0})
    events = store.events_after(job, 0)
    assert [(seq, index) for seq, index, _ in events] == [(1, 2), (2, 0)]
    store.add_result(job, 1, {"i": 1})
    assert store.events_after(job, 2) == [(3, 1, {"i": 1})]


def test_a_restart_reports_unfinished_jobs_as_server_restarted(open_store: OpenStore) -> None:
    store = open_store()
    job, queued, done = store.create(2), store.create(1), store.create(1)
    store.set_status(job, "running")
    store.add_result(job, 0, {"status": "proved"})
    store.finish(done, "done", results=[{"status": "proved"}])
    store.close()
    reopened = open_store()
    assert reopened.restarted == 2
    view = reopened.view(job)
    assert view.status == "failed" and view.error is not None and view.error.type == "server_restarted"
    assert view.results == [{"status": "proved"}, None]
    assert reopened.view(queued).status == "failed" and reopened.view(done).status == "done"
    assert reopened.running_count() == 0


def test_unknown_jobs_raise_job_not_found(open_store: OpenStore) -> None:
    store = open_store()
    with pytest.raises(JobNotFoundError):
        store.view("no-such-job")
    with pytest.raises(JobNotFoundError):
        store.status("no-such-job")


def test_admission_refuses_beyond_slots_plus_queue() -> None:
    async def scenario() -> None:
        gate = Admission(max_concurrent=1, queue_size=1)
        release = anyio.Event()
        entered = []

        async def hold() -> None:
            async with gate.slot():
                entered.append(1)
                await release.wait()

        async with anyio.create_task_group() as tg:
            tg.start_soon(hold)
            tg.start_soon(hold)
            await anyio.sleep(0.05)
            assert gate.snapshot()["running"] == 1 and gate.snapshot()["waiting"] == 1
            with pytest.raises(BusyError):
                gate.reserve()
            release.set()
        assert entered == [1, 1] and gate.snapshot()["running"] == 0

    anyio.run(scenario)


def test_reserving_is_immediate_and_released_once() -> None:
    gate = Admission(max_concurrent=1, queue_size=0)
    held = gate.reserve()
    with pytest.raises(BusyError):
        gate.reserve()
    held.release()
    held.release()
    assert gate.snapshot()["waiting"] == 0
    gate.reserve()
