"""JobStore keeps jobs bounded in count, bytes and age; running jobs are never evicted; restarts are reported."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest

from scillm.bridges.admission import Admission, BusyError
from scillm.bridges.job_store import JobNotFound, JobStore


def _store(path: Path, **kw: object) -> JobStore:
    opts: dict[str, object] = {"max_jobs": 10, "ttl_s": 3600.0, "max_bytes": 1 << 20, **kw}
    return JobStore(str(path / "jobs.sqlite3"), **opts)  # type: ignore[arg-type]


def test_finished_jobs_are_evicted_before_refusing(tmp_path: Path) -> None:
    store = _store(tmp_path, max_jobs=2)
    first, second = store.create(1), store.create(1)
    with pytest.raises(BusyError):
        store.create(1)
    store.finish(first, "done", results=[{"ok": True}])
    third = store.create(1)
    with pytest.raises(JobNotFound):
        store.status(first)
    assert store.status(second) == "queued" and store.status(third) == "queued"
    assert store.running_count() == 2


def test_expired_jobs_are_forgotten(tmp_path: Path) -> None:
    store = _store(tmp_path, ttl_s=0.01)
    job = store.create(2)
    store.finish(job, "done", results=[1, 2])
    time.sleep(0.05)
    store.create(1)
    assert len(store) == 1


def test_results_are_stored_once_and_count_against_the_byte_budget(tmp_path: Path) -> None:
    store = _store(tmp_path, max_bytes=10_000)
    job = store.create(2)
    big = {"text": "x" * 3000}
    store.add_result(job, 0, big)
    store.add_result(job, 1, big)
    store.finish(job, "done", reply={"summary": "s", "results": [big, big]}, results=[big, big])
    assert 6000 < store.stored_bytes() < 6200
    view = store.view(job)
    assert view.results == [big, big] and view.reply is not None and view.reply.results == [big, big]
    second = store.create(1)
    store.add_result(second, 0, {"text": "y" * 5000})
    third = store.create(1)  # over budget: the finished job is evicted to make room
    with pytest.raises(JobNotFound):
        store.status(job)
    store.add_result(third, 0, {"text": "z" * 6000})
    with pytest.raises(BusyError):  # only unfinished jobs are left, and they are over the budget
        store.create(1)


def test_a_restart_reports_unfinished_jobs_as_server_restarted(tmp_path: Path) -> None:
    store = _store(tmp_path)
    job = store.create(2)
    store.set_status(job, "running")
    store.add_result(job, 0, {"status": "proved"})
    store.close()
    reopened = _store(tmp_path)
    view = reopened.view(job)
    assert view.status == "failed" and view.error is not None and view.error.type == "server_restarted"
    assert view.results == [{"status": "proved"}, None]


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
