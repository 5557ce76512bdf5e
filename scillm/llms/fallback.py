"""Direct or HTTP: where a certainly/codeworld batch runs, decided once per call.

Direct mode runs the engine in this process when it can (engine built, a
prover or an isolating sandbox present). Otherwise the batch goes to the
HTTP bridge at `api_base`, else `LEAN4_BRIDGE_BASE` (lean4) /
`CERTAINLY_BRIDGE_BASE`, else `CODEWORLD_BASE` -- but only when one of those
is configured: with no bridge named, a missing prover or sandbox is reported
as itself (which one, how to install it), never as an unreachable default
port. `SCILLM_CERTAINLY_HTTP_ONLY=1` forces HTTP;
`SCILLM_CERTAINLY_DIRECT_STRICT=1` raises instead of falling back. Every
payload says which mode produced it in `_direct_mode`. Nothing here ever
starts a container.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from scillm.engines import ENGINE_NAMES, default_engine
from scillm.errors import BackendUnavailableError, EngineNotReadyError, InvalidRequestError
from scillm.integrations.certainly.engine import backend_statuses
from scillm.integrations.codeworld.sandbox import available_backends as sandbox_backends
from scillm.llms.completion import default_completion
from scillm.remote.engine import RemoteEngine
from scillm.settings import CertainlySettings, LLMSettings, bridge_token

if TYPE_CHECKING:
    from scillm.integrations.certainly.results import ItemResult as CertainlyItem
    from scillm.integrations.codeworld.models import ItemResult as CodeworldItem

Kind = Literal["certainly", "codeworld"]
Mode = Literal["auto", "direct", "http"]

DEFAULT_BASES: dict[str, str] = {"certainly": "http://127.0.0.1:8787", "codeworld": "http://127.0.0.1:8887"}
INSTALL: dict[str, str] = {
    "coq": "install Coq 8.16+ (apt-get install coq) so coqtop, coqc and coqchk are on PATH",
    "lean": "install Lean 4 (elan) with a Lake project holding the REPL and set CERTAINLY_LEAN_PROJECT",
    "sandbox": "install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces",
}
_BRIDGE_VARS = {"certainly": ("CERTAINLY_BRIDGE_BASE", "LEAN4_BRIDGE_BASE"), "codeworld": ("CODEWORLD_BASE",)}


def bridge_base(kind: Kind, provider: str | None = None, api_base: str | None = None) -> str:
    """The bridge URL for `kind`: the explicit `api_base`, then the environment, then the default port."""
    if api_base:
        return api_base.rstrip("/")
    settings = LLMSettings.from_env()
    if kind == "codeworld":
        return settings.codeworld_base or DEFAULT_BASES["codeworld"]
    lean = settings.lean4_bridge_base if provider == "lean4" else None
    return lean or settings.certainly_bridge_base or DEFAULT_BASES["certainly"]


def bridge_configured(kind: Kind, provider: str | None = None, api_base: str | None = None) -> bool:
    """True when the caller named a bridge: `api_base`, or the bridge variable for this provider."""
    if api_base:
        return True
    settings = LLMSettings.from_env()
    if kind == "codeworld":
        return settings.codeworld_base is not None
    return settings.certainly_bridge_base is not None or (provider == "lean4" and settings.lean4_bridge_base is not None)


def _backend_name(value: object) -> str | None:
    name = str(value or "").lower()
    return {"coq": "coq", "rocq": "coq", "lean": "lean", "lean4": "lean"}.get(name)


def _certainly_reason(engine_args: dict[str, Any]) -> str | None:
    """None when the backend this call needs works here (any backend when none is named), else why not."""
    named = _backend_name(engine_args.get("backend")) or CertainlySettings.from_env().default_backend
    if named is not None:
        why = _certainly_backend_reason(named)
        return None if why is None else f"the {named} prover is missing ({why}); {INSTALL[named]}"
    reasons = {b: _certainly_backend_reason(b) for b in ("coq", "lean")}
    if any(r is None for r in reasons.values()):
        return None
    return (f"no proof checker is installed here (coq: {reasons['coq']}; lean: {reasons['lean']}); "
            f"{INSTALL['coq']}")


def _certainly_backend_reason(backend: str) -> str | None:
    status = backend_statuses(CertainlySettings.from_env()).get(backend)
    if status is None:
        return f"no checker backend named {backend!r}"
    return None if status.available else (status.reason or f"the {backend} backend is unavailable")


def _codeworld_sandbox_reason(allow_unsandboxed: bool) -> str | None:
    reasons: dict[str, str | None] = sandbox_backends()
    usable = ("bwrap", "unshare", "unsandboxed") if allow_unsandboxed else ("bwrap", "unshare")
    if any(name in reasons and reasons[name] is None for name in usable):
        return None
    return "; ".join(f"{k}: {v}" for k, v in reasons.items() if k in usable) or "no sandbox backend"


def direct_unavailable(kind: Kind, engine_args: dict[str, Any]) -> str | None:
    """None when `kind` can run in this process for these arguments, else why not."""
    if kind not in ENGINE_NAMES:
        return str(EngineNotReadyError(f"no engine named {kind!r}; choose one of {list(ENGINE_NAMES)}"))
    if kind == "certainly":
        return _certainly_reason(engine_args)
    why = _codeworld_sandbox_reason(bool(engine_args.get("allow_unsandboxed")))
    return None if why is None else f"no isolating sandbox works here ({why}); {INSTALL['sandbox']}"


def choose_mode(kind: Kind, engine_args: dict[str, Any], mode: Mode = "auto", *,
                bridge: bool = True) -> tuple[Literal["direct", "http"], str | None]:
    """`("direct", None)` or `("http", why direct was not used)`.

    `bridge` says whether a bridge was configured; without one a missing
    backend raises BackendUnavailableError naming it and its install step.
    """
    settings = LLMSettings.from_env()
    if mode == "http" or (kind == "certainly" and settings.certainly_http_only):
        return "http", "HTTP forced"
    reason = direct_unavailable(kind, engine_args)
    if reason is None:
        return "direct", None
    if mode == "direct" or (kind == "certainly" and settings.certainly_direct_strict):
        raise BackendUnavailableError(f"{kind} cannot run in this process and HTTP fallback is off: {reason}")
    if not bridge:
        var = _BRIDGE_VARS[kind][0]
        raise BackendUnavailableError(f"{kind} cannot run here: {reason}; or run `scillm bridge {kind}` where "
                                      f"it is installed and set {var} (or api_base=...) to its URL")
    return "http", reason


async def arun(
    kind: Kind,
    items: object,
    engine_args: dict[str, Any] | None = None,
    *,
    provider: str | None = None,
    model: str | None = None,
    messages: list[dict[str, Any]] | None = None,
    api_base: str | None = None,
    api_key: str | None = None,
    max_seconds: float | None = None,
    session_id: str | None = None,
    track_id: str | None = None,
    timeout_s: float = 120.0,
    mode: Mode = "auto",
) -> dict[str, Any]:
    """Run `items` directly or through the bridge; the engine payload plus `_direct_mode`.

    `engine_args` are the engine's keyword arguments, identical in both modes;
    `max_seconds` is the whole call's deadline on the bridge (the HTTP path
    switches to a job when it outlives `timeout_s`). `api_base` is the bridge
    URL; it is not forwarded to the engine as its LLM base.

    Raises:
        BackendUnavailableError: direct mode is required and cannot run.
        BridgeError: the bridge refused or failed (the LiteLLM handler maps it to LiteLLM's type).
    """
    args = dict(engine_args or {})
    options = {"max_seconds": max_seconds, "session_id": session_id, "track_id": track_id}
    chosen, why = choose_mode(kind, args, mode, bridge=bridge_configured(kind, provider, api_base))
    if chosen == "direct":
        engine = default_engine(kind)
        run = await engine.arun(_batch(items), _direct_kwargs(kind, args, options), max_seconds=max_seconds,
                                completion=default_completion())
        payload = run.to_json()
        payload["_direct_mode"] = True
        return payload
    if api_base and args.get("api_base") == api_base:
        args.pop("api_base")
    payload = await _arun_http(kind, _batch(items), args, options, provider=provider, model=model, messages=messages,
                               api_base=api_base, api_key=api_key, timeout_s=timeout_s)
    payload["_direct_mode"] = False
    for result in payload.get("results") or []:
        if isinstance(result, dict):
            result["_direct_mode"] = False
    payload.setdefault("run_manifest", {})["fallback_reason"] = why
    return payload


async def _arun_http(kind: Kind, items: list[Any], args: dict[str, Any], options: dict[str, Any], *,
                     provider: str | None, model: str | None, messages: list[dict[str, Any]] | None,
                     api_base: str | None, api_key: str | None, timeout_s: float) -> dict[str, Any]:
    remote = RemoteEngine(kind, bridge_base(kind, provider, api_base), token=api_key or bridge_token(),
                          timeout_s=timeout_s)
    return await remote.arun(items, args, options={**options, "model": model}, provider=provider, messages=messages)


async def astream(
    kind: Kind,
    items: object,
    engine_args: dict[str, Any] | None = None,
    *,
    provider: str | None = None,
    model: str | None = None,
    messages: list[dict[str, Any]] | None = None,
    api_base: str | None = None,
    max_seconds: float | None = None,
    summarize: Callable[[list[Any], list[Any], dict[str, Any], float], dict[str, Any]] | None = None,
) -> AsyncGenerator[tuple[str, Any], None]:
    """`("item", result)` as each item finishes, then `("done", payload)`.

    Direct mode streams from the engine's as-completed iterator, so closing
    this generator cancels the unfinished items; over HTTP the batch runs on
    the bridge and its results follow one by one. `summarize(items,
    results, args, elapsed_s)` builds the payload for engines without their
    own builder.
    """
    args = dict(engine_args or {})
    chosen, _ = choose_mode(kind, args, bridge=bridge_configured(kind, provider, api_base))
    if chosen == "http":
        payload = await arun(kind, items, args, provider=provider, model=model, messages=messages,
                             api_base=api_base, max_seconds=max_seconds, mode="http")
        for result in payload.get("results") or []:
            yield "item", result
        yield "done", payload
        return
    engine = default_engine(kind)
    completion = default_completion()
    finished: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    async def _each(result: CertainlyItem | CodeworldItem) -> None:
        await finished.put(result.to_json())

    async def _run() -> dict[str, Any]:
        try:
            run = await engine.arun(_batch(items), _direct_kwargs(kind, args, {}), max_seconds=max_seconds,
                                    on_result=_each, completion=completion)
            return run.to_json()
        finally:
            await finished.put(None)

    task = asyncio.ensure_future(_run())
    try:
        while (result := await finished.get()) is not None:
            result["_direct_mode"] = True
            yield "item", result
        payload = await task
    finally:  # closed early: cancel the unfinished items before returning
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    payload["_direct_mode"] = True
    yield "done", payload


def _batch(items: object) -> list[Any]:
    if isinstance(items, str | dict):
        return [items]
    if isinstance(items, Iterable):
        return list(items)
    raise InvalidRequestError(f"items must be a list of items, a dict or a string, not {type(items).__name__}")


def _direct_kwargs(kind: Kind, args: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """The engine keywords of a direct run: provider args plus the tracing options the engine records."""
    kwargs = dict(args)
    for key in ("session_id", "track_id") if kind == "certainly" else ("session_id",):
        if options.get(key) is not None and key not in kwargs:
            kwargs[key] = options[key]
    return kwargs


__all__ = ["DEFAULT_BASES", "INSTALL", "arun", "astream", "bridge_base", "bridge_configured", "choose_mode",
           "direct_unavailable"]
