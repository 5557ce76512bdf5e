"""Runs code variants on cases through the sandbox and records what happened.

Every execution goes through a `Sandbox` (a fresh child per evaluation);
nothing the variants print or return is trusted beyond its JSON value.
Speed comes from the CPU time the kernel accounted to the child from its
start marker to its exit, read by the zygote OUTSIDE the child (`wait4`),
divided by `repeats`: a variant that patches its own clocks or forges its
reply cannot make itself faster, and with no threads, processes or sockets
nothing can compute on its behalf off its clock. CPU time rather than wall
time because it does not swing with the host's load; the wall time,
measured outside as well, is reported beside it and bounds every run. Outputs kept in
the result are bounded per item and per batch (`OutputBudget`); a value past
the budget is still judged, only not echoed back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from scillm.integrations.codeworld.models import Case, CaseRun, CodeTask, StrategyConfig
from scillm.integrations.codeworld.sandbox.base import Limits, RunRequest, RunResult, Sandbox
from scillm.integrations.codeworld.search import SearchStats, ucb_search

DEFAULT_ITEM_OUTPUT_BYTES = 1_000_000
DEFAULT_BATCH_OUTPUT_BYTES = 8_000_000


def limits_for(timeout_ms: int, repeats: int) -> Limits:
    """Sandbox limits for one evaluation: `timeout_ms` wall per call, CPU for every repeat."""
    return Limits.model_validate({"wall_ms": timeout_ms, "cpu_s": max(1, math.ceil(timeout_ms * repeats / 1000))})


def outputs_match(output: object, expected: object) -> bool:
    """JSON-level equality; tuples equal lists, floats equal within 1e-9 relative, integers exactly.

    Never raises on a hostile value: an integer too large for a float is compared exactly or not equal.
    """
    if isinstance(expected, bool) or isinstance(output, bool):
        return type(output) is type(expected) and output == expected
    if isinstance(expected, int) and isinstance(output, int):
        return output == expected
    if isinstance(expected, (int, float)) and isinstance(output, (int, float)):
        try:
            return math.isclose(output, expected, rel_tol=1e-9, abs_tol=1e-12)
        except OverflowError:
            return False
    if isinstance(expected, (list, tuple)) and isinstance(output, (list, tuple)):
        return len(output) == len(expected) and all(outputs_match(o, e) for o, e in zip(output, expected, strict=True))
    if isinstance(expected, dict) and isinstance(output, dict):
        return output.keys() == expected.keys() and all(outputs_match(output[k], expected[k]) for k in expected)
    return bool(output == expected)


class OutputBudget:
    """How many reply bytes a batch, and each item in it, may echo back in its results."""

    def __init__(self, per_item: int, per_batch: int) -> None:
        self.per_item = per_item
        self.left = per_batch

    def item(self) -> ItemBudget:
        """A fresh per-item allowance drawing on this batch's."""
        return ItemBudget(self)


class ItemBudget:
    """One item's share of the batch's output budget."""

    def __init__(self, batch: OutputBudget) -> None:
        self.batch = batch
        self.left = batch.per_item

    def take(self, size: int) -> bool:
        """Reserve `size` bytes; False (nothing reserved) when the item or the batch is out of budget."""
        if size > self.left or size > self.batch.left:
            return False
        self.left -= size
        self.batch.left -= size
        return True


def case_run(case_index: int, case: Case, result: RunResult, repeats: int = 1,
             budget: ItemBudget | None = None) -> CaseRun:
    """Turn a sandbox result into a verdict on one case; a failure is never counted correct."""
    if not result.ok:
        return CaseRun(
            case_index=case_index,
            ok=False,
            passed=False,
            error=result.error or "the run failed without a message",
            error_type=result.error_type or "crashed",
        )
    passed = outputs_match(result.value, case.expected) if case.has_expected else True
    measured = result.cpu_ms if result.cpu_ms is not None else result.wall_ms
    time_ms = measured / repeats if measured is not None and math.isfinite(measured) else None
    kept = budget is None or budget.take(result.reply_bytes)
    return CaseRun(case_index=case_index, ok=True, passed=passed, output=result.value if kept else None,
                   output_dropped=not kept, time_ms=time_ms, wall_ms=result.wall_ms)


class Evaluator:
    """One sandbox and its limits, with a count of the executions spent."""

    def __init__(self, sandbox: Sandbox, limits: Limits, repeats: int = 3,
                 budget: OutputBudget | None = None) -> None:
        self.sandbox = sandbox
        self.limits = limits
        self.repeats = repeats
        self.evaluations = 0
        self.budget = (budget or OutputBudget(DEFAULT_ITEM_OUTPUT_BYTES, DEFAULT_BATCH_OUTPUT_BYTES)).item()

    async def call(self, code: str, entry: str, args: list[Any], repeats: int = 1) -> RunResult:
        """Run `entry(*args)` from `code` once in a fresh sandboxed child."""
        self.evaluations += 1
        return await self.sandbox.run(RunRequest(code=code, entry=entry, args=args, repeats=repeats), self.limits)

    async def run_case(self, task: CodeTask, variant_id: str, case_index: int) -> CaseRun:
        """One variant on one case, timed over `repeats` calls."""
        case = task.cases[case_index]
        result = await self.call(task.variants[variant_id], task.entry, list(case.args), self.repeats)
        return case_run(case_index, case, result, self.repeats, self.budget)

    async def run_all(self, task: CodeTask, variant_ids: Sequence[str]) -> dict[str, list[CaseRun]]:
        """Every variant on every case, spread over the sandbox's worker pool."""
        pairs = [(vid, i) for vid in variant_ids for i in range(len(task.cases))]
        reqs = [
            RunRequest(code=task.variants[vid], entry=task.entry, args=list(task.cases[i].args), repeats=self.repeats)
            for vid, i in pairs
        ]
        self.evaluations += len(reqs)
        results = await self.sandbox.run_many(reqs, self.limits) if reqs else []
        runs: dict[str, list[CaseRun]] = {vid: [] for vid in variant_ids}
        for (vid, i), result in zip(pairs, results, strict=True):
            runs[vid].append(case_run(i, task.cases[i], result, self.repeats, self.budget))
        return runs

    async def run_bandit(
        self, task: CodeTask, variant_ids: Sequence[str], config: StrategyConfig
    ) -> tuple[dict[str, list[CaseRun]], SearchStats]:
        """UCB over the variants; each pull is one real case execution, reward 1 when it passed."""
        runs: dict[str, list[CaseRun]] = {vid: [] for vid in variant_ids}

        async def pull(variant_id: str, case_index: int) -> float:
            run = await self.run_case(task, variant_id, case_index)
            runs[variant_id].append(run)
            return 1.0 if run.passed else 0.0

        stats = await ucb_search(variant_ids, len(task.cases), config, pull)
        return runs, stats


__all__ = ["DEFAULT_BATCH_OUTPUT_BYTES", "DEFAULT_ITEM_OUTPUT_BYTES", "Evaluator", "ItemBudget", "OutputBudget",
           "case_run", "limits_for", "outputs_match"]
