"""The `JobStore` Protocol: where a bridge keeps jobs and their results (SQLite by default, Redis optional).

Every backend makes the same promises, checked by one contract test run
against each: a result is stored once (per job and index); finished jobs are
dropped after `ttl_s` and, oldest first, while the stored bytes exceed
`max_bytes` or the count reaches `max_jobs`; unfinished jobs are never
evicted, and a new job is refused (`BusyError`) when they alone fill the
budget; a job left queued or running by a server that stopped becomes
`failed` with the error type `server_restarted` when the store is opened
again, so its id never answers 404. Methods block; the bridge calls them
through `job_access.AsyncJobStore`, off the event loop.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from scillm.bridges.admission import BusyError
from scillm.errors import JobNotFoundError
from scillm.remote.schema import ErrorBody, JobState, JobStatus

FINAL: frozenset[str] = frozenset({"done", "failed", "timeout", "cancelled"})
UNFINISHED: frozenset[str] = frozenset({"queued", "running"})


def dumps(value: object) -> str:
    """Compact JSON that refuses NaN/infinity (what a stored result must be)."""
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


def restarted_error() -> ErrorBody:
    """The error of a job whose server stopped before it finished."""
    return ErrorBody(type="server_restarted", message="the server stopped before this job finished; "
                     "results finished before that are kept")


def refuse_when_full(unfinished: int, stored_bytes: int, *, max_jobs: int, max_bytes: int) -> None:
    """BusyError when the jobs left after pruning (all unfinished) fill the count or byte budget."""
    if unfinished >= max_jobs:
        raise BusyError(f"{unfinished} jobs still running; the bridge keeps at most {max_jobs}")
    if stored_bytes > max_bytes:
        raise BusyError(f"running jobs hold {stored_bytes} bytes of results; the budget is {max_bytes}")


class JobStore(Protocol):
    """Jobs by id with their results; one instance per bridge, used by one thread at a time."""

    restarted: int
    """How many unfinished jobs opening the store found and marked `server_restarted`."""

    def create(self, total: int) -> str:
        """A new queued job's id; BusyError when unfinished jobs fill the count or byte budget."""
        ...

    def set_status(self, job_id: str, status: JobState) -> None: ...

    def add_result(self, job_id: str, index: int, result: object) -> int:
        """Store one finished result (the first one per index wins); its sequence number."""
        ...

    def finish(self, job_id: str, status: JobState, *, reply: dict[str, Any] | None = None,
               results: list[Any] | None = None, error: ErrorBody | None = None) -> None:
        """Final state; missing results are added, `reply` is kept without its `results`."""
        ...

    def status(self, job_id: str) -> str:
        """The job's state; JobNotFoundError when there is no such job."""
        ...

    def events_after(self, job_id: str, seq: int) -> list[tuple[int, int, Any]]:
        """`(seq, index, result)` finished after sequence number `seq`, in finishing order."""
        ...

    def view(self, job_id: str) -> JobStatus:
        """Status, results (null where unfinished), the reply and the error; JobNotFoundError otherwise."""
        ...

    def running_count(self) -> int: ...

    def stored_bytes(self) -> int: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...


__all__ = ["FINAL", "UNFINISHED", "JobNotFoundError", "JobStore", "dumps", "refuse_when_full", "restarted_error"]
