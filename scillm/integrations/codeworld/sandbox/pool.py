"""The host side: a pool of warm sandboxed zygotes, each forking one pristine child per evaluation.

Per evaluation the host makes three fresh memfds (request, reply, stdout),
writes the request into the first and hands all three to an idle zygote
over its control socket; the zygote forks and only the child ever reads the
request or writes the reply. The zygote answers with its own report (exit
status, wall and CPU time measured outside the child); the host then reads
the reply itself, size-capped, and parses it as hostile input. A late,
malformed or mismatched REPORT kills that zygote's whole process group and
the next request starts a new one; a bad REPLY is only that evaluation's
`protocol` error. Cancellation also kills the zygote, since its state is
then unknown.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import tempfile
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO, Any

from scillm.errors import InvalidRequestError, SandboxUnavailableError
from scillm.integrations.codeworld.sandbox import launchers
from scillm.integrations.codeworld.sandbox.base import ErrorType, Limits, RunRequest, RunResult, SandboxStatus
from scillm.integrations.codeworld.sandbox.interpreter import DEFAULT_PREIMPORT
from scillm.integrations.codeworld.sandbox.protocol import (
    REQUEST_CAP_BYTES,
    ProtocolFaultError,
    decode_reply,
    decode_report,
    new_nonce,
)

_STARTUP_TIMEOUT_S = 20.0
_SETUP_MS = 5000
_HOST_MARGIN_MS = 5000
_SETUP_FAILED = 71


@dataclass(eq=False)
class _Worker:
    proc: asyncio.subprocess.Process
    sock: socket.socket
    stderr: IO[bytes]
    uses: int = field(default=0)


def _failure(kind: ErrorType, text: str, backend: str, **extra: Any) -> RunResult:
    return RunResult(ok=False, error=text, error_type=kind, backend=backend, **extra)


@lru_cache(maxsize=64)
def _limits_json(lim: Limits) -> bytes:
    return json.dumps(lim.model_dump(), separators=(",", ":")).encode()


def _memfd(name: str, data: bytes = b"") -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    return fd


def _pread_all(fd: int, size: int) -> bytes:
    chunks, offset = [], 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _exit_failure(status: int, cpu_ms: float, lim: Limits, stdout: str) -> tuple[ErrorType, str]:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu_ms >= lim.cpu_s * 1000 * 0.9):
            return "timeout", f"CPU limit of {lim.cpu_s} s exceeded"
        return "crashed", f"child killed by signal {signal.Signals(sig).name}"
    code = os.WEXITSTATUS(status)
    if code == 0:
        return "crashed", "child exited without a result"
    if code == _SETUP_FAILED and "could not start" in stdout:
        return "crashed", stdout.strip().splitlines()[-1][:500]
    return "crashed", f"child exited with status {code} without a result"


class ForkServerSandbox:
    """A `Sandbox` over `workers` warm workers under one backend (bwrap, unshare or unsandboxed)."""

    def __init__(self, backend: str, *, limits: Limits, workers: int = 2,
                 preimport: tuple[str, ...] = DEFAULT_PREIMPORT) -> None:
        bad = [m for m in preimport if not all(part.isidentifier() for part in m.split("."))]
        if bad:
            raise InvalidRequestError(f"preimport names must be module names, got {bad}")
        self.name = backend
        self._preimport = tuple(preimport)
        self._limits = limits
        self._size = workers
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reapers: set[asyncio.Task[Any]] = set()
        self._private_dir: str | None = None
        self._closed = False
        self._evaluations = 0
        self._restarts = 0
        self._next_id = 0

    async def __aenter__(self) -> ForkServerSandbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def status(self) -> SandboxStatus:
        """Backend, limits, mechanisms and counters."""
        return SandboxStatus(
            backend=self.name, isolated=self.name != "unsandboxed", workers=self._size,
            live_workers=len(self._live), evaluations=self._evaluations, worker_restarts=self._restarts,
            limits=self._limits, mechanisms=launchers.mechanisms(self.name),
        )

    async def run_many(self, reqs: list[RunRequest], limits: Limits | None = None) -> list[RunResult]:
        """Evaluate every request over the pool; one result per request, in order."""
        return list(await asyncio.gather(*(self.run(req, limits) for req in reqs)))

    async def run(self, req: RunRequest, limits: Limits | None = None) -> RunResult:
        """Evaluate one request in a fresh child; failures of the code come back as results."""
        if self._closed:
            raise InvalidRequestError("this sandbox was closed; get a new one with get_sandbox()")
        lim = limits or self._limits
        if not req.entry.isidentifier():
            return _failure("rejected", f"entry {req.entry!r} is not a Python identifier", self.name)
        try:
            body = json.dumps({"code": req.code, "entry": req.entry, "args": req.args, "repeats": req.repeats},
                              separators=(",", ":"), allow_nan=False).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as exc:
            return _failure("rejected", f"case input is not finite JSON: {str(exc)[:200]}", self.name)
        if len(body) > REQUEST_CAP_BYTES:
            return _failure("rejected", f"request of {len(body)} bytes exceeds {REQUEST_CAP_BYTES}", self.name)
        budget_ms = lim.wall_ms * req.repeats
        deadline_s = (budget_ms + _SETUP_MS + _HOST_MARGIN_MS) / 1000.0
        slots = self._ensure_loop()
        async with slots:
            worker = self._idle.pop() if self._idle else await self._start_worker()
            healthy = False
            out_fd, rep_fd = _memfd("codeworld-stdout"), _memfd("codeworld-reply")
            try:
                self._next_id += 1
                request_id = self._next_id
                cmd = b'{"id":%d,"budget_ms":%d,"limits":%s}' % (request_id, budget_ms, _limits_json(lim))
                req_fd = _memfd("codeworld-request", body)
                try:
                    socket.send_fds(worker.sock, [cmd], [out_fd, req_fd, rep_fd])
                finally:
                    os.close(req_fd)
                loop = asyncio.get_running_loop()
                data = await asyncio.wait_for(loop.sock_recv(worker.sock, 65536), deadline_s)
                if not data:
                    raise ConnectionError("worker closed its control socket")
                report = decode_report(data, request_id)
                healthy = "error" not in report
                result = self._result(report, out_fd, rep_fd, lim, req.repeats)
                self._evaluations += 1
                return result
            except asyncio.TimeoutError:
                return _failure("timeout", f"worker gave no report within {deadline_s:.1f} s; killed", self.name)
            except (ConnectionError, BlockingIOError, OSError):
                return _failure("crashed", "the sandbox worker died during the evaluation; restarted", self.name)
            except (ProtocolFaultError, KeyError, TypeError, ValueError) as exc:
                return _failure("protocol", f"bad report from the sandbox worker: {exc}", self.name)
            finally:
                os.close(out_fd)
                os.close(rep_fd)
                if healthy and not self._closed:
                    worker.uses += 1
                    self._idle.append(worker)
                else:
                    self._restarts += 0 if self._closed else 1
                    self._kill(worker)

    def _result(self, report: dict[str, Any], out_fd: int, rep_fd: int, lim: Limits, repeats: int) -> RunResult:
        """Combine the zygote's report (trusted timing) with the child's reply (untrusted, parsed defensively)."""
        stdout = os.pread(out_fd, lim.max_stdout_bytes, 0).decode("utf-8", "replace") if lim.max_stdout_bytes else ""
        if "error" in report:
            return _failure("crashed", str(report["error"])[:500], self.name, stdout=stdout)
        wall_ns, cpu_ns = report.get("wall_ns"), report.get("cpu_ns")
        base: dict[str, Any] = {
            "wall_ms": wall_ns / 1e6 if isinstance(wall_ns, int) else None,
            "cpu_ms": cpu_ns / 1e6 if isinstance(cpu_ns, int) else None,
            "stdout": stdout,
            "backend": self.name,
        }
        if report.get("timed_out"):
            if report.get("phase") == "setup":
                return RunResult(ok=False, error_type="timeout", **base,
                                 error=f"the child did not start within {_SETUP_MS} ms")
            return RunResult(ok=False, error_type="timeout", **base,
                             error=f"wall-clock limit of {lim.wall_ms * repeats} ms exceeded")
        size = os.fstat(rep_fd).st_size
        status = int(report["status"])
        if size == 0 or not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            # A reply counts only from a child that exited cleanly: one written before a crash, a CPU-limit
            # kill or a failed exit is not a result, whatever it says.
            kind, text = _exit_failure(status, base["cpu_ms"] or 0.0, lim, stdout)
            return RunResult(ok=False, error_type=kind, error=text, **base)
        if size > lim.max_output_bytes:
            return RunResult(ok=False, error_type="protocol", reply_bytes=size, **base,
                             error=f"child reply of {size} bytes exceeds max_output_bytes={lim.max_output_bytes}")
        try:
            fields = decode_reply(_pread_all(rep_fd, size), lim.max_output_bytes, repeats)
        except ProtocolFaultError as exc:
            return RunResult(ok=False, error_type="protocol", error=f"malformed child reply: {exc}",
                             reply_bytes=size, **base)
        return RunResult(**fields, reply_bytes=size, **base)

    async def aclose(self) -> None:
        """Kill every worker and remove the pool's private directory."""
        self._closed = True
        for worker in list(self._live):
            self._kill(worker)
        self._idle.clear()
        if self._reapers:
            await asyncio.gather(*self._reapers, return_exceptions=True)
        if self._private_dir is not None:
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None

    def close(self) -> None:
        """`aclose` without an event loop (interpreter exit): kill every worker, leave reaping to the OS."""
        self._closed = True
        for worker in list(self._live):
            self._kill(worker, reap=False)
        self._idle.clear()
        if self._private_dir is not None:
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None

    def _ensure_loop(self) -> asyncio.Semaphore:
        """Workers' pipes belong to one event loop; a new loop (asyncio.run again) gets new workers."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._slots is None:
            for worker in list(self._live):
                self._kill(worker, reap=False)
            self._idle.clear()
            self._reapers.clear()
            self._loop = loop
            self._slots = asyncio.Semaphore(self._size)
        return self._slots

    async def _start_worker(self) -> _Worker:
        if self._private_dir is None and self.name != "bwrap":
            self._private_dir = tempfile.mkdtemp(prefix=f"codeworld-{self.name}-")
            weakref.finalize(self, shutil.rmtree, self._private_dir, True)
        host_sock, zygote_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        nonce = new_nonce()
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker; closed in _kill
        try:
            argv = launchers.worker_command(self.name, ctl_fd=zygote_sock.fileno(), nonce=nonce,
                                            private_dir=self._private_dir or "", preimport=self._preimport)
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
                env={}, pass_fds=(zygote_sock.fileno(),), start_new_session=True)
        except OSError as exc:
            host_sock.close()
            stderr.close()
            raise SandboxUnavailableError(f"cannot start the {self.name} sandbox worker: {exc}") from exc
        finally:
            zygote_sock.close()
        host_sock.setblocking(False)
        worker = _Worker(proc, host_sock, stderr)
        self._live.add(worker)
        try:
            data = await asyncio.wait_for(asyncio.get_running_loop().sock_recv(host_sock, 65536),
                                          _STARTUP_TIMEOUT_S)
            hello = json.loads(data) if data else {}
            if not isinstance(hello, dict) or hello.get("nonce") != nonce or hello.get("ready") is not True:
                raise ProtocolFaultError("worker handshake without its nonce and ready=true")
        except (asyncio.TimeoutError, ConnectionError, ValueError, ProtocolFaultError) as exc:
            stderr.seek(0)
            detail = stderr.read()[-2000:].decode("utf-8", "replace").strip()
            self._kill(worker)
            raise SandboxUnavailableError(
                f"the {self.name} sandbox worker did not start ({type(exc).__name__}: {exc}): {detail}") from exc
        return worker

    def _kill(self, worker: _Worker, *, reap: bool = True) -> None:
        """SIGKILL the zygote's process group and close its socket; reaping is tracked, not fire-and-forget."""
        self._live.discard(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        try:
            os.killpg(worker.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        worker.sock.close()
        worker.stderr.close()
        if reap:
            task = asyncio.get_running_loop().create_task(worker.proc.wait())
            self._reapers.add(task)
            task.add_done_callback(self._reapers.discard)


__all__ = ["ForkServerSandbox"]
