"""`scillm.prove_requirement`: the certainly engine's `prove_requirement` with LiteLLM as its default LLM call.

The engine-level function (`scillm.integrations.certainly.prove_requirement`)
needs a `Completion` handed in whenever a model is named; this adapter hands
it LiteLLM's (loaded only on the first prompt), so a call without a model
still never imports LiteLLM. Settings come from the environment.
"""

from __future__ import annotations

from typing import Any

from scillm.completion_protocol import Completion
from scillm.integrations.certainly import prove_requirement as _engine_prove_requirement
from scillm.llms.completion import default_completion
from scillm.settings import CertainlySettings
from scillm.sync import run_sync


async def prove_requirement(requirement: str, tactics: list[str] | None = None, *,
                            completion: Completion | None = None, **kwargs: Any) -> dict[str, Any]:
    """Prove one requirement: `await scillm.prove_requirement("forall n : nat, n + 0 = n")`.

    Same arguments and answer as `scillm.integrations.certainly.prove_requirement`;
    `model=` goes through `completion` when given, else the scoped one, else LiteLLM.
    """
    settings = kwargs.pop("settings", None) or CertainlySettings.from_env()
    return await _engine_prove_requirement(requirement, tactics, completion=default_completion(completion),
                                           settings=settings, **kwargs)


def prove_requirement_sync(requirement: str, tactics: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
    """Blocking `prove_requirement` (same arguments and answer); safe inside a running event loop."""
    return run_sync(prove_requirement(requirement, tactics, **kwargs))


__all__ = ["prove_requirement", "prove_requirement_sync"]
