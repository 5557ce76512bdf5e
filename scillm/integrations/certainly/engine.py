"""`CertainlyEngine`: the object that owns certainly's warm checkers and result cache.

Every surface (direct Python API, the LiteLLM provider, the HTTP bridges, the
CLI) runs items through an engine, so all of them give identical payloads,
including the ones cut by a deadline. A bridge holds one engine per app and
closes it on shutdown; direct calls share one process-wide engine
(`default_engine(settings)`), created on first use and closed at interpreter
exit. The engine never reads the environment: its `CertainlySettings`, its
`Completion` (the LLM call a model needs) and optionally its checkers are
handed in by the entry point that builds it.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from scillm.completion_protocol import Completion
from scillm.engine_base import AsyncEngine
from scillm.engine_protocol import Health
from scillm.errors import InvalidRequestError
from scillm.integrations.certainly.cache import CachingChecker, ResultCache, open_cache
from scillm.integrations.certainly.checkers import available_backends, get_checker
from scillm.integrations.certainly.checkers.base import Checker
from scillm.integrations.certainly.checkers.prover_sandbox import allowing_unsandboxed
from scillm.integrations.certainly.items import (
    RunContext,
    choose_backend,
    make_result,
    prove_item,
    unfinished_result,
)
from scillm.integrations.certainly.models import Backend, BackendStatus
from scillm.integrations.certainly.options import RunOptions, build_options
from scillm.integrations.certainly.results import ItemResult, RunPayload
from scillm.integrations.certainly.run_payload import SCHEMA, manifest, statistics, summarize
from scillm.settings import CertainlySettings

OnResult = Callable[[ItemResult], Awaitable[None]]


def backend_statuses(settings: CertainlySettings | None = None) -> dict[str, BackendStatus]:
    """Which backends work here under `settings` (default: the built-in ones), probed now."""
    settings = settings or CertainlySettings()
    with allowing_unsandboxed(settings.unsandboxed_provers):
        return {b.name: b for b in available_backends(settings)}


def check_items(items: object) -> list[Any]:
    """The call's items as a list; a single string or object is one item."""
    if isinstance(items, (str, dict)):
        return [items]
    if not isinstance(items, (list, tuple)) or not items:
        raise InvalidRequestError("items must be a non-empty list of {'requirement_text': ...} objects or strings")
    return list(items)


def _options(options: RunOptions | Mapping[str, Any] | None) -> RunOptions:
    if isinstance(options, RunOptions):
        return options
    return build_options(**dict(options or {}))


class CertainlyEngine(AsyncEngine):
    """Proves items with real checkers; owns one warm checker per backend and the result cache.

    `checkers` maps a backend (`coq`, `lean`) to a checker to use instead of
    building one from `settings` (a server's own configuration, or a test's);
    those stay the caller's to close. `completion` is the LLM call of runs
    that name a model (None: the one the caller scoped with `using_completion`).
    """

    name = "certainly"

    def __init__(self, settings: CertainlySettings | None = None, *, completion: Completion | None = None,
                 checkers: Mapping[Backend, Checker] | None = None) -> None:
        self.settings = settings or CertainlySettings()
        self.completion = completion
        self._given: dict[str, Checker] = {str(b): c for b, c in (checkers or {}).items()}
        self._checkers: dict[str, Checker] = dict(self._given)
        self._lock = threading.Lock()
        self._cache: ResultCache | None = None
        self._closed = False

    async def start(self) -> None:
        """Ready to run; checkers start on the first item that needs them."""
        self._closed = False

    def _shared_cache(self) -> ResultCache:
        with self._lock:
            if self._cache is None:
                self._cache = open_cache(self.settings.cache_path, key_dir=self.settings.state_dir)
            return self._cache

    async def _warm_checker(self, backend: Backend) -> Checker:
        """One warm checker per backend for the engine's life; thread-backed, so any event loop can use it."""
        if self._closed:
            raise InvalidRequestError("this CertainlyEngine is closed")
        with self._lock:
            checker = self._checkers.get(backend)
        if checker is not None:
            return checker
        with allowing_unsandboxed(self.settings.unsandboxed_provers):
            fresh = get_checker(backend, settings=self.settings)
        with self._lock:
            if backend in self._checkers:
                extra, fresh = fresh, self._checkers[backend]
            else:
                self._checkers[backend], extra = fresh, None
        if extra is not None:
            await extra.aclose()
        return fresh

    def _opener(self, opts: RunOptions, owned: list[ResultCache]) -> Callable[[Backend], Awaitable[Checker]]:
        async def open_checker(backend: Backend) -> Checker:
            checker = await self._warm_checker(backend)
            if opts.cache is False:
                return checker
            if isinstance(opts.cache, str):
                if not owned:
                    owned.append(open_cache(opts.cache, key_dir=self.settings.state_dir))
                return CachingChecker(checker, owned[0])
            return CachingChecker(checker, self._shared_cache())

        return open_checker

    async def aiter(self, items: object, options: RunOptions | Mapping[str, Any] | None = None, *,
                    max_seconds: float | None = None, spent_s: float = 0.0, completion: Completion | None = None
                    ) -> AsyncGenerator[ItemResult, None]:
        """Each item's result as it finishes; at a deadline, a `timeout` result for every unfinished item.

        `spent_s` is time of the `max_seconds` already used (e.g. queueing at a bridge). Closing the
        iterator early cancels the items still running. `completion` is this call's LLM call (None:
        the engine's, else the scoped one); a run with a model and none raises CompletionNotConfiguredError.
        """
        results = self._results(check_items(items), _options(options), max_seconds, spent_s,
                                completion or self.completion, backend_statuses(self.settings))
        try:
            async for result in results:
                yield result
        finally:
            await results.aclose()

    async def _results(self, items: list[Any], opts: RunOptions, max_seconds: float | None, spent_s: float,
                       completion: Completion | None, statuses: dict[str, BackendStatus]
                       ) -> AsyncGenerator[ItemResult, None]:
        owned: list[ResultCache] = []
        ctx = RunContext(opts, statuses, self._opener(opts, owned),
                         self.settings.default_backend, completion)
        gate = asyncio.Semaphore(opts.concurrency)

        async def run(index: int, item: Any) -> ItemResult:  # noqa: ANN401  a hostile JSON item
            async with gate:
                with allowing_unsandboxed(self.settings.unsandboxed_provers):
                    return await prove_item(item, index, ctx)

        started = time.monotonic()
        total = opts.budget.max_total_seconds
        ctx.call_deadline = started + total if total else None
        tasks = [asyncio.ensure_future(run(i, item)) for i, item in enumerate(items)]
        ends = {"request": started + opts.request_timeout if opts.request_timeout else None,
                "total": started + total * 1.04 if total else None,
                "call": started + max_seconds - spent_s if max_seconds else None}
        deadline = min((e for e in ends.values() if e is not None), default=None)
        try:
            pending = set(tasks)
            while pending:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                done, pending = await asyncio.wait(pending, timeout=left, return_when=asyncio.FIRST_COMPLETED)
                for task in sorted(done, key=tasks.index):
                    yield task.result()
                if not done:
                    why = _why_cut(ends, deadline, opts, max_seconds)
                    for task in sorted(pending, key=tasks.index):
                        index = tasks.index(task)
                        yield unfinished_result(items[index], index, why)
                    break
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for cache in owned:
                cache.close()

    async def arun(self, items: object, options: RunOptions | Mapping[str, Any] | None = None, *,
                   max_seconds: float | None = None, spent_s: float = 0.0, on_result: OnResult | None = None,
                   completion: Completion | None = None) -> RunPayload:
        """Prove every item; the payload with results in input order (`timed_out` when `max_seconds` cut it)."""
        batch = check_items(items)
        opts = _options(options)
        statuses = backend_statuses(self.settings)
        started = time.monotonic()
        results: list[ItemResult | None] = [None] * len(batch)
        cut = 0
        stream = self._results(batch, opts, max_seconds, spent_s, completion or self.completion, statuses)
        try:
            async for result in stream:
                results[result.index] = result
                if result.status == "timeout" and result.explanation and result.explanation.startswith(_CUT):
                    cut += 1
                elif on_result is not None:
                    await on_result(result)
        finally:
            await stream.aclose()
        done = [r for r in results if r is not None]
        return self.payload(batch, done, opts, (time.monotonic() - started) * 1000, max_seconds=max_seconds,
                            completed=len(done) - cut if cut else None, statuses=statuses)

    def payload(self, items: list[Any], results: list[ItemResult], opts: RunOptions, wall_ms: float, *,
                max_seconds: float | None = None, completed: int | None = None,
                statuses: dict[str, BackendStatus] | None = None) -> RunPayload:
        """The documented payload from finished results (`completed` set when a deadline cut the run).

        `statuses` are the backends the run was proved under (probed again when not given).
        """
        statuses = statuses if statuses is not None else backend_statuses(self.settings)
        run_manifest = manifest(results, opts, statuses, max_seconds=max_seconds)
        return RunPayload(summary=summarize(results), results=tuple(results), statistics=statistics(results, wall_ms),
                          run_manifest=run_manifest, timed_out=completed is not None, completed=completed)

    def health(self) -> Health:
        """Readiness for bridges and `scillm doctor`: which backends work here."""
        statuses = backend_statuses(self.settings)
        return Health(ready=any(s.available for s in statuses.values()),
                      backends={n: s.model_dump(mode="json") for n, s in statuses.items()})

    def _detach(self) -> tuple[list[Checker], ResultCache | None]:
        """Mark the engine closed and take the checkers it built and its cache out, under the lock."""
        self._closed = True
        with self._lock:
            checkers = [c for b, c in self._checkers.items() if self._given.get(b) is not c]
            self._checkers.clear()
            cache, self._cache = self._cache, None
        return checkers, cache

    async def aclose(self) -> None:
        """Stop every warm checker and close the cache; safe to call twice."""
        checkers, cache = self._detach()
        for checker in checkers:
            await checker.aclose()
        if cache is not None:
            cache.close()

    def close(self) -> None:
        """`aclose` for interpreter exit, where no event loop runs."""
        checkers, cache = self._detach()
        for checker in checkers:
            close = getattr(checker, "close", None)
            if callable(close):
                close()
            else:
                asyncio.run(checker.aclose())
        if cache is not None:
            cache.close()


_CUT = "not finished within max_seconds="


def _why_cut(ends: dict[str, float | None], deadline: float | None, opts: RunOptions,
             max_seconds: float | None) -> str:
    if ends["call"] is not None and ends["call"] == deadline:
        return f"{_CUT}{max_seconds:g}"
    if ends["total"] is not None and ends["total"] == deadline:
        return f"the call's max_total_seconds ({opts.budget.max_total_seconds} s) ran out first"
    return f"the run's request_timeout ({opts.request_timeout} s) ran out first"


_default: CertainlyEngine | None = None
_default_lock = threading.Lock()


def default_engine(settings: CertainlySettings | None = None) -> CertainlyEngine:
    """The process-wide engine of direct calls, created on first use and closed at interpreter exit.

    The entry point passes the settings it built (`CertainlySettings.from_env()` for scillm's own);
    None means the built-in defaults. When they differ from the current engine's, that engine is
    closed and a new one takes its place.
    """
    global _default
    settings = settings or CertainlySettings()
    with _default_lock:
        stale = _default if _default is not None and _default.settings != settings else None
        if _default is None or stale is not None:
            _default = CertainlyEngine(settings)
            if stale is None:
                atexit.register(_close_default)
    if stale is not None:
        stale.close()
    return _default


def _close_default() -> None:
    if _default is not None:
        _default.close()


async def arun_items(items: object, *, settings: CertainlySettings | None = None,
                     completion: Completion | None = None, **kwargs: Any) -> dict[str, Any]:
    """Prove every item on the default engine for `settings`; the documented JSON payload."""
    return (await default_engine(settings).arun(items, kwargs, completion=completion)).to_json()


async def arun_items_iter(items: object, *, settings: CertainlySettings | None = None,
                          completion: Completion | None = None,
                          **kwargs: Any) -> AsyncIterator[tuple[int, dict[str, Any]]]:
    """`(index, result JSON)` as each item finishes on the default engine; closing early cancels the rest."""
    results = default_engine(settings).aiter(items, kwargs, completion=completion)
    try:
        async for result in results:
            yield result.index, result.to_json()
    finally:
        await results.aclose()


def health(settings: CertainlySettings | None = None) -> dict[str, Any]:
    """The readiness of the default engine for `settings`, as JSON."""
    return default_engine(settings).health().to_json()


__all__ = ["SCHEMA", "CertainlyEngine", "arun_items", "arun_items_iter", "backend_statuses", "check_items",
           "choose_backend", "default_engine", "health", "make_result", "summarize"]
