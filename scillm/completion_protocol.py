"""The one LLM call the engines make, as a Protocol they are handed.

Engines (`scillm.integrations.*`) never import an LLM client: a proposer or
the codeworld generator calls a `Completion` it was given. Callers pass one
explicitly (`completion=`) or scope one for a whole call with
`using_completion`; the adapters (`scillm.llms`, the bridges, the CLI) scope
LiteLLM's. An engine that needs a model and was handed none raises
`CompletionNotConfiguredError`, so a call that never asks a model never
imports LiteLLM and the engines never name the adapter that provides one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol, runtime_checkable

from scillm.errors import CompletionNotConfiguredError


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


def current(completion: Completion | None = None) -> Completion | None:
    """`completion`, else the one scoped by `using_completion`, else None."""
    return completion if completion is not None else _scoped.get()


def resolve(completion: Completion | None = None, *, model: str | None = None) -> Completion:
    """`current(completion)`; CompletionNotConfiguredError (naming `model`) when there is none."""
    found = current(completion)
    if found is None:
        asked = f"model {model!r}" if model else "a model"
        raise CompletionNotConfiguredError(
            f"{asked} was asked for but no Completion was given: pass completion= (e.g. "
            "scillm.llms.openai_client.OpenAICompletion) or call through scillm (scillm.prove_requirement, "
            "completion(...), the CLI or a bridge), which hands the engines LiteLLM's")
    return found


__all__ = ["Completion", "current", "resolve", "using_completion"]
