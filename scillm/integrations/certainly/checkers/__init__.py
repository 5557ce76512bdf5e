"""Proof checkers: which backends work here, a factory, and whole-file checking.

`get_checker("coq")` gives a warm-pool `CoqChecker`; `get_checker("coq",
mode="cold")` one `coqc` run per check; `get_checker("lean", ...)` the Lean
checker. Every checker follows `checkers.base.Checker`. Heavy modules load
only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scillm.integrations.certainly.models import BackendStatus

if TYPE_CHECKING:
    from scillm.integrations.certainly.checkers.base import Checker
    from scillm.integrations.certainly.models import CheckResult


def available_backends() -> list[BackendStatus]:
    """Each backend's status (available, version, or why not), Coq first; never raises."""
    out: dict[str, BackendStatus] = {}
    try:
        from scillm.integrations.certainly.checkers.coq import coq_status

        out["coq"] = coq_status()
    except Exception as exc:  # a broken install must still be reported, not raised
        out["coq"] = BackendStatus(name="coq", available=False, reason=f"coq probe failed: {exc!r}")
    try:
        from scillm.integrations.certainly.checkers.lean import LeanChecker

        out["lean"] = LeanChecker().status()
    except Exception as exc:
        out["lean"] = BackendStatus(name="lean", available=False, reason=f"lean probe failed: {exc!r}")
    return list(out.values())


def get_checker(backend: str = "coq", **config: Any) -> Checker:
    """A checker for `backend` ("coq" or "lean"); `mode="cold"` picks the one-process-per-check path for Coq."""
    from scillm.errors import InvalidRequestError

    if backend == "coq":
        mode = config.pop("mode", "warm")
        if mode == "cold":
            from scillm.integrations.certainly.checkers.coq_cold import CoqColdChecker

            return CoqColdChecker(**config)
        if mode != "warm":
            raise InvalidRequestError(f"mode must be 'warm' or 'cold', got {mode!r}")
        from scillm.integrations.certainly.checkers.coq import CoqChecker

        return CoqChecker(**config)
    if backend in ("lean", "lean4"):
        from scillm.integrations.certainly.checkers.lean import LeanChecker
        from scillm.integrations.certainly.checkers.lean_session import LeanConfig

        return LeanChecker(LeanConfig.from_env(**config))
    raise InvalidRequestError(f"unknown proof backend {backend!r}; use 'coq' or 'lean'")


async def check_file(text: str, theorem_name: str | None = None, **kwargs: Any) -> CheckResult:
    """Check the proof written in a whole Coq file (see `checkers.split.check_file`)."""
    from scillm.integrations.certainly.checkers.split import check_file as _check_file

    return await _check_file(text, theorem_name, **kwargs)


__all__ = ["available_backends", "check_file", "get_checker"]
