"""The `codeworld` provider: a thin adapter from LiteLLM calls to the codeworld engine."""

from __future__ import annotations

from typing import Any

from scillm.errors import EngineNotReadyError


async def acomplete(provider: str, model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
    """Run `params["items"]` through the codeworld engine and wrap the payload in a ModelResponse.

    `model` is the full model string (`codeworld`, `codeworld/mcts`); the part
    after the slash selects the strategy. `params` holds every extra keyword
    argument the caller passed (`items`, `strategy`, `metrics`, ...).
    """
    raise EngineNotReadyError(
        "the codeworld engine is not built yet in this version of scillm; "
        "upgrade scillm or use an HTTP bridge"
    )
