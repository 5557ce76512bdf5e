"""Work for a verdict done before it is asked: the problem compiled, and two provers waiting with its libraries.

`coqc -l Head.v Main.v` reads `Head.v` with `Load` before it opens `Main.v`.
Here `Head.v` is a FIFO: when a problem's search starts, `Prefetcher`
compiles the problem and starts one such `coqc` for Candidate.v (its head
holds the problem's header) and one for Verify.v (its head `Require`s the
compiled problem); each loads those libraries while the search runs, then
waits on its FIFO. The verdict writes the rest of the head and the whole
main file, then closes the FIFO. Together the two parts are the sentences
the cold path writes in one file, so the verdict means the same. Each
process serves one verdict of one problem and is never reused. The Verify
prover has a directory of its own (its FIFO, its main file) that the
Candidate prover cannot see, and sees the candidate's directory read-only.
A standby that is not ready (it has not read its head, it died, the request
that started it was cancelled) is dropped and the verdict runs the cold
way. Only Coq 8's `coqc` is driven like this: it is the compiler these
reads were measured with.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import os
import secrets
import shutil
import struct
import subprocess
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from scillm.integrations.certainly.checkers import prover_sandbox as sandbox
from scillm.integrations.certainly.checkers.faults import ProcessDiedError
from scillm.integrations.certainly.checkers.session import track, tracked
from scillm.integrations.certainly.checkers.verdict_problem import (
    PROBLEM_ROOT,
    Deadline,
    ProblemStore,
    ProverRunner,
)
from scillm.integrations.certainly.models import Problem

_MAX_TAIL = 32 << 10  # written after the head was read, so it always fits the empty pipe
_MAX_HEAD = 32 << 10
_IDLE_S = 600.0
_MAX_PENDING = 4
_MAX_REMEMBERED = 1024


class Standby:
    """One `coqc -l <fifo> <main>` that has been given its head and waits for the rest."""

    def __init__(self, proc: subprocess.Popen[bytes], fifo_fd: int, untrack: Callable[[], None]) -> None:
        self.proc = proc
        self._fd: int | None = fifo_fd
        self._group = sandbox.ProcessGroup(proc.pid)
        self._untrack: Callable[[], None] | None = untrack

    @classmethod
    def start(cls, runner: ProverRunner, args: list[str], fifo: str, head: str, mounts: sandbox.Mounts,
              sandboxed: bool) -> Standby:
        """Start coqc on `args` (which load `fifo` with `-l`) and hand it `head`."""
        data = b" " + head.encode("utf-8") + b"\n"  # OCaml reads the first byte of a pipe twice; a blank is harmless
        if len(data) > _MAX_HEAD:
            raise ValueError("head too large for a standby")
        os.mkfifo(fifo, 0o600)
        fd = os.open(fifo, os.O_RDWR | os.O_CLOEXEC)  # never blocks; coqc's open finds a writer at once
        try:
            os.write(fd, data)
            cmd = runner.launch("coqc", args, mounts, sandboxed)
            proc = sandbox.spawn_thread(lambda: sandbox.start(cmd, mem_bytes=runner.mem_bytes))
        except BaseException:
            os.close(fd)
            raise
        group = sandbox.ProcessGroup(proc.pid)
        try:
            untrack = track(group)
        except ProcessDiedError:
            os.close(fd)
            group.kill()
            proc.communicate()
            raise
        return cls(proc, fd, untrack)

    def ready(self) -> bool:
        """Alive, and it has read its whole head (so it holds the FIFO open and the pipe is empty)."""
        if self._fd is None or self.proc.poll() is not None:
            return False
        buf = fcntl.ioctl(self._fd, termios.FIONREAD, struct.pack("i", 0))
        unread: int = struct.unpack("i", buf)[0]
        return unread == 0

    def finish(self, tail: list[str], main: str, lines: list[str], deadline: Deadline) -> sandbox.RunResult | None:
        """Write the rest of the head and the main file, let coqc run to the end; None when it is not usable."""
        data = ("\n".join(tail) + "\n").encode("utf-8") if tail else b""
        if len(data) > _MAX_TAIL or not self.ready():
            self.kill()
            return None
        assert self._fd is not None
        with open(main, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        os.write(self._fd, data)
        self._close_fifo()
        try:
            with tracked(self._group):
                out, err = self.proc.communicate(timeout=deadline.left())
        except subprocess.TimeoutExpired:
            self.kill()
            return sandbox.RunResult(None, "", "", True)
        except ProcessDiedError as exc:
            self.kill()
            return sandbox.RunResult(None, "", str(exc), False)
        finally:
            self._untracked()
        return sandbox.RunResult(self.proc.returncode, out.decode("utf-8", "replace"),
                                 err.decode("utf-8", "replace"), False)

    def kill(self) -> None:
        self._group.kill()
        self._close_fifo()
        with contextlib.suppress(Exception):
            self.proc.communicate(timeout=5)
        self._untracked()

    def _close_fifo(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def _untracked(self) -> None:
        untrack, self._untrack = self._untrack, None
        if untrack is not None:
            untrack()


@dataclass
class Pair:
    """The two standbys of one verdict: the candidate's directory and logical root, the Verify prover's directory."""

    scratch: str
    root: str
    verify_dir: str
    candidate: Standby
    verify: Standby
    dirs: tuple[str, ...] = ()
    born: float = field(default_factory=time.monotonic)

    def close(self) -> None:
        self.candidate.kill()
        self.verify.kill()
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


def _start_pair(runner: ProverRunner, header: str, problem_dir: str, parent: str, sandboxed: bool) -> Pair | None:
    scratch = tempfile.mkdtemp(prefix="c-", dir=parent)
    verify_dir = tempfile.mkdtemp(prefix="v-", dir=parent)
    root = f"SC_{secrets.token_hex(6)}"
    dirs = [scratch, verify_dir]
    started: list[Standby] = []
    try:
        # Coq caches directory listings: the Verify prover must see Candidate.vo's name before it is written.
        for path in (f"{scratch}/Candidate.vo", f"{scratch}/Candidate.v", f"{verify_dir}/Verify.v"):
            open(path, "wb").close()  # coqc wants its main file to exist when it starts
        for where, main, head, seen in ((scratch, "Candidate.v", header.strip(), ()),
                                        (verify_dir, "Verify.v", f"Require {PROBLEM_ROOT}.Problem.",
                                         ((scratch, "/candidate"),))):
            # The FIFO has a directory of its own that only its prover sees, outside every load path: `Load`
            # looks a relative name up in the load path too.
            fifo_dir = tempfile.mkdtemp(prefix="h-", dir=parent)
            dirs.append(fifo_dir)
            mounts = sandbox.Mounts(scratch=where, readonly=((problem_dir, "/problem"), *seen, (fifo_dir, "/head")))
            paths = ["-Q", mounts.inside(problem_dir, sandboxed), PROBLEM_ROOT, "-Q", mounts.inside(scratch, sandboxed),
                     root]
            fifo = f"{mounts.inside(fifo_dir, sandboxed)}/Head.v"
            started.append(Standby.start(runner, ["-q", *paths, "-l", fifo, main], f"{fifo_dir}/Head.v", head,
                                         mounts, sandboxed))
    except (OSError, ValueError, ProcessDiedError):
        for s in started:
            s.kill()
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
        return None
    return Pair(scratch, root, verify_dir, started[0], started[1], tuple(dirs))


class Prefetcher:
    """Compiles problems and starts their standby pairs on one background thread; at most `limit` pairs live.

    A pair is started per `submit` (one per search), taken by the verdict or
    released when the search ends without one; the oldest and the idle ones
    are stopped.
    """

    def __init__(self, problems: ProblemStore, runner: ProverRunner, limit: int = 4) -> None:
        self.problems = problems
        self.runner = runner
        self.limit = limit
        self._pairs: dict[str, Pair] = {}
        self._released: set[str] = set()
        self._futures: dict[str, Future[bool]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, key: str, problem: Problem, header: str, sandboxed: bool, timeout_s: float) -> bool:
        """Prepare `problem`'s verdict in the background, in the caller's context; False when under way or ready."""
        with self._lock:
            fut = self._futures.get(key)
            if (fut is not None and not fut.done()) or key in self._pairs:
                return False
            if sum(not f.done() for f in self._futures.values()) >= _MAX_PENDING:
                return False
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scillm-verdict-prefetch")
            ctx = contextvars.copy_context()
            self._released.discard(key)
            self._futures.pop(key, None)
            self._futures[key] = self._pool.submit(ctx.run, self._prepare, key, problem, header, sandboxed,
                                                   Deadline(timeout_s))
            while len(self._futures) > _MAX_REMEMBERED:
                self._futures.pop(next(iter(self._futures)))
        return True

    def wait(self, key: str, timeout_s: float | None = None) -> bool:
        """Wait for the preparation of `key`; True when its pair is started (tests and benchmarks)."""
        with self._lock:
            fut = self._futures.get(key)
        return fut is not None and fut.result(timeout=timeout_s)

    def _prepare(self, key: str, problem: Problem, header: str, sandboxed: bool, deadline: Deadline) -> bool:
        built = self.problems.get(problem, header, sandboxed, deadline)
        binaries = self.runner.binaries
        pair = None
        if built.directory is not None and binaries.compile == ("coqc",) and binaries.major < 9:
            pair = _start_pair(self.runner, header, built.directory, self.problems.root(), sandboxed)
        with self._lock:
            released = key in self._released  # the search ended while this was being prepared
            self._released.discard(key)
            if pair is None:
                return False
            stale = [pair] if released else [p for p in [self._pairs.pop(key, None)] if p is not None]
            if not released:
                self._pairs[key] = pair
            now = time.monotonic()
            for k in [k for k, p in self._pairs.items() if now - p.born > _IDLE_S]:
                stale.append(self._pairs.pop(k))
            while len(self._pairs) > self.limit:
                stale.append(self._pairs.pop(next(iter(self._pairs))))
        for p in stale:
            p.close()
        return not released

    def take(self, key: str) -> Pair | None:
        """The pair started for `key`, now the caller's to use and close."""
        with self._lock:
            return self._pairs.pop(key, None)

    def release(self, key: str) -> None:
        """Stop `key`'s pair (its search ended without a verdict), also one still being prepared."""
        with self._lock:
            pair = self._pairs.pop(key, None)
            fut = self._futures.get(key)
            if fut is not None and not fut.done():
                self._released.add(key)
        if pair is not None:
            pair.close()

    def close(self) -> None:
        with self._lock:
            pairs, self._pairs = list(self._pairs.values()), {}
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        for p in pairs:
            p.close()


__all__ = ["Pair", "Prefetcher", "Standby"]
