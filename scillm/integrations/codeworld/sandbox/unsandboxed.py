"""Plain-process command line for the worker: no namespaces, only for trusted code.

Used only when the caller passes `allow_unsandboxed=True` and nothing isolates.
Children still get rlimits, no_new_privs, seccomp, a wall-clock kill, an
empty environment and a fresh fork per evaluation, but they can read any file
the caller can read.
"""

from __future__ import annotations

from functools import lru_cache

from scillm.integrations.codeworld.sandbox import seccomp
from scillm.integrations.codeworld.sandbox.interpreter import interpreter_files

MECHANISMS = ["separate process", "empty environment", "rlimits", "no_new_privs", "seccomp", "wall-clock SIGKILL"]


def command(python_args: list[str]) -> list[str]:
    """`python -I -S <python_args>` with the interpreter running scillm."""
    return [interpreter_files().executable, "-I", "-S", *python_args]


@lru_cache(maxsize=1)
def probe() -> str | None:
    """None when the seccomp filter can be built here, else why not."""
    try:
        seccomp.build_filter()
    except seccomp.SeccompUnavailableError as exc:
        return str(exc)
    return None


__all__ = ["MECHANISMS", "command", "probe"]
