"""`RedisJobStore`: the `JobStore` promises kept in Redis, for a bridge whose jobs must outlive its disk.

Keys live under one prefix per bridge (`scillm:bridge:<engine>:<port>:` by
default; one server per prefix, since opening the store marks that prefix's
unfinished jobs `server_restarted`):

- `job:<id>` hash: status, total, completed, created, finished, error, reply, bytes
- `res:<id>` hash index -> result JSON (`HSETNX`: the first result per index wins)
- `ev:<id>` list of indexes in finishing order (the sequence numbers of events)
- `unfinished` set, `finished` sorted set (by finish time), `bytes` counter

Each change is one MULTI/EXEC transaction. Finished jobs also get a Redis
expiry of `ttl_s`, so they go even when no bridge prunes.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable
from typing import Any

from scillm.bridges.job_store import JobNotFoundError, dumps, refuse_when_full, restarted_error
from scillm.errors import ConfigError
from scillm.remote.schema import BridgeReply, ErrorBody, JobState, JobStatus


def default_prefix(engine: str, port: int) -> str:
    return f"scillm:bridge:{engine}:{port}:"


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode()
    return value if isinstance(value, str) else None


class RedisJobStore:
    """Jobs by id in Redis at `url`, used by one thread at a time."""

    def __init__(self, url: str, *, prefix: str, max_jobs: int, ttl_s: float, max_bytes: int,
                 clock: Callable[[], float] = time.time) -> None:
        try:
            import redis  # noqa: PLC0415  optional dependency (the `redis` extra)
        except ImportError as exc:
            raise ConfigError("a Redis job store was asked for but `redis` is not installed: "
                              "pip install 'scillm[redis]'") from exc
        self.max_jobs = max_jobs
        self.ttl_s = ttl_s
        self.max_bytes = max_bytes
        self._p = prefix
        self._clock = clock
        self._r: Any = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        try:
            self._r.ping()
        except redis.RedisError as exc:
            raise ConfigError(f"the Redis job store at {url} is not reachable: {exc}") from exc
        self.restarted = self._mark_orphans()

    def _k(self, *parts: str) -> str:
        return self._p + ":".join(parts)

    def _mark_orphans(self) -> int:
        orphans = [_text(j) for j in self._r.smembers(self._k("unfinished"))]
        error = dumps(restarted_error().model_dump())
        for job_id in orphans:
            if job_id is not None and self._r.exists(self._k("job", job_id)):
                self._close(job_id, "failed", error=error)
            else:
                self._r.srem(self._k("unfinished"), job_id)
        return len(orphans)

    def close(self) -> None:
        self._r.close()

    def __len__(self) -> int:
        return int(self._r.scard(self._k("unfinished"))) + int(self._r.zcard(self._k("finished")))

    def running_count(self) -> int:
        return int(self._r.scard(self._k("unfinished")))

    def stored_bytes(self) -> int:
        return max(0, int(self._r.get(self._k("bytes")) or 0))

    def _delete(self, job_id: str) -> None:
        nbytes = int(self._r.hget(self._k("job", job_id), "bytes") or 0)
        pipe = self._r.pipeline(transaction=True)
        pipe.delete(self._k("job", job_id), self._k("res", job_id), self._k("ev", job_id))
        pipe.zrem(self._k("finished"), job_id)
        pipe.srem(self._k("unfinished"), job_id)
        pipe.decrby(self._k("bytes"), nbytes)
        pipe.execute()

    def prune(self) -> None:
        """Drop expired finished jobs, then the oldest finished ones while over the count or byte budget."""
        for job_id in self._r.zrangebyscore(self._k("finished"), "-inf", self._clock() - self.ttl_s):
            self._delete(_text(job_id) or "")
        for job_id in self._r.zrange(self._k("finished"), 0, -1):
            if len(self) < self.max_jobs and self.stored_bytes() <= self.max_bytes:
                break
            self._delete(_text(job_id) or "")

    def create(self, total: int) -> str:
        self.prune()
        refuse_when_full(len(self), self.stored_bytes(), max_jobs=self.max_jobs, max_bytes=self.max_bytes)
        job_id = uuid.uuid4().hex
        pipe = self._r.pipeline(transaction=True)
        pipe.hset(self._k("job", job_id), mapping={"status": "queued", "total": total, "completed": 0,
                                                   "created": self._clock(), "bytes": 0})
        pipe.sadd(self._k("unfinished"), job_id)
        pipe.execute()
        return job_id

    def set_status(self, job_id: str, status: JobState) -> None:
        self._r.hset(self._k("job", job_id), "status", status)

    def add_result(self, job_id: str, index: int, result: object) -> int:
        text = dumps(result)
        if self._r.hsetnx(self._k("res", job_id), str(index), text):
            pipe = self._r.pipeline(transaction=True)
            pipe.rpush(self._k("ev", job_id), index)
            pipe.hincrby(self._k("job", job_id), "completed", 1)
            pipe.hincrby(self._k("job", job_id), "bytes", len(text))
            pipe.incrby(self._k("bytes"), len(text))
            return int(pipe.execute()[0])
        return int(self._r.llen(self._k("ev", job_id)))

    def _close(self, job_id: str, status: str, *, reply: str | None = None, error: str | None = None) -> None:
        key = self._k("job", job_id)
        sizes = sum(len(v) for v in self._r.hvals(self._k("res", job_id)))
        size = sizes + len(reply or "")
        old = int(self._r.hget(key, "bytes") or 0)
        finished = self._clock()
        ttl_ms = max(1, math.ceil(self.ttl_s * 1000))
        fields: dict[str, Any] = {"status": status, "finished": finished, "bytes": size,
                                  "completed": self._r.hlen(self._k("res", job_id))}
        pipe = self._r.pipeline(transaction=True)
        pipe.hset(key, mapping=fields)
        cleared = [name for name, value in (("reply", reply), ("error", error)) if value is None]
        if cleared:
            pipe.hdel(key, *cleared)
        for name, value in (("reply", reply), ("error", error)):
            if value is not None:
                pipe.hset(key, name, value)
        pipe.incrby(self._k("bytes"), size - old)
        pipe.srem(self._k("unfinished"), job_id)
        pipe.zadd(self._k("finished"), {job_id: finished})
        for k in (key, self._k("res", job_id), self._k("ev", job_id)):
            pipe.pexpire(k, ttl_ms)
        pipe.execute()

    def finish(self, job_id: str, status: JobState, *, reply: dict[str, Any] | None = None,
               results: list[Any] | None = None, error: ErrorBody | None = None) -> None:
        for index, result in enumerate(results or []):
            if result is not None:
                self.add_result(job_id, index, result)
        stripped = None if reply is None else dumps({k: v for k, v in reply.items() if k != "results"})
        self._close(job_id, status, reply=stripped, error=dumps(error.model_dump()) if error else None)

    def _row(self, job_id: str) -> dict[str, str]:
        raw = self._r.hgetall(self._k("job", job_id))
        if not raw:
            raise JobNotFoundError(job_id)
        return {str(_text(k)): str(_text(v)) for k, v in raw.items()}

    def status(self, job_id: str) -> str:
        return self._row(job_id)["status"]

    def events_after(self, job_id: str, seq: int) -> list[tuple[int, int, Any]]:
        indexes = [int(i) for i in self._r.lrange(self._k("ev", job_id), seq, -1)]
        if not indexes:
            return []
        texts = self._r.hmget(self._k("res", job_id), [str(i) for i in indexes])
        return [(seq + n + 1, i, json.loads(t)) for n, (i, t) in enumerate(zip(indexes, texts, strict=True))
                if t is not None]

    def view(self, job_id: str) -> JobStatus:
        row = self._row(job_id)
        total = int(row["total"])
        results: list[Any] = [None] * total
        for idx, text in self._r.hgetall(self._k("res", job_id)).items():
            i = int(idx)
            if 0 <= i < total:
                results[i] = json.loads(text)
        reply = row.get("reply")
        full = BridgeReply(**{**json.loads(reply), "results": results}) if reply else None
        error = row.get("error")
        return JobStatus(id=job_id, status=row["status"], total=total,  # type: ignore[arg-type]
                         completed=int(row["completed"]), results=results, reply=full,
                         error=ErrorBody(**json.loads(error)) if error else None)


__all__ = ["RedisJobStore", "default_prefix"]
