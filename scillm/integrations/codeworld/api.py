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
from collections.abc import AsyncIterator, Sequence
from typing import Any

from scillm.errors import InvalidRequestError, SandboxUnavailableError, ScillmError
from scillm.integrations.codeworld.autogen import generate_and_improve, needs_model
from scillm.integrations.codeworld.engine import Evaluator, OutputBudget, limits_for
from scillm.integrations.codeworld.judge import judge_runs
from scillm.integrations.codeworld.manifest import build_manifest
from scillm.integrations.codeworld.models import CodeTask, CodeworldArgs, ItemResult
from scillm.integrations.codeworld.normalize import normalize_item
from scillm.integrations.codeworld.request_policy import RequestPolicyError, validate_request_args
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


def check_trusted(sandbox: Any, store: Any, settings: Any) -> None:
    """Refuse configuration objects that are not the real thing: a bridge spreading a JSON body as keyword
    arguments must not let a request hand in a `settings`, `sandbox` or `store` of its own.

    Raises:
        RequestPolicyError: naming the keyword.
    """
    for name, value, kind in (("sandbox", sandbox, Sandbox), ("store", store, PlateauStore),
                              ("settings", settings, CodeworldSettings)):
        if value is not None and not isinstance(value, kind):
            raise RequestPolicyError(name, f"is server configuration (a {kind.__name__} object); "
                                           "a request may not set it")


class CodeworldRun:
    """One call: its arguments, normalised items, sandbox and what was generated."""

    def __init__(self, items: Sequence[Any], args: CodeworldArgs, sandbox: Sandbox | None = None,
                 store: PlateauStore | None = None, settings: CodeworldSettings | None = None) -> None:
        if not isinstance(items, (list, tuple)):
            raise InvalidRequestError(f"`items` must be a list of items, got {type(items).__name__}")
        check_trusted(sandbox, store, settings)
        self.items = list(items)
        self.args = args
        self.settings = settings or CodeworldSettings()
        self.budget = OutputBudget(self.settings.max_item_output_bytes, self.settings.max_batch_output_bytes)
        self.limits: Limits = limits_for(args.strategy_config.timeout_ms, args.repeats)
        self._sandbox = sandbox
        self._owns_sandbox = sandbox is None
        self._store = store
        self._owns_store = store is None
        self.tasks: list[CodeTask | None] = [None] * len(self.items)
        self.errors: dict[int, str] = {}
        for i, item in enumerate(self.items):
            try:
                self.tasks[i] = normalize_item(item, i)
            except InvalidRequestError as exc:
                self.errors[i] = str(exc)
        self.generated: dict[int, dict[str, str]] = {}
        self.evaluations = 0

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            from scillm.integrations.codeworld.sandbox import get_sandbox

            self._sandbox = get_sandbox(allow_unsandboxed=self.settings.allow_unsandboxed, limits=self.limits)
        return self._sandbox

    def _plateau_store(self) -> PlateauStore | None:
        if not (needs_model(self.args) and self.args.session_id):
            return None
        if self._store is None:
            self._store = open_store(self.settings.redis_url, self.settings.db_path)
        return self._store

    async def _one(self, index: int) -> ItemResult:
        task = self.tasks[index]
        if task is None:
            return ItemResult(index=index, item_id=_item_id(self.items[index], index), status="error",
                              error=self.errors[index])
        evaluator = Evaluator(self.sandbox, self.limits, self.args.repeats, self.budget)
        try:
            if needs_model(self.args):
                store = self._plateau_store()
                result, generated = await generate_and_improve(evaluator, index, task, self.args, store,
                                                               self.settings)
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

    async def results(self) -> AsyncIterator[ItemResult]:
        """Each item's result as it completes, at most `concurrency` items at once."""
        gate = asyncio.Semaphore(self.args.concurrency)

        async def guarded(i: int) -> ItemResult:
            async with gate:
                return await self._one(i)

        pending = [asyncio.ensure_future(guarded(i)) for i in range(len(self.items))]
        try:
            for fut in asyncio.as_completed(pending):
                yield await fut
        finally:
            for p in pending:
                p.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def manifest(self) -> dict[str, Any]:
        """The replay manifest, including the sandbox that actually ran."""
        sandbox_info: dict[str, Any] = {"limits": self.limits.model_dump()}
        if self._sandbox is not None:
            st = self._sandbox.status()
            sandbox_info.update(backend=st.backend, isolated=st.isolated, mechanisms=list(st.mechanisms),
                                workers=st.workers)
        return build_manifest(self.args, self.tasks, sandbox_info, generated=self.generated)

    async def aclose(self) -> None:
        """Release what this run opened (not a sandbox or store the caller passed)."""
        if self._owns_sandbox and self._sandbox is not None:
            await self._sandbox.aclose()
            self._sandbox = None
        if self._owns_store and self._store is not None:
            self._store.close()
            self._store = None


def _item_id(item: Any, index: int) -> str:
    if isinstance(item, dict):
        raw = item.get("task_id", item.get("id"))
        if raw is not None:
            return str(raw)
    return f"item-{index}"


async def arun_items_iter(
    items: Sequence[Any], *, sandbox: Sandbox | None = None, store: PlateauStore | None = None,
    settings: CodeworldSettings | None = None, **provider_args: Any
) -> AsyncIterator[dict[str, Any]]:
    """Yield one result dict per item, in completion order (each carries its `index`)."""
    check_trusted(sandbox, store, settings)
    run = CodeworldRun(items, parse_args(provider_args, settings), sandbox=sandbox, store=store, settings=settings)
    try:
        async for result in run.results():
            yield result.model_dump()
    finally:
        await run.aclose()


async def arun_items(
    items: Sequence[Any], *, sandbox: Sandbox | None = None, store: PlateauStore | None = None,
    settings: CodeworldSettings | None = None, **provider_args: Any
) -> dict[str, Any]:
    """Evaluate every item; the payload carries results in input order and a replay manifest.

    `provider_args` are the request (untrusted); `settings`, `sandbox`, `store` are trusted configuration.

    Raises:
        InvalidRequestError: the arguments or `items` themselves are unusable.
        SandboxUnavailableError: no isolating sandbox works and `allow_unsandboxed` is off.
    """
    check_trusted(sandbox, store, settings)
    args = parse_args(provider_args, settings)
    run = CodeworldRun(items, args, sandbox=sandbox, store=store, settings=settings)
    started = time.perf_counter()
    try:
        collected = [r async for r in run.results()]
        manifest = run.manifest()
    finally:
        await run.aclose()
    collected.sort(key=lambda r: r.index)
    succeeded = sum(r.status == "ok" for r in collected)
    return {
        "summary": {"items": len(collected), "succeeded": succeeded, "failed": len(collected) - succeeded},
        "statistics": {
            "strategy": args.strategy,
            "evaluations": run.evaluations,
            "variants": sum(len(r.ranking) for r in collected),
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "sandbox": manifest["sandbox"].get("backend"),
        },
        "results": [r.model_dump() for r in collected],
        "run_manifest": manifest,
    }


__all__ = ["CodeworldRun", "arun_items", "arun_items_iter", "check_trusted", "parse_args"]
