"""Sandboxed execution of untrusted Python: pick the strongest backend that works here.

`get_sandbox()` returns a pool of warm workers under bubblewrap, else under
`unshare` with a user namespace; when neither works it raises
`SandboxUnavailableError` naming why, unless `allow_unsandboxed=True`.
"""

from __future__ import annotations

from typing import Any, Literal

from scillm.errors import InvalidRequestError, SandboxUnavailableError
from scillm.integrations.codeworld.sandbox.base import (
    ErrorType,
    Limits,
    RunRequest,
    RunResult,
    Sandbox,
    SandboxStatus,
)
from scillm.integrations.codeworld.sandbox.interpreter import DEFAULT_PREIMPORT

BackendName = Literal["bwrap", "unshare", "unsandboxed"]

_ISOLATING: tuple[BackendName, ...] = ("bwrap", "unshare")


def probe_backend(name: BackendName) -> str | None:
    """None when `name` works on this machine, else the reason it does not (cached per process)."""
    from scillm.integrations.codeworld.sandbox import launchers  # noqa: PLC0415  the worker imports this package; launchers are host-only

    return launchers.probe(name)


def available_backends() -> dict[str, str | None]:
    """Every backend with None (works) or the reason it does not work here."""
    return {name: probe_backend(name) for name in (*_ISOLATING, "unsandboxed")}


def get_sandbox(
    *,
    backend: BackendName | None = None,
    allow_unsandboxed: bool = False,
    limits: Limits | None = None,
    workers: int = 2,
    preimport: tuple[str, ...] | None = None,
) -> Sandbox:
    """A started-on-first-use sandbox pool; call `await sb.aclose()` when done.

    Args:
        backend: force one backend; default: the first of bwrap, unshare that works.
        allow_unsandboxed: fall back to plain processes (rlimits + seccomp, no namespaces)
            when nothing isolates. Only for trusted code.
        limits: default limits for every run (a run may pass its own).
        workers: warm workers; each evaluation forks a fresh child from one of them.
        preimport: standard modules each worker imports once (default: `DEFAULT_PREIMPORT`),
            so children forked from it start with them loaded.
    """
    from scillm.integrations.codeworld.sandbox.pool import ForkServerSandbox  # noqa: PLC0415  the worker imports this package; the pool is host-only

    if workers < 1:
        raise InvalidRequestError(f"workers must be >= 1, got {workers}")
    options: dict[str, Any] = {"limits": limits or Limits(), "workers": workers,
                               "preimport": DEFAULT_PREIMPORT if preimport is None else preimport}
    if backend is not None:
        if backend not in (*_ISOLATING, "unsandboxed"):
            raise InvalidRequestError(f"unknown sandbox backend {backend!r}; use bwrap, unshare or unsandboxed")
        if backend == "unsandboxed" and not allow_unsandboxed:
            raise SandboxUnavailableError("backend='unsandboxed' needs allow_unsandboxed=True")
        reason = probe_backend(backend)
        if reason is not None:
            raise SandboxUnavailableError(f"sandbox backend {backend} does not work here: {reason}")
        return ForkServerSandbox(backend, **options)
    reasons: list[str] = []
    for name in _ISOLATING:
        reason = probe_backend(name)
        if reason is None:
            return ForkServerSandbox(name, **options)
        reasons.append(f"{name}: {reason}")
    if allow_unsandboxed:
        reason = probe_backend("unsandboxed")
        if reason is None:
            return ForkServerSandbox("unsandboxed", **options)
        reasons.append(f"unsandboxed: {reason}")
    raise SandboxUnavailableError(
        "no isolating sandbox works here (" + "; ".join(reasons) + "); install bubblewrap, allow "
        "unprivileged user namespaces, or pass allow_unsandboxed=True for trusted code only"
    )


__all__ = [
    "DEFAULT_PREIMPORT",
    "BackendName",
    "ErrorType",
    "Limits",
    "RunRequest",
    "RunResult",
    "Sandbox",
    "SandboxStatus",
    "available_backends",
    "get_sandbox",
    "probe_backend",
]
