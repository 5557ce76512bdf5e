"""The engine a bridge serves: an engine object from the registry, owned by the app's lifespan.

A bridge never reimplements an engine: it runs the very `CertainlyEngine` /
`CodeworldEngine` direct mode uses, so payloads (deadline-cut ones included)
are built by the engine and equal direct ones. The engine is handed LiteLLM's
`Completion` (loaded on the first prompt). An unknown engine raises
`EngineNotReadyError` and the app answers 501 with that message.
"""

from __future__ import annotations

from typing import TypeAlias

from scillm.engines import new_engine
from scillm.integrations.certainly.engine import CertainlyEngine
from scillm.integrations.codeworld.api import CodeworldEngine
from scillm.llms.completion import litellm_completion

BridgeEngine: TypeAlias = CertainlyEngine | CodeworldEngine

# Run options each engine takes from the bridge's `options`; the engine enforces max_seconds itself.
_FORWARDED_OPTIONS: dict[str, tuple[str, ...]] = {"certainly": ("session_id", "track_id"),
                                                  "codeworld": ("session_id",)}


def load_engine(name: str) -> BridgeEngine:
    """A fresh engine `name` whose LLM call is LiteLLM's; the caller starts and closes it."""
    return new_engine(name, completion=litellm_completion)


def engine_kwargs(engine: BridgeEngine, args: dict[str, object], options: dict[str, object]) -> dict[str, object]:
    """Provider args plus the run options the engine takes from the bridge's `options`."""
    kwargs = dict(args)
    for key in _FORWARDED_OPTIONS.get(engine.name, ()):
        if options.get(key) is not None and key not in kwargs:
            kwargs[key] = options[key]
    return kwargs


__all__ = ["BridgeEngine", "engine_kwargs", "load_engine"]
