"""The codeworld entry points: a batch of items in, one result per item out.

`arun_items` returns the full payload (`summary`, `statistics`, `results`
in input order, `run_manifest`); `arun_items_iter` yields each item's result
as soon as it is ready. A bad item becomes an error result; only problems
with the call itself (bad arguments, no sandbox) raise.

Trust: `items` and the provider arguments (`**provider_args`) are the
REQUEST and are treated as hostile (see `request_policy.py`); `settings`,
`sandbox` and `store` are the caller's own configuration and are trusted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from scillm.completion_protocol import Completion, resolve
from scillm.engine_base import AsyncEngine
from scillm.engine_protocol import Health
from scillm.errors import InvalidRequestError, SandboxUnavailableError, ScillmError
from scillm.integrations.codeworld.autogen import generate_and_improve, needs_model
from scillm.integrations.codeworld.engine import Evaluator, OutputBudget, limits_for
from scillm.integrations.codeworld.judge import judge_runs
from scillm.integrations.codeworld.manifest import build_manifest
from scillm.integrations.codeworld.models import CodeTask, CodeworldArgs, ItemResult
from scillm.integrations.codeworld.normalize import normalize_item
from scillm.integrations.codeworld.request_policy import RequestPolicyError, validate_request_args
from scillm.integrations.codeworld.results import RunManifest, RunPayload, RunStatistics, RunSummary
from scillm.integrations.codeworld.sandbox import available_backends, get_sandbox
from scillm.integrations.codeworld.sandbox.base import Limits, Sandbox
from scillm.integrations.codeworld.settings import CodeworldSettings
from scillm.integrations.codeworld.store import PlateauStore, open_store


def parse_args(provider_args: dict[str, Any], settings: CodeworldSettings | None = None) -> CodeworldArgs:
    """Validate the request's provider arguments; `mcts` is accepted as a synonym of `bandit`.

    Raises:
        InvalidRequestError: (a `RequestPolicyError`) naming the argument that cannot be used.
    """
    args = validate_request_args(provider_args, settings)
    if needs_model(args) and not args.autogenerate.model:
        raise InvalidRequestError("autogenerate/iterations need `autogenerate.model` (a LiteLLM model string)")
    return args


def check_trusted(sandbox: object, store: object, settings: object, completion: object = None) -> None:
    """Refuse configuration objects that are not the real thing: a bridge spreading a JSON body as keyword
    arguments must not let a request hand in a `settings`, `sandbox` or `store` of its own.

    Raises:
        RequestPolicyError: naming the keyword.
    """
    for name, value, kind in (("sandbox", sandbox, Sandbox), ("store", store, PlateauStore),
                              ("settings", settings, CodeworldSettings), ("completion", completion, Completion)):
        if value is not None and not isinstance(value, kind):
            raise RequestPolicyError(name, f"is server configuration (a {kind.__name__} object); "
                                           "a request may not set it")


class CodeworldRun:
    """One call on an engine: its arguments, normalised items and what was generated."""

    def __init__(self, items: Sequence[Any], args: CodeworldArgs, engine: CodeworldEngine,
                 completion: Completion | None = None) -> None:
        if not isinstance(items, (list, tuple)):
            raise InvalidRequestError(f"`items` must be a list of items, got {type(items).__name__}")
        self.items = list(items)
        self.args = args
        self.engine = engine
        self.settings = engine.settings
        self.budget = OutputBudget(self.settings.max_item_output_bytes, self.settings.max_batch_output_bytes)
        self.limits: Limits = limits_for(args.strategy_config.timeout_ms, args.repeats)
        self.tasks: list[CodeTask | None] = [None] * len(self.items)
        self.errors: dict[int, str] = {}
        for i, item in enumerate(self.items):
            try:
                self.tasks[i] = normalize_item(item, i)
            except InvalidRequestError as exc:
                self.errors[i] = str(exc)
        self.generated: dict[int, dict[str, str]] = {}
        self.completion = (resolve(completion or engine.completion, model=args.autogenerate.model)
                           if needs_model(args) else None)
        self.evaluations = 0
        self.used_sandbox: Sandbox | None = None

    def _plateau_store(self) -> PlateauStore | None:
        if not (needs_model(self.args) and self.args.session_id):
            return None
        return self.engine.store()

    async def _one(self, index: int) -> ItemResult:
        task = self.tasks[index]
        if task is None:
            return ItemResult(index=index, item_id=_item_id(self.items[index], index), status="error",
                              error=self.errors[index])
        self.used_sandbox = self.engine.sandbox(self.limits)
        evaluator = Evaluator(self.used_sandbox, self.limits, self.args.repeats, self.budget)
        try:
            if needs_model(self.args):
                store = self._plateau_store()
                result, generated = await generate_and_improve(evaluator, index, task, self.args, store,
                                                               self.settings, self.completion)
                self.generated[index] = generated
            elif not task.variants:
                raise InvalidRequestError(f"item {index}: `context.code_variants` is empty and autogenerate is off")
            elif self.args.strategy in ("bandit", "mcts"):
                runs, stats = await evaluator.run_bandit(task, list(task.variants), self.args.strategy_config)
                result = await judge_runs(evaluator, index, task, runs, self.args, search=stats)
            else:
                runs = await evaluator.run_all(task, list(task.variants))
                result = await judge_runs(evaluator, index, task, runs, self.args)
        except SandboxUnavailableError:
            raise
        except ScillmError as exc:
            result = ItemResult(index=index, item_id=task.task_id, status="error", error=f"{type(exc).__name__}: {exc}")
        finally:
            self.evaluations += evaluator.evaluations
        return result

    async def results(self, max_seconds: float | None = None, spent_s: float = 0.0
                      ) -> AsyncGenerator[ItemResult, None]:
        """Each item's result as it completes, at most `concurrency` items at once; `timeout` ones at the deadline."""
        gate = asyncio.Semaphore(self.args.concurrency)

        async def guarded(i: int) -> ItemResult:
            async with gate:
                return await self._one(i)

        tasks = [asyncio.ensure_future(guarded(i)) for i in range(len(self.items))]
        deadline = time.monotonic() + max_seconds - spent_s if max_seconds else None
        try:
            pending = set(tasks)
            while pending:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                done, pending = await asyncio.wait(pending, timeout=left, return_when=asyncio.FIRST_COMPLETED)
                for fut in sorted(done, key=tasks.index):
                    yield fut.result()
                if not done:
                    for fut in sorted(pending, key=tasks.index):
                        i = tasks.index(fut)
                        yield ItemResult(index=i, item_id=_item_id(self.items[i], i), status="timeout",
                                         error=f"not finished within max_seconds={max_seconds:g}")
                    break
        finally:
            for p in tasks:
                p.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def manifest(self) -> dict[str, Any]:
        """The replay manifest, including the sandbox that actually ran."""
        sandbox_info: dict[str, Any] = {"limits": self.limits.model_dump()}
        if self.used_sandbox is not None:
            st = self.used_sandbox.status()
            sandbox_info.update(backend=st.backend, isolated=st.isolated, mechanisms=list(st.mechanisms),
                                workers=st.workers)
        return build_manifest(self.args, self.tasks, sandbox_info, generated=self.generated)


OnResult = Callable[[ItemResult], Awaitable[None]]


class CodeworldEngine(AsyncEngine):
    """Ranks code variants in the sandbox; owns one warm sandbox pool and the plateau store for its life.

    `settings`, `sandbox`, `store` and `completion` (the LLM call of autogenerate) are the
    operator's configuration (trusted); a sandbox or store passed in stays the caller's to close.
    """

    name = "codeworld"

    def __init__(self, settings: CodeworldSettings | None = None, *, sandbox: Sandbox | None = None,
                 store: PlateauStore | None = None, completion: Completion | None = None) -> None:
        check_trusted(sandbox, store, settings, completion)
        self.settings = settings or CodeworldSettings()
        self.completion = completion
        self._sandbox = sandbox
        self._owns_sandbox = sandbox is None
        self._store = store
        self._owns_store = store is None

    async def start(self) -> None:
        """Ready to run; the sandbox pool starts on the first item that runs code."""

    def sandbox(self, limits: Limits) -> Sandbox:
        """The engine's sandbox pool (each run passes its own limits)."""
        if self._sandbox is None:
            self._sandbox = get_sandbox(allow_unsandboxed=self.settings.allow_unsandboxed, limits=limits)
        return self._sandbox

    def store(self) -> PlateauStore:
        """The plateau store of autogenerate sessions."""
        if self._store is None:
            self._store = open_store(self.settings.redis_url, self.settings.db_path)
        return self._store

    def _run(self, items: object, options: CodeworldArgs | Mapping[str, Any] | None,
             completion: Completion | None) -> CodeworldRun:
        args = options if isinstance(options, CodeworldArgs) else parse_args(dict(options or {}), self.settings)
        if not isinstance(items, (list, tuple)):
            raise InvalidRequestError(f"`items` must be a list of items, got {type(items).__name__}")
        return CodeworldRun(items, args, self, completion)

    async def aiter(self, items: object, options: CodeworldArgs | Mapping[str, Any] | None = None, *,
                    max_seconds: float | None = None, spent_s: float = 0.0, completion: Completion | None = None
                    ) -> AsyncGenerator[ItemResult, None]:
        """Each item's result in completion order (each carries its `index`); `spent_s` and `completion` as in `arun`."""
        run = self._run(items, options, completion)
        results = run.results(max_seconds, spent_s)
        try:
            async for result in results:
                yield result
        finally:
            await results.aclose()

    async def arun(self, items: object, options: CodeworldArgs | Mapping[str, Any] | None = None, *,
                   max_seconds: float | None = None, spent_s: float = 0.0, on_result: OnResult | None = None,
                   completion: Completion | None = None) -> RunPayload:
        """Evaluate every item; results in input order and a replay manifest.

        `max_seconds` is the call's deadline, of which `spent_s` is already used (queueing at a bridge);
        unfinished items come back as `timeout` results. `completion` is this call's LLM call for
        autogenerate (None: the engine's, else the scoped one).

        Raises:
            InvalidRequestError: the arguments or `items` themselves are unusable.
            SandboxUnavailableError: no isolating sandbox works and `allow_unsandboxed` is off.
            CompletionNotConfiguredError: autogenerate needs a model and no Completion was given.
        """
        run = self._run(items, options, completion)
        started = time.perf_counter()
        collected: list[ItemResult] = []
        async for result in run.results(max_seconds, spent_s):
            collected.append(result)
            if on_result is not None and result.status != "timeout":
                await on_result(result)
        collected.sort(key=lambda r: r.index)
        cut = sum(r.status == "timeout" for r in collected)
        succeeded = sum(r.status == "ok" for r in collected)
        manifest = {**run.manifest(), "max_seconds": max_seconds}
        return RunPayload(
            summary=RunSummary(items=len(collected), succeeded=succeeded, failed=len(collected) - succeeded,
                               completed=len(collected) - cut if cut else None, timed_out=True if cut else None),
            statistics=RunStatistics(strategy=run.args.strategy, evaluations=run.evaluations,
                                     variants=sum(len(r.ranking) for r in collected),
                                     duration_ms=round((time.perf_counter() - started) * 1000, 3),
                                     sandbox=manifest["sandbox"].get("backend")),
            results=tuple(collected),
            run_manifest=RunManifest.model_validate(manifest),
        )

    def health(self) -> Health:
        """Whether an isolating sandbox works here."""
        reasons = available_backends()
        isolating = [n for n in ("bwrap", "unshare") if n in reasons and reasons[n] is None]
        return Health(ready=bool(isolating),
                      sandbox={"backend": isolating[0] if isolating else None,
                               "backends": {k: v or "works" for k, v in reasons.items()}})

    async def aclose(self) -> None:
        """Kill the sandbox workers and close the store (not ones the caller passed in)."""
        sandbox, self._sandbox = (self._sandbox, None) if self._owns_sandbox else (None, self._sandbox)
        store, self._store = (self._store, None) if self._owns_store else (None, self._store)
        if sandbox is not None:
            await sandbox.aclose()
        if store is not None:
            store.close()

    def close(self) -> None:
        """`aclose` for interpreter exit, where no event loop runs."""
        sandbox, self._sandbox = (self._sandbox, None) if self._owns_sandbox else (None, self._sandbox)
        store, self._store = (self._store, None) if self._owns_store else (None, self._store)
        close = getattr(sandbox, "close", None)
        if callable(close):
            close()
        if store is not None:
            store.close()


def _item_id(item: object, index: int) -> str:
    if isinstance(item, dict):
        raw = item.get("task_id", item.get("id"))
        if raw is not None:
            return str(raw)
    return f"item-{index}"


async def arun_items_iter(
    items: Sequence[Any], *, sandbox: Sandbox | None = None, store: PlateauStore | None = None,
    settings: CodeworldSettings | None = None, completion: Completion | None = None, **provider_args: Any
) -> AsyncIterator[dict[str, Any]]:
    """Yield one result dict per item, in completion order (each carries its `index`), on a call-scoped engine."""
    async with CodeworldEngine(settings or CodeworldSettings.from_env(), sandbox=sandbox, store=store,
                               completion=completion) as engine:
        results = engine.aiter(items, provider_args)
        try:
            async for result in results:
                yield result.to_json()
        finally:
            await results.aclose()


async def arun_items(
    items: Sequence[Any], *, sandbox: Sandbox | None = None, store: PlateauStore | None = None,
    settings: CodeworldSettings | None = None, completion: Completion | None = None, **provider_args: Any
) -> dict[str, Any]:
    """Evaluate every item on a call-scoped engine; the documented JSON payload.

    `provider_args` are the request (untrusted); `settings`, `sandbox`, `store` and `completion` (the LLM
    call autogenerate needs; None: the one scoped by `using_completion`) are trusted configuration.
    """
    async with CodeworldEngine(settings or CodeworldSettings.from_env(), sandbox=sandbox, store=store,
                               completion=completion) as engine:
        return (await engine.arun(items, provider_args)).to_json()


__all__ = ["CodeworldEngine", "CodeworldRun", "arun_items", "arun_items_iter", "check_trusted", "parse_args"]
