"""The one LLM call the engines make, as a Protocol they are handed.

Engines (`scillm.integrations.*`) never import an LLM client: a proposer or
the codeworld generator calls a `Completion` it was given. Callers pass one
explicitly (`completion=`) or scope one for a whole call with
`using_completion`; otherwise the default, LiteLLM behind scillm's providers,
is loaded by name on first use, the way anyio loads its event-loop backend,
so a call that never asks a model never imports LiteLLM.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol, runtime_checkable

# "module:attribute" of the default implementation (the LiteLLM adapter)
DEFAULT_COMPLETION = "scillm.llms.completion:litellm_completion"


@runtime_checkable
class Completion(Protocol):
    """One chat completion: the model's reply text for `messages`.

    `model` is a LiteLLM model string; `options` carries sampling settings
    (`temperature`, `max_tokens`, `timeout`) and endpoint settings
    (`api_base`, `api_key`, `custom_llm_provider`) unchanged. Errors of the
    remote API propagate as the implementation raises them.
    """

    async def __call__(self, *, model: str, messages: list[dict[str, Any]], **options: Any) -> str: ...


_scoped: ContextVar[Completion | None] = ContextVar("scillm_completion", default=None)
_default: list[Completion] = []


@contextmanager
def using_completion(completion: Completion | None) -> Iterator[None]:
    """Make `completion` the one `resolve()` answers inside this block (tasks started in it inherit it).

    None keeps whatever an enclosing block scoped.
    """
    if completion is None:
        yield
        return
    token = _scoped.set(completion)
    try:
        yield
    finally:
        _scoped.reset(token)


def resolve(completion: Completion | None = None) -> Completion:
    """`completion`, else the one scoped by `using_completion`, else the default (loaded on first use)."""
    if completion is not None:
        return completion
    scoped = _scoped.get()
    if scoped is not None:
        return scoped
    if not _default:
        module, _, attribute = DEFAULT_COMPLETION.partition(":")
        _default.append(getattr(importlib.import_module(module), attribute))
    return _default[0]


__all__ = ["DEFAULT_COMPLETION", "Completion", "resolve", "using_completion"]
