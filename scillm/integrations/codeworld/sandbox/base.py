"""The sandbox contract: what a caller sends, what comes back, and the Protocol backends implement.

Every backend runs untrusted code (variants, user scoring functions) in a
fresh child forked from a warm zygote that lives under OS isolation and never
holds any request or result. This module holds no logic; callers type
against `Sandbox`.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

ErrorType = Literal["exception", "timeout", "memory", "crashed", "protocol", "rejected"]
"""Why a run did not return a value.

- `exception`: the code raised (syntax error, missing entry, wrong answer type...); `error` has the text.
- `timeout`: wall clock (`wall_ms` per repeat) or CPU (`cpu_s`) ran out; the child was killed.
- `memory`: `MemoryError` under the address-space limit, or killed by it.
- `crashed`: the child (or the worker) died without a reply (signal, `os._exit`, killed worker).
- `protocol`: the child's reply was oversized, too deep, not finite JSON or mistyped (or the zygote's report
  did not answer the request, which also restarts the zygote).
- `rejected`: the request was refused before running (size caps, bad entry name).
"""


class Limits(BaseModel):
    """Resource limits applied to each evaluation child."""

    model_config = ConfigDict(frozen=True)

    wall_ms: int = Field(default=2000, ge=1, description="Wall-clock budget per repeat; the child is SIGKILLed past it.")
    cpu_s: int = Field(default=2, ge=1, description="RLIMIT_CPU of the child, in seconds, over all repeats.")
    memory_mb: int = Field(default=512, ge=32, description="RLIMIT_AS of the child, in MiB.")
    tmpfs_mb: int = Field(default=16, ge=1, le=1024,
                          description="Size of the fresh tmpfs each child gets on /tmp, and RLIMIT_FSIZE.")
    max_output_bytes: int = Field(default=1_000_000, ge=1024, le=64 * 1024 * 1024,
                                  description="Cap on one child's JSON reply (its return value and error text).")
    max_stdout_bytes: int = Field(default=65536, ge=0, le=16 * 1024 * 1024,
                                  description="How much of what a child printed is kept.")
    open_files: int = Field(default=64, ge=8, description="RLIMIT_NOFILE of the child.")


class RunRequest(BaseModel):
    """One evaluation: define `code`, then call `entry` on `args`."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Python source defining `entry`; runs with no AST filter, only OS isolation.")
    entry: str = Field(default="solve", description="Name of the function to call; must be a Python identifier.")
    args: Any = Field(
        default_factory=list,
        description="JSON-able case input: a list is spread as `entry(*args)`, anything else is `entry(args)`.",
    )
    repeats: int = Field(default=1, ge=1, le=1000, description="Calls of `entry` in the same child; each is timed.")


class RunResult(BaseModel):
    """The outcome of one evaluation; `ok` is True only when `entry` returned a JSON-able value."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    value: Any = Field(default=None, description="The return value of the first call (JSON types only).")
    error: str | None = Field(default=None, description="`Type: message` of the failure, or what killed the child.")
    error_type: ErrorType | None = None
    traceback: str | None = Field(default=None, description="Formatted traceback of an exception, capped.")
    durations_ms: list[float] = Field(
        default_factory=list,
        description="Per-call times the child reported about itself: the code under test can forge them, "
        "so they are shown, never scored.",
    )
    wall_ms: float | None = Field(
        default=None, description="Wall time from the child's start marker (before any untrusted code) to its "
        "exit, measured by the zygote outside the child: what speed is scored from.",
    )
    cpu_ms: float | None = Field(
        default=None, description="User+system CPU time of the child after its start marker, as the kernel "
        "accounted it to the zygote's wait4 (not forgeable).",
    )
    reply_bytes: int = Field(default=0, description="Size of the child's reply as the host read it.")
    stdout: str = Field(default="", description="What the code printed (stdout and stderr), capped; never parsed.")
    backend: str = Field(default="", description="Name of the sandbox backend that ran it.")


class SandboxStatus(BaseModel):
    """What a sandbox is and how it is doing, for manifests and `doctor`."""

    model_config = ConfigDict(frozen=True)

    backend: str = Field(description="`bwrap`, `unshare` or `unsandboxed`.")
    isolated: bool = Field(description="False only for the `unsandboxed` backend.")
    workers: int = Field(description="Number of warm workers in the pool.")
    live_workers: int = Field(description="Workers currently started.")
    evaluations: int = Field(description="Evaluations completed since start.")
    worker_restarts: int = Field(description="Workers replaced after a crash, timeout or protocol fault.")
    limits: Limits
    mechanisms: list[str] = Field(default_factory=list, description="Isolation mechanisms in force.")


@runtime_checkable
class Sandbox(Protocol):
    """Runs untrusted code; implementations never let it touch the caller's process or secrets."""

    name: str

    async def run(self, req: RunRequest, limits: Limits | None = None) -> RunResult:
        """Evaluate one request in a fresh child; never raises for failures of the code itself."""
        ...

    async def run_many(self, reqs: list[RunRequest], limits: Limits | None = None) -> list[RunResult]:
        """Evaluate many requests over the worker pool; one result per request, in order."""
        ...

    def status(self) -> SandboxStatus:
        """Current backend, limits and counters."""
        ...

    async def aclose(self) -> None:
        """Kill every worker; the sandbox can not be used afterwards."""
        ...


__all__ = ["ErrorType", "Limits", "RunRequest", "RunResult", "Sandbox", "SandboxStatus"]
