"""Typed boundaries of codeworld: items, provider arguments and per-item results.

These models are the contract between the engine, the judge, the search,
the provider adapter and the bridges; keep them free of logic.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Metric = Literal["correctness", "speed", "brevity", "robustness"]
Strategy = Literal["all", "bandit", "mcts"]
JudgeMode = Literal["weighted", "lex"]
ItemStatus = Literal["ok", "error", "timeout"]

Weight = Annotated[float, Field(ge=0.0, le=1e6, allow_inf_nan=False)]
"""A metric's weight: finite and bounded, so a weighted sum of scores in range stays finite."""

DEFAULT_METRICS: tuple[Metric, ...] = ("correctness", "speed", "brevity", "robustness")
DEFAULT_WEIGHTS: dict[str, float] = {"correctness": 1.0, "robustness": 0.3, "speed": 0.2, "brevity": 0.1}


class Case(BaseModel):
    """One input with its expected output; `args` are the positional arguments of the entry."""

    model_config = ConfigDict(frozen=True)

    args: list[Any] = Field(description="Positional arguments passed to the entry function.")
    expected: Any = Field(default=None, description="The value the entry must return (compared after a JSON round trip).")
    has_expected: bool = Field(default=True, description="False when the case only checks that the code runs.")


class CodeTask(BaseModel):
    """One normalised item: what to solve, the candidate programs and the cases."""

    model_config = ConfigDict(frozen=True)

    task: str = Field(default="", description="Natural-language description, used by autogenerate.")
    task_id: str = Field(description="The item's task_id/id, or `item-<index>`.")
    variants: dict[str, str] = Field(default_factory=dict, description="variant id -> source code.")
    cases: list[Case] = Field(default_factory=list)
    entry: str = Field(default="solve", description="Name of the function every variant defines.")
    context: dict[str, Any] = Field(default_factory=dict, description="The item's context as given.")


class StrategyConfig(BaseModel):
    """Search budget: `rollouts` case executions in all, UCB constant, seed, per-run wall limit."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    rollouts: int = Field(default=64, ge=1, le=100_000)
    uct_c: float = Field(default=1.4, ge=0.0)
    seed: int = 0
    timeout_ms: int = Field(default=2000, ge=10, le=600_000)
    parallel: int = Field(default=1, ge=1, le=64, description="Pulls per search round, run at once.")


class ScoringSpec(BaseModel):
    """The caller's own `score(task, context, outputs, timings) -> {metric: float}`, run in the sandbox."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    lang: Literal["py"] = "py"
    code: str = Field(min_length=1)
    entry: str = "score"
    metrics: tuple[str, ...] = Field(
        default=(), description="Metric names the function returns; a variant it fails on scores 0 on each "
        "(names the function returned for other variants count too).")


class AutogenConfig(BaseModel):
    """LLM-generated variants: `n` first drafts from `model`, then improvement rounds."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    enabled: bool = False
    n: int = Field(default=3, ge=1, le=32)
    model: str | None = Field(default=None, description="An alias the server declared in CodeworldSettings.models.")
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    api_base: str | None = Field(default=None, description="Server configuration: a request setting it is refused.")
    api_key: str | None = Field(default=None, description="Server configuration: a request setting it is refused.")
    custom_llm_provider: str | None = Field(default=None, description="Server configuration: refused in a request.")
    max_tokens: int = Field(default=1024, ge=16, le=32768)
    timeout_s: float = Field(default=60.0, gt=0, le=600)


class CodeworldArgs(BaseModel):
    """Every provider argument `arun_items` accepts, validated once per call."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    strategy: Strategy = "all"
    strategy_config: StrategyConfig = Field(default_factory=StrategyConfig)
    metrics: tuple[Metric, ...] = DEFAULT_METRICS
    scoring: ScoringSpec | None = None
    judge: Literal["default"] | None = Field(
        default=None, description="Judge preset: the built-in metrics plus `scoring`; `default` is the only one."
    )
    judge_mode: JudgeMode = "weighted"
    weights: dict[str, Weight] = Field(default_factory=dict, description="Overrides of DEFAULT_WEIGHTS.")
    iterations: int = Field(default=0, ge=0, le=50, description="Improvement rounds after autogenerate.")
    autogenerate: AutogenConfig = Field(default_factory=AutogenConfig)
    repeats: int = Field(default=3, ge=1, le=100, description="Timed repeats per case; speed uses the median.")
    session_id: str | None = Field(default=None, description="Key of the plateau history across calls.")
    concurrency: int = Field(default=2, ge=1, le=64, description="Items evaluated at once.")
    allow_unsandboxed: bool = Field(default=False, description="Server configuration "
                                    "(CodeworldSettings.allow_unsandboxed): a request setting it is refused.")


class CaseRun(BaseModel):
    """One variant run on one case: its output, median time and verdict."""

    model_config = ConfigDict(frozen=True)

    case_index: int
    ok: bool = Field(description="Ran to completion without exception or timeout.")
    passed: bool = Field(description="ok and the output equals the expected value.")
    output: Any = None
    output_dropped: bool = Field(default=False, description="The output was judged but not kept: over the output budget.")
    time_ms: float | None = Field(
        default=None, description="CPU time per repeat, kernel-accounted and read outside the child, when ok.")
    wall_ms: float | None = Field(default=None, description="Wall time of the whole child, measured outside it.")
    error: str | None = None
    error_type: str | None = None


class VariantScore(BaseModel):
    """One row of an item's ranking."""

    variant_id: str
    scores: dict[str, float]
    aggregate: float
    cases_passed: int
    cases_run: int
    errors: list[str] = Field(default_factory=list)


class ItemResult(BaseModel):
    """The answer for one input item; exactly one per item, in input order."""

    model_config = ConfigDict(frozen=True)

    index: int
    item_id: str
    status: ItemStatus
    ranking: list[VariantScore] = Field(default_factory=list)
    best_variant: str | None = None
    outputs: dict[str, list[Any]] = Field(default_factory=dict, description="variant id -> output per case run.")
    timings: dict[str, list[float | None]] = Field(default_factory=dict, description="variant id -> ms per case run.")
    search: dict[str, Any] | None = Field(default=None, description="Bandit statistics: visits, values, seed.")
    autogen: dict[str, Any] | None = Field(default=None, description="Rounds, plateau and generated variant ids.")
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The documented JSON object."""
        data: dict[str, Any] = self.model_dump()
        return data


__all__ = [
    "AutogenConfig", "Case", "CaseRun", "CodeTask", "CodeworldArgs", "DEFAULT_METRICS",
    "DEFAULT_WEIGHTS", "ItemResult", "ItemStatus", "JudgeMode", "Metric", "ScoringSpec",
    "Strategy", "StrategyConfig", "VariantScore",
]
