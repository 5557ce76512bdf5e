"""The `certainly` / `lean4` provider: a thin adapter from LiteLLM calls to the certainly engine."""

from __future__ import annotations

from typing import Any

from scillm.errors import EngineNotReadyError


async def acomplete(provider: str, model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
    """Run `params["items"]` through the certainly engine and wrap the payload in a ModelResponse.

    `provider` is `certainly` or `lean4` (the payload is mirrored under both
    keys for the alias); `model` is the full model string (`certainly`,
    `certainly/coq`, `lean4`); `params` holds every extra keyword argument
    the caller passed (`items`, `flags`, `max_seconds`, `session_id`, ...).
    """
    raise EngineNotReadyError(
        "the certainly engine is not built yet in this version of scillm; "
        "upgrade scillm or use an HTTP bridge"
    )
