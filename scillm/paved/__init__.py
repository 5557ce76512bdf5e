"""The paved path for pipelines: batch fan-out, strict JSON, preflight and chat helpers.

Names load on first access (PEP 562), so `import scillm.paved` stays light;
type checkers read the `TYPE_CHECKING` block, which imports the same names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scillm.paved.batch import BatchResults as BatchResults
    from scillm.paved.batch import batch_acompletions as batch_acompletions
    from scillm.paved.batch import batch_acompletions_iter as batch_acompletions_iter
    from scillm.paved.batch import parallel_acompletions as parallel_acompletions
    from scillm.paved.batch import parallel_acompletions_iter as parallel_acompletions_iter
    from scillm.paved.batch import summarize as summarize
    from scillm.paved.helpers import alist_models_openai_like as alist_models_openai_like
    from scillm.paved.helpers import analyze_image as analyze_image
    from scillm.paved.helpers import analyze_image_json as analyze_image_json
    from scillm.paved.helpers import chat as chat
    from scillm.paved.helpers import chat_json as chat_json
    from scillm.paved.helpers import chutes_chat_json as chutes_chat_json
    from scillm.paved.helpers import chutes_router_json as chutes_router_json
    from scillm.paved.helpers import list_models_openai_like as list_models_openai_like
    from scillm.paved.helpers import sanity_preflight as sanity_preflight
    from scillm.paved.progress import with_progress as with_progress

_LAZY: dict[str, str] = {
    "BatchResults": "scillm.paved.batch",
    "parallel_acompletions": "scillm.paved.batch",
    "parallel_acompletions_iter": "scillm.paved.batch",
    "batch_acompletions": "scillm.paved.batch",
    "batch_acompletions_iter": "scillm.paved.batch",
    "summarize": "scillm.paved.batch",
    "with_progress": "scillm.paved.progress",
    "sanity_preflight": "scillm.paved.helpers",
    "list_models_openai_like": "scillm.paved.helpers",
    "alist_models_openai_like": "scillm.paved.helpers",
    "chutes_chat_json": "scillm.paved.helpers",
    "chutes_router_json": "scillm.paved.helpers",
    "chat": "scillm.paved.helpers",
    "chat_json": "scillm.paved.helpers",
    "analyze_image": "scillm.paved.helpers",
    "analyze_image_json": "scillm.paved.helpers",
}

__all__ = sorted(_LAZY)


if not TYPE_CHECKING:  # a checker sees the imports above, never an `Any` from __getattr__

    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'scillm.paved' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(__all__)
