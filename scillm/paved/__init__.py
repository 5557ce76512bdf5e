"""The paved path for pipelines: batch fan-out, strict JSON, preflight and chat helpers.

Names load on first access (PEP 562), so `import scillm.paved` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'scillm.paved' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
