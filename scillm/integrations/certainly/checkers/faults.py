"""Faults inside a checker: a prover process or its protocol failed, so no verdict came from it.

Each is caught inside the checkers and turned into an `error`/`timeout`
result (never `proved`); they share `CheckerFaultError` so a caller that must
discard a session can catch one class.
"""

from __future__ import annotations

from scillm.errors import SandboxUnavailableError, ScillmError


class CheckerFaultError(Exception):
    """Base of every checker-internal fault; the session or run that raised it is discarded."""


class ProcessTimeoutError(CheckerFaultError):
    """The prover did not answer before the deadline; it has been killed."""


class ProcessDiedError(CheckerFaultError):
    """The prover exited (crash, memory cap, stack overflow, cancelled request) while we waited."""


class OutputTooLargeError(CheckerFaultError):
    """The prover wrote more than the output cap for one request; it has been killed."""


class SessionBrokenError(CheckerFaultError):
    """A coqtop session's reply did not have the expected shape; it has been killed."""


class ReplFaultError(CheckerFaultError, ScillmError):
    """The Lean REPL process died, closed its output or broke the framing; discard it."""


class ReplTimeoutError(ReplFaultError):
    """No Lean REPL reply came before the deadline; the process group was killed."""


class ProverSandboxUnavailableError(CheckerFaultError, SandboxUnavailableError):
    """bubblewrap cannot run here and the server does not allow unsandboxed provers."""


__all__ = [
    "CheckerFaultError",
    "OutputTooLargeError",
    "ProcessDiedError",
    "ProcessTimeoutError",
    "ProverSandboxUnavailableError",
    "ReplFaultError",
    "ReplTimeoutError",
    "SessionBrokenError",
]
