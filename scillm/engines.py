"""The engine registry: an engine object by name, and the process-wide default ones.

Adapters (the LiteLLM provider, the bridges, the CLI) reach engines only
here, so they never bind an engine module's functions themselves. A bridge
builds its own engine (`new_engine`) and closes it on shutdown; direct calls
share `default_engine(name)`, created on first use and closed at interpreter
exit. Engine modules load on first use, so importing this module stays light.
"""

from __future__ import annotations

import atexit
import threading
from typing import TYPE_CHECKING, Literal

from scillm.errors import EngineNotReadyError
from scillm.settings import CertainlySettings

if TYPE_CHECKING:
    from scillm.completion_protocol import Completion
    from scillm.integrations.certainly.engine import CertainlyEngine
    from scillm.integrations.codeworld.api import CodeworldEngine

EngineName = Literal["certainly", "codeworld"]
ENGINE_NAMES: tuple[EngineName, ...] = ("certainly", "codeworld")

_defaults: dict[str, CertainlyEngine | CodeworldEngine] = {}
_lock = threading.Lock()


def new_engine(name: str, *, completion: Completion | None = None) -> CertainlyEngine | CodeworldEngine:
    """A fresh engine `name` configured from the environment; EngineNotReadyError for an unknown name.

    `completion` is the LLM call its runs use when they name a model (None: the one a caller scopes).
    """
    if name == "certainly":
        from scillm.integrations.certainly.engine import CertainlyEngine  # noqa: PLC0415  engines load on first use

        return CertainlyEngine(CertainlySettings.from_env(), completion=completion)
    if name == "codeworld":
        from scillm.integrations.codeworld.api import CodeworldEngine  # noqa: PLC0415  engines load on first use
        from scillm.integrations.codeworld.settings import CodeworldSettings  # noqa: PLC0415  engines load on first use

        return CodeworldEngine(CodeworldSettings.from_env(), completion=completion)
    raise EngineNotReadyError(f"no engine named {name!r}; choose one of {list(ENGINE_NAMES)}")


def default_engine(name: str) -> CertainlyEngine | CodeworldEngine:
    """The process-wide engine of direct calls, configured from the environment.

    Certainly's is the one `prove_requirement` uses, rebuilt when the CERTAINLY_* settings change.
    """
    if name == "certainly":
        from scillm.integrations.certainly.engine import default_engine as certainly_default  # noqa: PLC0415  engines load on first use

        return certainly_default(CertainlySettings.from_env())
    with _lock:
        engine = _defaults.get(name)
        if engine is None:
            engine = _defaults[name] = new_engine(name)
            atexit.register(engine.close)
        return engine


__all__ = ["ENGINE_NAMES", "EngineName", "default_engine", "new_engine"]
