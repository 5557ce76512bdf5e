"""The host side: a pool of warm sandboxed workers, each forking a fresh child per evaluation.

Each worker talks over two dedicated pipes (never its stdout) with a
handshake nonce at start and a fresh nonce per request; a reply that is
late, malformed, oversized or carries the wrong nonce kills that worker's
whole process group and the next request starts a new one. Cancellation
also kills the worker, since its state is then unknown.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import weakref
from dataclasses import dataclass, field
from typing import IO, Any

from pydantic import ValidationError

from scillm.errors import InvalidRequestError, SandboxUnavailableError
from scillm.integrations.codeworld.sandbox import launchers
from scillm.integrations.codeworld.sandbox.base import ErrorType, Limits, RunRequest, RunResult, SandboxStatus
from scillm.integrations.codeworld.sandbox.interpreter import DEFAULT_PREIMPORT
from scillm.integrations.codeworld.sandbox.protocol import (
    HEADER_SIZE,
    REQUEST_CAP_BYTES,
    ProtocolFault,
    decode_body,
    encode_frame,
    new_nonce,
    parse_header,
)

_STARTUP_TIMEOUT_S = 20.0
_HOST_MARGIN_MS = 5000
_WORKER_GRACE_MS = 250


@dataclass(eq=False)
class _Worker:
    proc: asyncio.subprocess.Process
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    read_transport: asyncio.BaseTransport
    stderr: IO[bytes]
    uses: int = field(default=0)


async def _read_frame(reader: asyncio.StreamReader, cap: int, nonce: str) -> dict[str, Any]:
    header = await reader.readexactly(HEADER_SIZE)
    length = parse_header(header, cap)
    body = await reader.readexactly(length)
    return decode_body(body, nonce)


def _failure(kind: ErrorType, text: str, backend: str) -> RunResult:
    return RunResult(ok=False, error=text, error_type=kind, backend=backend)


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
        nonce = new_nonce()
        payload = {"nonce": nonce, "code": req.code, "entry": req.entry, "args": req.args,
                   "repeats": req.repeats, "limits": lim.model_dump()}
        try:
            frame = encode_frame(payload)
        except ProtocolFault as exc:
            return _failure("rejected", f"case input is not JSON-able: {exc}", self.name)
        if len(frame) > REQUEST_CAP_BYTES:
            return _failure("rejected", f"request of {len(frame)} bytes exceeds {REQUEST_CAP_BYTES}", self.name)
        deadline_s = (lim.wall_ms * req.repeats + _WORKER_GRACE_MS + _HOST_MARGIN_MS) / 1000.0
        slots = self._ensure_loop()
        async with slots:
            worker = self._idle.pop() if self._idle else await self._start_worker()
            healthy = False
            try:
                worker.writer.write(frame)
                await worker.writer.drain()
                reply = await asyncio.wait_for(
                    _read_frame(worker.reader, lim.max_output_bytes * 2 + 65536, nonce), deadline_s)
                result = RunResult.model_validate({**reply["result"], "backend": self.name})
                healthy = True
                self._evaluations += 1
                return result
            except asyncio.TimeoutError:
                return _failure("timeout", f"worker gave no reply within {deadline_s:.1f} s; killed", self.name)
            except (asyncio.IncompleteReadError, ConnectionError):
                return _failure("crashed", "the sandbox worker died during the evaluation; restarted", self.name)
            except (ProtocolFault, ValidationError, KeyError, TypeError) as exc:
                return _failure("protocol", f"bad reply from the sandbox worker: {exc}", self.name)
            finally:
                if healthy and not self._closed:
                    worker.uses += 1
                    self._idle.append(worker)
                else:
                    self._restarts += 0 if self._closed else 1
                    self._kill(worker)

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
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        nonce = new_nonce()
        argv = launchers.worker_command(self.name, req_fd=req_r, rep_fd=rep_w, nonce=nonce,
                                        tmpfs_mb=self._limits.tmpfs_mb, private_dir=self._private_dir or "",
                                        preimport=self._preimport)
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker; closed in _kill
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
                env={}, pass_fds=(req_r, rep_w), start_new_session=True)
        except OSError as exc:
            os.close(req_w)
            os.close(rep_r)
            stderr.close()
            raise SandboxUnavailableError(f"cannot start the {self.name} sandbox worker: {exc}") from exc
        finally:
            os.close(req_r)
            os.close(rep_w)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=2**20)
        read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(rep_r, "rb", buffering=0))
        write_transport, write_protocol = await loop.connect_write_pipe(
            lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()), os.fdopen(req_w, "wb", buffering=0))
        writer = asyncio.StreamWriter(write_transport, write_protocol, None, loop)
        worker = _Worker(proc, reader, writer, read_transport, stderr)
        self._live.add(worker)
        try:
            hello = await asyncio.wait_for(_read_frame(reader, 65536, nonce), _STARTUP_TIMEOUT_S)
            if hello.get("ready") is not True:
                raise ProtocolFault("worker handshake without ready=true")
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, ProtocolFault) as exc:
            stderr.seek(0)
            detail = stderr.read()[-2000:].decode("utf-8", "replace").strip()
            self._kill(worker)
            raise SandboxUnavailableError(
                f"the {self.name} sandbox worker did not start ({type(exc).__name__}: {exc}): {detail}") from exc
        return worker

    def _kill(self, worker: _Worker, *, reap: bool = True) -> None:
        """SIGKILL the worker's process group and close its pipes; reaping is tracked, not fire-and-forget."""
        self._live.discard(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        try:
            os.killpg(worker.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for transport in (worker.writer.transport, worker.read_transport):
            try:
                transport.close()
            except RuntimeError:
                pass
        worker.stderr.close()
        if reap:
            task = asyncio.get_running_loop().create_task(worker.proc.wait())
            self._reapers.add(task)
            task.add_done_callback(self._reapers.discard)


__all__ = ["ForkServerSandbox"]
