"""The default `Completion` the engines are handed: scillm's `acompletion` (LiteLLM plus scillm's providers)."""

from __future__ import annotations

from typing import Any

from scillm.llms.registry import acompletion


async def litellm_completion(*, model: str, messages: list[dict[str, Any]], **options: Any) -> str:
    """The reply text of one `acompletion` call; an empty reply (tool call, refusal) is `""`."""
    response = await acompletion(model=model, messages=messages, **options)
    content = response.choices[0].message.content
    return content if isinstance(content, str) else ""


__all__ = ["litellm_completion"]
