"""Scores and ranks variants from what they did on the cases.

Built-in metrics, each in [0, 1]: `correctness` (share of cases passed),
`robustness` (share that ran without exception or timeout), `speed` (per
case, the fastest time among variants that PASSED it over this variant's; a
failed or wrong run scores 0, so an instant wrong answer sets no pace) and
`brevity` (fewest lines of code among variants over this variant's). The caller's own scoring function runs in the sandbox, never in
this process, and adds metrics of its own, each in [0, 1] like the built-in ones.
"""

from __future__ import annotations

import asyncio
import math
import statistics
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from scillm.integrations.codeworld.models import (
    DEFAULT_METRICS,
    DEFAULT_WEIGHTS,
    CaseRun,
    CodeTask,
    CodeworldArgs,
    ItemResult,
    JudgeMode,
    ScoringSpec,
    VariantScore,
)

if TYPE_CHECKING:
    from scillm.integrations.codeworld.engine import Evaluator
    from scillm.integrations.codeworld.search import SearchStats

LEX_ORDER: tuple[str, ...] = ("correctness", "speed", "brevity")


def lines_of_code(code: str) -> int:
    """Non-blank lines that are not only a comment (at least 1)."""
    count = sum(1 for line in code.splitlines() if line.strip() and not line.strip().startswith("#"))
    return max(count, 1)


def builtin_scores(variants: Mapping[str, str], runs: Mapping[str, Sequence[CaseRun]]) -> dict[str, dict[str, float]]:
    """All four built-in metrics for every variant, relative to the other variants where needed."""
    fastest: dict[int, float] = {}
    for vruns in runs.values():
        for run in vruns:
            if run.passed and run.time_ms is not None and math.isfinite(run.time_ms):
                t = max(run.time_ms, 1e-6)
                fastest[run.case_index] = min(fastest.get(run.case_index, math.inf), t)
    shortest = min((lines_of_code(c) for c in variants.values()), default=1)
    out: dict[str, dict[str, float]] = {}
    for vid, code in variants.items():
        vruns = list(runs.get(vid, ()))
        n = len(vruns)
        ratios = [
            fastest[r.case_index] / max(r.time_ms, 1e-6)
            if r.passed and r.time_ms is not None and math.isfinite(r.time_ms) else 0.0
            for r in vruns
        ]
        out[vid] = {
            "correctness": sum(r.passed for r in vruns) / n if n else 0.0,
            "robustness": sum(r.ok for r in vruns) / n if n else 0.0,
            "speed": statistics.fmean(ratios) if ratios else 0.0,
            "brevity": shortest / lines_of_code(code),
        }
    return out


def non_finite(scores: Mapping[str, float]) -> list[str]:
    """Names of the metrics whose value is NaN or infinite."""
    return [m for m, v in scores.items() if not math.isfinite(v)]


def aggregate(scores: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """Weighted mean over the metrics present, normalised by their weights; 0 when any metric is not finite
    or the mean itself overflows.

    Metrics without a weight (the user's own) weigh 1; a weight of 0 drops a metric.
    """
    merged = {**DEFAULT_WEIGHTS, **weights}
    if non_finite(scores) or not all(math.isfinite(w) for w in merged.values()):
        return 0.0
    total = 0.0
    norm = 0.0
    for metric, value in scores.items():
        w = merged.get(metric, 1.0)
        if w <= 0:
            continue
        total += w * value
        norm += w
    mean = total / norm if norm else 0.0
    return mean if math.isfinite(mean) else 0.0


def rank(rows: list[VariantScore], mode: JudgeMode, full: Mapping[str, Mapping[str, float]]) -> list[VariantScore]:
    """Order rows best first: by aggregate (`weighted`) or correctness, speed, brevity (`lex`).

    `full` holds every built-in metric per variant so `lex` works even when
    the caller asked for a subset of metrics. Ties fall back to the id.
    """
    if mode == "lex":
        def key(r: VariantScore) -> tuple[Any, ...]:
            metrics = full.get(r.variant_id, {})
            return (*(_desc(metrics.get(m, 0.0)) for m in LEX_ORDER), _desc(r.aggregate), r.variant_id)
    else:
        def key(r: VariantScore) -> tuple[Any, ...]:
            return (_desc(r.aggregate), _desc(full.get(r.variant_id, {}).get("correctness", 0.0)), r.variant_id)
    return sorted(rows, key=key)


def _desc(value: float) -> float:
    """Sort key for "higher is better" that puts NaN and infinities after every finite value."""
    return -value if math.isfinite(value) else math.inf


def error_lines(vruns: Sequence[CaseRun], limit: int = 5) -> list[str]:
    """Readable failures (`case 3: ZeroDivisionError: ...`), at most `limit` plus a count."""
    lines: list[str] = []
    for r in vruns:
        if r.passed:
            continue
        if r.ok:
            lines.append(f"case {r.case_index}: wrong output {_short(r.output)}")
        else:
            lines.append(f"case {r.case_index}: {r.error_type or 'Error'}: {r.error or ''}".rstrip(": "))
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more failing cases"]
    return lines


def _short(value: object, width: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


async def user_scores(
    evaluator: Evaluator,
    spec: ScoringSpec,
    task: CodeTask,
    variant_id: str,
    vruns: Sequence[CaseRun],
) -> tuple[dict[str, float] | None, str | None]:
    """Run the caller's `score(task, context, outputs, timings)` in the sandbox for one variant.

    Returns its metrics, or None and the error text when it crashed, timed
    out or returned something other than `{name: finite number}`.
    """
    context = {**_jsonable_context(task.context), "variant_id": variant_id, "code": task.variants.get(variant_id, "")}
    outputs = [r.output if r.ok else None for r in vruns]
    timings = [r.time_ms for r in vruns]
    result = await evaluator.call(spec.code, spec.entry, [task.task, context, outputs, timings], repeats=1)
    if not result.ok:
        return None, f"scoring function failed: {result.error_type or 'Error'}: {result.error or ''}"
    value = result.value
    metrics = _metric_values(value)
    if metrics is None:
        return None, f"scoring function must return {{metric: number}}, each in [0, 1], got {_short(value)}"
    reserved = {m.casefold() for m in (*DEFAULT_METRICS, "aggregate")}
    clash = sorted(k for k in metrics if k.strip().casefold() in reserved)
    if clash:
        return None, f"scoring function may not redefine built-in metric(s) {', '.join(clash)}"
    return metrics, None


def _metric_values(value: object) -> dict[str, float] | None:
    """`{name: float}` from a decoded reply, or None: bools, text, and numbers outside [0, 1] (the built-in
    metrics' range, so one metric cannot outweigh the others by magnitude) are refused."""
    if not isinstance(value, dict):
        return None
    out: dict[str, float] = {}
    for k, v in value.items():
        if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, (int, float)):
            return None
        try:
            number = float(v)
        except OverflowError:
            return None
        if not 0.0 <= number <= 1.0:
            return None
        out[k] = number
    return out


def _jsonable_context(context: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if k != "code_variants"}


async def judge_runs(
    evaluator: Evaluator,
    index: int,
    task: CodeTask,
    runs: Mapping[str, Sequence[CaseRun]],
    args: CodeworldArgs,
    search: SearchStats | None = None,
) -> ItemResult:
    """Score, rank and package one item's runs.

    Under a search the order follows its recommendation (posterior mean,
    then visits, then the judge's order): a variant pulled twice and lucky
    both times must not outrank one that passed fifty cases.
    """
    full = builtin_scores(task.variants, runs)
    vids = list(task.variants)
    extras: list[tuple[dict[str, float] | None, str | None]] = [({}, None)] * len(vids)
    user_metrics: list[str] = []
    if args.scoring is not None:
        spec = args.scoring
        extras = list(await asyncio.gather(
            *(user_scores(evaluator, spec, task, vid, list(runs.get(vid, ()))) for vid in vids)
        ))
        user_metrics = list(dict.fromkeys([*spec.metrics, *(m for extra, _ in extras for m in (extra or {}))]))
    rows: list[VariantScore] = []
    for vid, (extra, err) in zip(vids, extras, strict=True):
        vruns = list(runs.get(vid, ()))
        scores: dict[str, float] = {m: full[vid][m] for m in args.metrics}
        scores.update({m: (extra or {}).get(m, 0.0) for m in user_metrics})
        errors = error_lines(vruns) + ([err] if err else [])
        missing = [m for m in user_metrics if extra is not None and m not in extra]
        if err and user_metrics:
            errors.append(f"scored 0 on {', '.join(user_metrics)}: the scoring function failed for this variant")
        elif missing:
            errors.append(f"scored 0 on {', '.join(missing)}: the scoring function did not return them")
        bad = non_finite(scores)
        total = aggregate(scores, args.weights)
        if bad:
            errors.append(f"aggregate 0: metric(s) {', '.join(bad)} not finite (shown as 0)")
            scores = {m: v if math.isfinite(v) else 0.0 for m, v in scores.items()}
        rows.append(
            VariantScore(
                variant_id=vid,
                scores=scores,
                aggregate=total,
                cases_passed=sum(r.passed for r in vruns),
                cases_run=len(vruns),
                errors=errors,
            )
        )
    ranking = rank(rows, args.judge_mode, full)
    if search is not None:
        position = {r.variant_id: i for i, r in enumerate(ranking)}
        ranking.sort(key=lambda r: (-search.posterior.get(r.variant_id, 0.0), -search.visits.get(r.variant_id, 0),
                                    position[r.variant_id]))
    search_payload: dict[str, Any] | None = None
    if search is not None:
        search_payload = {
            **search.as_payload(),
            "cases_run": {vid: [r.case_index for r in vruns] for vid, vruns in runs.items()},
        }
    return ItemResult(
        index=index,
        item_id=task.task_id,
        status="ok",
        ranking=ranking,
        best_variant=ranking[0].variant_id if ranking else None,
        outputs={vid: [r.output for r in vruns] for vid, vruns in runs.items()},
        timings={vid: [r.time_ms for r in vruns] for vid, vruns in runs.items()},
        search=search_payload,
    )


__all__ = [
    "LEX_ORDER", "aggregate", "builtin_scores", "error_lines", "judge_runs", "lines_of_code",
    "non_finite", "rank", "user_scores",
]
