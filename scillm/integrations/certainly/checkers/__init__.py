"""Proof checkers: which backends work here, a factory, and whole-file checking.

`get_checker("coq")` gives a warm-pool `CoqChecker`; `get_checker("coq",
mode="cold")` one `coqc` run per check; `get_checker("lean", ...)` the Lean
checker. Every checker follows `checkers.base.Checker`. Heavy modules load
only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scillm.integrations.certainly.checkers.factory import available_backends, get_checker

if TYPE_CHECKING:
    from scillm.integrations.certainly.models import CheckResult


async def check_file(text: str, theorem_name: str | None = None, **kwargs: Any) -> CheckResult:
    """Check the proof written in a whole Coq file (see `checkers.split.check_file`)."""
    from scillm.integrations.certainly.checkers.split import check_file as _check_file  # noqa: PLC0415  loads on first use

    return await _check_file(text, theorem_name, **kwargs)


__all__ = ["available_backends", "check_file", "get_checker"]
