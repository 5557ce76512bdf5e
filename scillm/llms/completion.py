"""The `Completion` the adapters hand the engines: scillm's `acompletion` (LiteLLM plus scillm's providers).

Importing this module is light; LiteLLM loads on the first prompt, so an
adapter can scope it for every call whether or not the call asks a model.
"""

from __future__ import annotations

from typing import Any

from scillm.completion_protocol import Completion, current


async def litellm_completion(*, model: str, messages: list[dict[str, Any]], **options: Any) -> str:
    """The reply text of one `acompletion` call; an empty reply (tool call, refusal) is `""`."""
    from scillm.llms.registry import acompletion  # noqa: PLC0415  LiteLLM loads on the first prompt, not when an adapter scopes this

    response = await acompletion(model=model, messages=messages, **options)
    content = response.choices[0].message.content
    return content if isinstance(content, str) else ""


def default_completion(completion: Completion | None = None) -> Completion:
    """What an adapter hands an engine: `completion`, else the one the caller scoped, else LiteLLM's."""
    return current(completion) or litellm_completion


__all__ = ["default_completion", "litellm_completion"]
