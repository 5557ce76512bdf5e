"""The engine a bridge serves, behind one small Protocol.

A bridge never reimplements an engine: `load_engine` binds the very
`arun_items`/`arun_items_iter` functions direct mode calls. When an engine is
not built in this version, loading raises `EngineNotReadyError` and the app
answers 501 with that message.
"""

from __future__ import annotations

import importlib
import inspect
import shutil
import subprocess
from collections.abc import AsyncIterator
from typing import Any, Protocol, runtime_checkable

import anyio

from scillm.errors import EngineNotReadyError

_ENGINE_MODULES: dict[str, str] = {
    "certainly": "scillm.integrations.certainly.api",
    "codeworld": "scillm.integrations.codeworld.api",
}

# Run options each engine takes as keyword arguments; the bridge enforces max_seconds itself.
_FORWARDED_OPTIONS: dict[str, tuple[str, ...]] = {"certainly": ("session_id", "track_id"),
                                                  "codeworld": ("session_id",)}


@runtime_checkable
class Engine(Protocol):
    """What a bridge needs from an engine: batch run, as-completed run, readiness."""

    name: str

    async def arun_items(self, items: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Run every item; the payload `{summary, results, statistics, run_manifest}`."""
        ...

    def arun_items_iter(self, items: list[Any], kwargs: dict[str, Any]) -> AsyncIterator[tuple[int, Any]]:
        """Yield `(index, result)` as items finish."""
        ...

    def health(self) -> dict[str, Any]:
        """Whether the engine can do real work here: backends, versions, pools."""
        ...


def _jsonable(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    return dump(mode="json") if callable(dump) else value


def _index_of(event: Any, fallback: int) -> tuple[int, Any]:
    """Accept `(index, result)` pairs or results carrying their own `index`."""
    if isinstance(event, tuple) and len(event) == 2 and isinstance(event[0], int):
        return event[0], _jsonable(event[1])
    result = _jsonable(event)
    if isinstance(result, dict) and isinstance(result.get("index"), int):
        return int(result["index"]), result
    return fallback, result


class ModuleEngine:
    """An engine module (`scillm.integrations.<name>.api`) seen through the Engine protocol."""

    def __init__(self, name: str, module: Any) -> None:
        self.name = name
        self._module = module
        self._run = module.arun_items
        self._iter = module.arun_items_iter

    def engine_kwargs(self, args: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        """Provider args plus the run options the engine's signature declares."""
        kwargs = dict(args)
        for key in _FORWARDED_OPTIONS.get(self.name, ()):
            if options.get(key) is not None and key not in kwargs:
                kwargs[key] = options[key]
        return kwargs

    async def arun_items(self, items: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        payload = await self._run(items, **kwargs)
        return dict(_jsonable(payload))

    async def arun_items_iter(self, items: list[Any], kwargs: dict[str, Any]) -> AsyncIterator[tuple[int, Any]]:
        """The engine's as-completed iterator; closed when the caller stops early, so its work is cancelled."""
        inner = self._iter(items, **kwargs)
        position = 0
        try:
            async for event in inner:
                yield _index_of(event, position)
                position += 1
        finally:
            close = getattr(inner, "aclose", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await close()

    async def build_payload(self, items: list[Any], results: list[Any], kwargs: dict[str, Any],
                            elapsed_s: float) -> dict[str, Any] | None:
        """The engine's own payload for finished results, when the engine exposes its builder.

        The contract (certainly): `build_options(**kwargs)` then
        `build_payload(items, results, options, wall_ms)`.
        """
        builder = getattr(self._module, "build_payload", None)
        make_options = getattr(self._module, "build_options", None)
        if not callable(builder) or not callable(make_options):
            return None
        built = builder(items, results, make_options(**kwargs), elapsed_s * 1000.0)
        if inspect.isawaitable(built):
            built = await built
        return dict(_jsonable(built))

    def health(self) -> dict[str, Any]:
        probe = getattr(self._module, "health", None) or getattr(self._module, "readiness", None)
        if callable(probe):
            return dict(_jsonable(probe()))
        return _fallback_health(self.name)


def _tool_version(binary: str) -> str | None:
    path = shutil.which(binary)
    if path is None:
        return None
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def _fallback_health(name: str) -> dict[str, Any]:
    """Readiness from the pluggable parts when the engine module has no probe of its own."""
    if name == "certainly":
        try:
            checkers = importlib.import_module("scillm.integrations.certainly.checkers")
            backends = {b.name: _jsonable(b) for b in checkers.available_backends()}
        except (ImportError, AttributeError):
            backends = {"coq": {"name": "coq", "available": _tool_version("coqc") is not None,
                                "version": _tool_version("coqc")}}
        ready = any(bool(b.get("available")) for b in backends.values())
        return {"ready": ready, "backends": backends}
    try:
        sandbox = importlib.import_module("scillm.integrations.codeworld.sandbox")
        reasons: dict[str, str | None] = dict(sandbox.available_backends())
    except (ImportError, AttributeError) as exc:
        return {"ready": False, "reason": f"sandbox module not usable: {exc}"}
    isolating = [name for name in ("bwrap", "unshare") if reasons.get(name) is None and name in reasons]
    return {"ready": bool(isolating), "sandbox": {"backend": isolating[0] if isolating else None,
                                                  "backends": {k: v or "works" for k, v in reasons.items()}}}


def load_engine(name: str) -> ModuleEngine:
    """Bind the engine `name`; EngineNotReadyError when this version does not have it."""
    module_name = _ENGINE_MODULES.get(name)
    if module_name is None:
        raise EngineNotReadyError(f"no engine named {name!r}; choose one of {sorted(_ENGINE_MODULES)}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise EngineNotReadyError(
                f"the {name} engine is not built in this version of scillm ({module_name} is missing)"
            ) from exc
        raise
    missing = [fn for fn in ("arun_items", "arun_items_iter") if not callable(getattr(module, fn, None))]
    if missing:
        raise EngineNotReadyError(f"the {name} engine lacks {', '.join(missing)} in this version of scillm")
    return ModuleEngine(name, module)


__all__ = ["Engine", "ModuleEngine", "load_engine"]
