"""A cancelled caller's prover work stops, including work its threads start after the cancel."""

from __future__ import annotations

import asyncio
import contextvars
import sys
import threading
import time

import pytest

from scillm.integrations.certainly.checkers import prover_sandbox
from scillm.integrations.certainly.checkers.faults import ProcessDiedError
from scillm.integrations.certainly.checkers.prover_sandbox import Launch
from scillm.integrations.certainly.checkers.session import ProverProcess, tracking_provers

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
LAUNCH = Launch(argv=SLEEPER, cwd="/", env={}, sandboxed=False)


def test_a_prover_read_after_the_cancel_is_killed_at_once() -> None:
    with tracking_provers() as in_flight:
        in_flight.kill_all()
        proc = ProverProcess(SLEEPER)
        proc.spawn()
        started = time.monotonic()
        with pytest.raises(ProcessDiedError, match="cancelled"):
            proc.read_until(lambda buf: False, time.monotonic() + 60)
        assert not proc.alive()
        assert time.monotonic() - started < 30


def test_a_batch_run_started_after_the_cancel_is_killed_and_fails() -> None:
    with tracking_provers() as in_flight:
        in_flight.kill_all()
        result = prover_sandbox.run(LAUNCH, timeout_s=60)
    assert result.rc != 0 and not result.timed_out


async def test_a_worker_thread_inherits_the_cancel() -> None:
    def late_check() -> prover_sandbox.RunResult:
        return prover_sandbox.run(LAUNCH, timeout_s=60)

    with tracking_provers() as in_flight:
        in_flight.kill_all()
        result = await asyncio.to_thread(late_check)
    assert result.rc != 0


def test_a_running_batch_prover_is_killed_by_the_cancel() -> None:
    with tracking_provers() as in_flight:
        box: list[prover_sandbox.RunResult] = []
        ctx = contextvars.copy_context()
        worker = threading.Thread(target=ctx.run, args=(lambda: box.append(prover_sandbox.run(
            LAUNCH, timeout_s=60)),))
        started = time.monotonic()
        worker.start()
        in_flight.kill_all()
        worker.join(30)
    assert box and box[0].rc != 0 and not box[0].timed_out
    assert time.monotonic() - started < 30
