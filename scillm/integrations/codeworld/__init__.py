"""codeworld: which of these implementations is best for this task, with evidence.

Variants run for real in the sandbox (`sandbox/`), on the task's cases;
`judge` scores and ranks them, `search` spends a fixed budget where it
matters, `autogen` asks an LLM for new variants. `arun_items` and
`arun_items_iter` are the entry points; they load on first use so that
importing the sandbox (also inside its worker) stays cheap.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "arun_items": "scillm.integrations.codeworld.api",
    "arun_items_iter": "scillm.integrations.codeworld.api",
}

__all__ = ["arun_items", "arun_items_iter"]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
