"""JobStore keeps jobs bounded in count and age; running jobs are never evicted."""

from __future__ import annotations

import time

import anyio
import pytest

from scillm.bridges.admission import Admission, BusyError
from scillm.bridges.app import BridgeHTTPError
from scillm.bridges.jobs import JobStore


def test_finished_jobs_are_evicted_before_refusing() -> None:
    async def scenario() -> None:
        store = JobStore(max_jobs=2, ttl_s=3600)
        first = store.create(1)
        second = store.create(1)
        with pytest.raises(BusyError):
            store.create(1)
        first.status, first.finished_at = "done", time.monotonic()
        third = store.create(1)
        with pytest.raises(BridgeHTTPError):
            store.get(first.id)
        assert store.get(second.id) is second and store.get(third.id) is third
        assert store.running_count() == 2

    anyio.run(scenario)


def test_expired_jobs_are_forgotten() -> None:
    async def scenario() -> None:
        store = JobStore(max_jobs=10, ttl_s=0.01)
        job = store.create(2)
        job.status, job.finished_at = "done", time.monotonic()
        await anyio.sleep(0.05)
        store.create(1)
        assert len(store) == 1

    anyio.run(scenario)


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
                async with gate.slot():
                    pass
            release.set()
        assert entered == [1, 1] and gate.snapshot()["running"] == 0

    anyio.run(scenario)
