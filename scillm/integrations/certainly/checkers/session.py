"""A prover process and the Session protocol the pool manages.

How to reuse this for another prover (the Lean REPL, say):

1. Write a class with the `Session` attributes and methods below. Its
   `start()` spawns a `ProverProcess` (own process group, `RLIMIT_AS`, stdout
   and stderr merged into one pipe) and loads the header named by `key`; its
   own request method writes one request and calls `read_until` with a
   deadline. On `ProcessTimeoutError`/`ProcessDiedError`/`OutputTooLargeError` the session
   kills its process and sets `broken`, so `healthy()` turns False.
2. Build a `SessionPool(factory=lambda key: MySession(key, ...))`; checks do
   `with pool.lease(key, wait_s=...) as session: ...`. The pool replaces
   sessions that are unhealthy, used `recycle_after` times, or above the RSS
   cap, evicts the least recently used idle session when full, and keeps
   spare sessions started in the background.

Everything here is blocking and thread-safe per session (one user at a time,
enforced by the pool), so it works under any event loop via `asyncio.to_thread`.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import resource
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, runtime_checkable

from scillm.integrations.certainly.checkers.faults import (
    OutputTooLargeError,
    ProcessDiedError,
    ProcessTimeoutError,
)


@runtime_checkable
class Session(Protocol):
    """One warm prover process with a header loaded, used by one check at a time."""

    key: str
    uses: int

    def start(self) -> None:
        """Spawn the process and load the header; raise on failure."""
        ...

    def close(self) -> None:
        """Kill the process group; safe to call twice."""
        ...

    def healthy(self) -> bool:
        """Alive and not marked broken by a timeout, crash or protocol fault."""
        ...

    def rss_bytes(self) -> int | None:
        """Resident memory of the process, or None when unknown."""
        ...


class Killable(Protocol):
    def kill(self) -> None: ...


class InFlight:
    """The prover processes answering requests made in one caller's context, so that caller can stop them.

    Cancellation is sticky: once `kill_all()` ran, a prover that a worker
    thread starts or reads from later in this context is killed on the spot,
    so no check outlives the request that asked for it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: set[Killable] = set()
        self._closed = False

    @property
    def cancelled(self) -> bool:
        return self._closed

    def add(self, proc: Killable) -> bool:
        """Track `proc`; False (and `proc` killed) when this context was already cancelled."""
        with self._lock:
            if not self._closed:
                self._procs.add(proc)
                return True
        proc.kill()
        return False

    def discard(self, proc: Killable) -> None:
        with self._lock:
            self._procs.discard(proc)

    def kill_all(self) -> int:
        """Kill every process still answering; the waiting check sees it die and its session is retired."""
        with self._lock:
            self._closed = True
            procs = list(self._procs)
            self._procs.clear()
        for proc in procs:
            proc.kill()
        return len(procs)


_IN_FLIGHT: contextvars.ContextVar[InFlight | None] = contextvars.ContextVar("scillm_prover_in_flight", default=None)


def track(proc: Killable) -> Callable[[], None]:
    """Register `proc` with the caller's tracker until the returned function is called; raise if already cancelled.

    For a prover that outlives the call that started it (a verdict prover
    started while the search runs): cancelling that request still kills it.
    """
    tracker = _IN_FLIGHT.get()
    if tracker is None:
        return lambda: None
    if not tracker.add(proc):
        raise ProcessDiedError("the request that needed this prover was cancelled")
    return lambda: tracker.discard(proc)


@contextlib.contextmanager
def tracked(proc: Killable) -> Iterator[None]:
    """Register `proc` with the caller's tracker for the duration; raise if the caller was already cancelled."""
    untrack = track(proc)
    try:
        yield
    finally:
        untrack()


@contextlib.contextmanager
def tracking_provers() -> Iterator[InFlight]:
    """Record the provers that serve requests made in this context (threads from `asyncio.to_thread` included).

    A cancelled caller (a client that went away, a deadline) kills exactly its
    own in-flight prover work with `kill_all()` instead of leaving it running
    in a thread.
    """
    tracker = InFlight()
    token = _IN_FLIGHT.set(tracker)
    try:
        yield tracker
    finally:
        _IN_FLIGHT.reset(token)


class ProverProcess:
    """A child in its own process group, with a memory cap and one merged output pipe."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: str | None = None,
        mem_bytes: int | None = None,
        env: dict[str, str] | None = None,
        max_output_bytes: int = 32 << 20,
    ) -> None:
        self.argv = list(argv)
        self.cwd = cwd
        self.mem_bytes = mem_bytes
        self.env = env
        self.max_output_bytes = max_output_bytes
        self._proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        self._proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
            env=self.env,
            start_new_session=True,
            bufsize=0,
            preexec_fn=self._limit_memory if self.mem_bytes else None,
        )

    def _limit_memory(self) -> None:
        """Runs in the child before exec, so the prover (and anything it starts) is capped from the start."""
        limit = int(self.mem_bytes or 0)
        with contextlib.suppress(OSError, ValueError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def write(self, data: bytes) -> None:
        if self._proc is None or self._proc.stdin is None:
            raise ProcessDiedError("process not started")
        try:
            self._proc.stdin.write(data)
        except (BrokenPipeError, OSError) as exc:
            self.kill()
            raise ProcessDiedError(f"write failed: {exc}") from exc

    def read_until(self, done: Callable[[bytearray], bool], deadline: float) -> bytes:
        """Read the merged output until `done(buffer)` holds; kill on deadline, EOF or flood."""
        if self._proc is None or self._proc.stdout is None:
            raise ProcessDiedError("process not started")
        with tracked(self):
            return self._read_until(done, deadline)

    def _read_until(self, done: Callable[[bytearray], bool], deadline: float) -> bytes:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        buf = bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise ProcessTimeoutError(f"no answer within the deadline ({len(buf)} bytes read)")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                code = self._proc.poll()
                self.kill()
                raise ProcessDiedError(f"prover exited (code {code}); last output: {bytes(buf[-400:])!r}")
            buf += chunk
            if len(buf) > self.max_output_bytes:
                self.kill()
                raise OutputTooLargeError(f"prover wrote more than {self.max_output_bytes} bytes")
            if done(buf):
                return bytes(buf)

    def kill(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def rss_bytes(self) -> int | None:
        if self._proc is None:
            return None
        try:
            with open(f"/proc/{self._proc.pid}/status", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None


__all__ = ["InFlight", "ProverProcess", "Session", "track", "tracked", "tracking_provers"]
