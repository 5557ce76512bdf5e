"""The checker factory: which backends work here and a checker for one of them.

Kept apart from the package `__init__` so modules inside `checkers` (whole-file
checking) can build a checker without importing their own package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scillm.errors import InvalidRequestError
from scillm.integrations.certainly.models import BackendStatus
from scillm.settings import CertainlySettings

if TYPE_CHECKING:
    from scillm.integrations.certainly.checkers.base import Checker  # noqa: PLC0415  a backend's modules load on first use


def available_backends(settings: CertainlySettings | None = None) -> list[BackendStatus]:
    """Each backend's status (available, version, or why not) under `settings`, Coq first; never raises."""
    out: dict[str, BackendStatus] = {}
    try:
        from scillm.integrations.certainly.checkers.coq import coq_status  # noqa: PLC0415  a backend's modules load on first use

        out["coq"] = coq_status()
    except Exception as exc:  # noqa: BLE001  a broken install is reported, never raised
        out["coq"] = BackendStatus(name="coq", available=False, reason=f"coq probe failed: {exc!r}")
    try:
        from scillm.integrations.certainly.checkers.lean import LeanChecker  # noqa: PLC0415  a backend's modules load on first use
        from scillm.integrations.certainly.checkers.lean_session import LeanConfig  # noqa: PLC0415  a backend's modules load on first use

        out["lean"] = LeanChecker(LeanConfig.from_settings(settings or CertainlySettings())).status()
    except Exception as exc:  # noqa: BLE001  a broken install is reported, never raised
        out["lean"] = BackendStatus(name="lean", available=False, reason=f"lean probe failed: {exc!r}")
    return list(out.values())


def get_checker(backend: str = "coq", *, settings: CertainlySettings | None = None, **config: Any) -> Checker:
    """A checker for `backend` ("coq" or "lean") under `settings`; `config` keywords win over them.

    `mode="cold"` picks the one-process-per-check path for Coq.
    """
    settings = settings or CertainlySettings()
    if backend == "coq":
        mode = config.pop("mode", "warm")
        if mode == "cold":
            from scillm.integrations.certainly.checkers.coq_cold import CoqColdChecker  # noqa: PLC0415  a backend's modules load on first use

            return CoqColdChecker(**config)
        if mode != "warm":
            raise InvalidRequestError(f"mode must be 'warm' or 'cold', got {mode!r}")
        from scillm.integrations.certainly.checkers.coq import CoqChecker  # noqa: PLC0415  a backend's modules load on first use

        if settings.pool_size and "pool_size" not in config:
            config["pool_size"] = settings.pool_size
        return CoqChecker(**config)
    if backend in ("lean", "lean4"):
        from scillm.integrations.certainly.checkers.lean import LeanChecker  # noqa: PLC0415  a backend's modules load on first use
        from scillm.integrations.certainly.checkers.lean_session import LeanConfig  # noqa: PLC0415  a backend's modules load on first use

        return LeanChecker(LeanConfig.from_settings(settings, **config))
    raise InvalidRequestError(f"unknown proof backend {backend!r}; use 'coq' or 'lean'")


__all__ = ["available_backends", "get_checker"]
