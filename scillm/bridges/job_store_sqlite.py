"""`SqliteJobStore`, the default `JobStore`: jobs and results in one SQLite file, kept across restarts.

Each result is one row (written when it finishes, so a restart keeps it);
the final payload is stored without its `results`, which are joined back on
read, so nothing is kept twice. Finished jobs older than `ttl_s` are
deleted, and the oldest finished jobs are evicted while the stored bytes
exceed `max_bytes`. A job still queued or running when the store is opened
belonged to a server that stopped: it becomes `failed` with the error type
`server_restarted`, its finished results kept.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scillm.bridges.job_store import JobNotFoundError, dumps, refuse_when_full, restarted_error
from scillm.remote.schema import BridgeReply, ErrorBody, JobState, JobStatus

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, total INTEGER NOT NULL, completed INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL, finished REAL, error TEXT, reply TEXT, bytes INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS results (
    job_id TEXT NOT NULL, idx INTEGER NOT NULL, seq INTEGER NOT NULL, result TEXT NOT NULL,
    PRIMARY KEY (job_id, idx));
CREATE INDEX IF NOT EXISTS results_seq ON results (job_id, seq);
"""


def default_jobs_path(engine: str, port: int) -> str:
    """`~/.local/state/scillm/bridge-<engine>-<port>.sqlite3`; `--jobs-path` chooses another."""
    return str(Path.home() / ".local" / "state" / "scillm" / f"bridge-{engine}-{port}.sqlite3")


class SqliteJobStore:
    """Jobs by id in one SQLite file (or `:memory:`), used by one thread at a time."""

    def __init__(self, path: str, *, max_jobs: int, ttl_s: float, max_bytes: int,
                 clock: Callable[[], float] = time.time) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_jobs = max_jobs
        self.ttl_s = ttl_s
        self.max_bytes = max_bytes
        self._clock = clock
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + _SCHEMA)
        if path != ":memory:":
            os.chmod(path, 0o600)
        self.restarted = self._mark_orphans()

    def _mark_orphans(self) -> int:
        error = dumps(restarted_error().model_dump())
        cur = self._db.execute("UPDATE jobs SET status='failed', error=?, finished=? WHERE status IN "
                               "('queued','running')", (error, self._clock()))
        return cur.rowcount

    def close(self) -> None:
        self._db.close()

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM jobs").fetchone()[0])

    def running_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM jobs WHERE status IN ('queued','running')").fetchone()[0])

    def stored_bytes(self) -> int:
        return int(self._db.execute("SELECT coalesce(sum(bytes), 0) FROM jobs").fetchone()[0])

    def _delete(self, job_id: str) -> None:
        self._db.execute("DELETE FROM results WHERE job_id=?", (job_id,))
        self._db.execute("DELETE FROM jobs WHERE id=?", (job_id,))

    def prune(self) -> None:
        """Drop expired finished jobs, then the oldest finished ones while over the count or byte budget."""
        cutoff = self._clock() - self.ttl_s
        for (job_id,) in self._db.execute("SELECT id FROM jobs WHERE finished IS NOT NULL AND finished < ?",
                                          (cutoff,)).fetchall():
            self._delete(job_id)
        finished = self._db.execute("SELECT id, bytes FROM jobs WHERE status NOT IN ('queued','running') "
                                    "ORDER BY finished").fetchall()
        count, size = len(self), self.stored_bytes()
        for job_id, nbytes in finished:
            if count < self.max_jobs and size <= self.max_bytes:
                break
            self._delete(job_id)
            count, size = count - 1, size - int(nbytes)

    def create(self, total: int) -> str:
        """A new queued job's id; BusyError when the count or byte budget is spent by unfinished jobs."""
        self.prune()
        refuse_when_full(len(self), self.stored_bytes(), max_jobs=self.max_jobs, max_bytes=self.max_bytes)
        job_id = uuid.uuid4().hex
        self._db.execute("INSERT INTO jobs (id, status, total, created) VALUES (?, 'queued', ?, ?)",
                         (job_id, total, self._clock()))
        return job_id

    def set_status(self, job_id: str, status: JobState) -> None:
        self._db.execute("UPDATE jobs SET status=? WHERE id=?", (status, job_id))

    def add_result(self, job_id: str, index: int, result: object) -> int:
        """Store one finished result (once per index); its sequence number for event readers."""
        text = dumps(result)
        seq = int(self._db.execute("SELECT coalesce(max(seq), 0) + 1 FROM results WHERE job_id=?",
                                   (job_id,)).fetchone()[0])
        cur = self._db.execute("INSERT OR IGNORE INTO results (job_id, idx, seq, result) VALUES (?, ?, ?, ?)",
                               (job_id, index, seq, text))
        if cur.rowcount:
            self._db.execute("UPDATE jobs SET completed=completed+1, bytes=bytes+? WHERE id=?", (len(text), job_id))
        return seq

    def finish(self, job_id: str, status: JobState, *, reply: dict[str, Any] | None = None,
               results: list[Any] | None = None, error: ErrorBody | None = None) -> None:
        """Final state; missing `results` rows are added (existing ones kept), `reply` is kept without them."""
        if results is not None:
            for index, result in enumerate(results):
                if result is not None:
                    self.add_result(job_id, index, result)
        stripped = None if reply is None else dumps({k: v for k, v in reply.items() if k != "results"})
        size = int(self._db.execute("SELECT coalesce(sum(length(result)), 0) FROM results WHERE job_id=?",
                                    (job_id,)).fetchone()[0]) + len(stripped or "")
        completed = int(self._db.execute("SELECT count(*) FROM results WHERE job_id=?", (job_id,)).fetchone()[0])
        self._db.execute("UPDATE jobs SET status=?, reply=?, error=?, finished=?, bytes=?, completed=? WHERE id=?",
                         (status, stripped, dumps(error.model_dump()) if error else None, self._clock(), size,
                          completed, job_id))

    def _row(self, job_id: str) -> tuple[Any, ...]:
        row = self._db.execute("SELECT status, total, completed, error, reply FROM jobs WHERE id=?",
                               (job_id,)).fetchone()
        if row is None:
            raise JobNotFoundError(job_id)
        return tuple(row)

    def status(self, job_id: str) -> str:
        return str(self._row(job_id)[0])

    def results(self, job_id: str, total: int) -> list[Any]:
        out: list[Any] = [None] * total
        for idx, text in self._db.execute("SELECT idx, result FROM results WHERE job_id=?", (job_id,)):
            if 0 <= idx < total:
                out[idx] = json.loads(text)
        return out

    def events_after(self, job_id: str, seq: int) -> list[tuple[int, int, Any]]:
        """Results finished after sequence number `seq`, in the order they finished."""
        rows = self._db.execute("SELECT seq, idx, result FROM results WHERE job_id=? AND seq>? ORDER BY seq",
                                (job_id, seq)).fetchall()
        return [(int(s), int(i), json.loads(t)) for s, i, t in rows]

    def view(self, job_id: str) -> JobStatus:
        status, total, completed, error, reply = self._row(job_id)
        results = self.results(job_id, int(total))
        full = None
        if reply is not None:
            full = BridgeReply(**{**json.loads(reply), "results": results})
        return JobStatus(id=job_id, status=status, total=int(total), completed=int(completed), results=results,
                         reply=full, error=ErrorBody(**json.loads(error)) if error else None)


__all__ = ["SqliteJobStore", "default_jobs_path"]
