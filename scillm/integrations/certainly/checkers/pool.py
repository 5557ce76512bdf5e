"""A warm session pool keyed by header, generic over the `Session` protocol.

Loading a header costs 0.2-0.6 s per coqtop while a check costs milliseconds,
so sessions are kept per header and reused. Rules (as in Kimina's manager):
at most `size` sessions in all (default: `CERTAINLY_POOL_SIZE`, else the core
count); an idle session of the wanted header is reused; when full, the least
recently used idle session of another header is evicted; when every session
is busy, callers wait until `wait_s` and then get `PoolBusyError`. A session
that comes back unhealthy (timeout, crash), used `recycle_after` times, or
above `max_rss_bytes` (read every `rss_every` uses; `RLIMIT_AS` bounds a
single check) is closed and replaced by a spare started in the
background. `prewarm(key, n)` starts spares ahead of time. See
`checkers/session.py` for how to plug a new prover in.

The pool is thread-based: sessions do blocking I/O, async callers go through
`asyncio.to_thread`, and the same pool serves any number of event loops.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from scillm.errors import ScillmError
from scillm.integrations.certainly.checkers.session import Session

S = TypeVar("S", bound=Session)


class PoolBusyError(ScillmError, TimeoutError):
    """Every session stayed busy until the caller's wait deadline; retry later or raise the pool size."""


class PoolClosedError(ScillmError, RuntimeError):
    """The pool was closed; build a new checker."""


def default_pool_size() -> int:
    """The number of cores (at least 1); an engine passes its settings' `pool_size` instead."""
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class PoolConfig:
    """Pool limits; `size=None` means `default_pool_size()`."""

    size: int | None = None
    recycle_after: int = 5000
    max_rss_bytes: int | None = 2 << 30
    wait_s: float = 120.0
    rss_every: int = 8
    """Read RSS after the first use and every this many uses (reading /proc costs a check's tenth)."""


class SessionPool(Generic[S]):
    """Warm sessions keyed by header, leased to one user at a time."""

    def __init__(self, factory: Callable[[str], S], config: PoolConfig | None = None) -> None:
        self.factory = factory
        self.config = config or PoolConfig()
        self.size = self.config.size or default_pool_size()
        self._cond = threading.Condition()
        self._idle: OrderedDict[int, S] = OrderedDict()
        self._busy: dict[int, S] = {}
        self._starting = 0
        self._threads: set[threading.Thread] = set()
        self._closed = False
        self.started = 0
        self.retired = 0

    def _total(self) -> int:
        return len(self._idle) + len(self._busy) + self._starting

    @contextlib.contextmanager
    def lease(self, key: str, wait_s: float | None = None) -> Iterator[S]:
        """Hold a started session for `key`; it goes back to the pool (or is retired) on exit."""
        session = self.acquire(key, wait_s)
        try:
            yield session
        finally:
            self.release(session)

    def acquire(self, key: str, wait_s: float | None = None) -> S:
        deadline = time.monotonic() + (self.config.wait_s if wait_s is None else wait_s)
        evicted: S | None = None
        with self._cond:
            while True:
                if self._closed:
                    raise PoolClosedError("session pool is closed")
                found = self._take_idle(key)
                if found is not None:
                    return found
                if self._total() < self.size:
                    self._starting += 1
                    break
                if self._idle:
                    _, evicted = self._idle.popitem(last=False)
                    self._starting += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PoolBusyError(f"all {self.size} sessions busy for {wait_s or self.config.wait_s:.0f} s")
                self._cond.wait(left)
        if evicted is not None:
            self._retire(evicted)
        return self._start_reserved(key, lease=True)

    def _take_idle(self, key: str) -> S | None:
        while True:
            sid = next((k for k in reversed(self._idle) if self._idle[k].key == key), None)
            if sid is None:
                return None
            session = self._idle.pop(sid)
            if session.healthy():
                self._busy[sid] = session
                return session
            self._retire(session)

    def _start_reserved(self, key: str, *, lease: bool) -> S:
        """Start a session in a slot already counted in `_starting`."""
        try:
            session = self.factory(key)
            session.start()
        except BaseException:
            with self._cond:
                self._starting -= 1
                self._cond.notify_all()
            raise
        with self._cond:
            self._starting -= 1
            self.started += 1
            if self._closed:
                self._cond.notify_all()
                closed = True
            else:
                closed = False
                if lease:
                    self._busy[id(session)] = session
                else:
                    self._idle[id(session)] = session
                self._cond.notify_all()
        if closed:
            session.close()
            raise PoolClosedError("session pool is closed")
        return session

    def release(self, session: S) -> None:
        session.uses += 1
        sample = session.uses == 1 or session.uses % max(1, self.config.rss_every) == 0
        rss = session.rss_bytes() if self.config.max_rss_bytes and sample else None
        retire = (
            not session.healthy()
            or session.uses >= self.config.recycle_after
            or (rss is not None and self.config.max_rss_bytes is not None and rss > self.config.max_rss_bytes)
        )
        with self._cond:
            self._busy.pop(id(session), None)
            if not retire and not self._closed:
                self._idle[id(session)] = session
            self._cond.notify_all()
        if retire or self._closed:
            self._retire(session)
            if not self._closed:
                self.prewarm(session.key, 1)

    def _retire(self, session: S) -> None:
        with contextlib.suppress(Exception):
            session.close()
        with self._cond:
            self.retired += 1

    def prewarm(self, key: str, n: int = 1) -> None:
        """Start up to `n` spare sessions for `key` in the background, within the size cap."""
        for _ in range(n):
            with self._cond:
                if self._closed or self._total() >= self.size:
                    return
                self._starting += 1
            thread = threading.Thread(target=contextvars.copy_context().run, args=(self._spare, key), daemon=True)
            with self._cond:
                self._threads.add(thread)
            thread.start()

    def _spare(self, key: str) -> None:
        with contextlib.suppress(Exception):
            self._start_reserved(key, lease=False)
        with self._cond:
            self._threads.discard(threading.current_thread())

    def wait_idle(self, timeout_s: float = 60.0) -> None:
        """Block until no spare is being started (tests and benchmarks use this)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._starting and time.monotonic() < deadline:
                self._cond.wait(0.05)

    def sessions(self) -> list[S]:
        with self._cond:
            return list(self._idle.values()) + list(self._busy.values())

    def stats(self) -> dict[str, int]:
        with self._cond:
            return {
                "size": self.size,
                "idle": len(self._idle),
                "busy": len(self._busy),
                "starting": self._starting,
                "started": self.started,
                "retired": self.retired,
            }

    def close(self) -> None:
        """Stop every session; sessions still leased are stopped when released."""
        with self._cond:
            self._closed = True
            idle = list(self._idle.values())
            self._idle.clear()
            threads = list(self._threads)
            self._cond.notify_all()
        for s in idle:
            self._retire(s)
        for t in threads:
            t.join(timeout=30)


__all__ = ["PoolBusyError", "PoolClosedError", "PoolConfig", "SessionPool", "default_pool_size"]
