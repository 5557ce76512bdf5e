"""Spend a fixed evaluation budget on the variants that might be best (UCB1).

Each pull is one real execution of one variant on one case, through the
`pull` callable the engine provides. All arms walk the same seeded
permutation of the cases (paired comparisons); an arm that has seen every
case has an exact value and is not pulled again. The search is a one-level
MCTS: `mcts` and `bandit` name the same thing. For a given seed and given
pull results the sequence of pulls is fully determined.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from scillm.integrations.codeworld.models import StrategyConfig

PullFn = Callable[[str, int], Awaitable[float]]
"""(variant id, case index) -> reward in [0, 1] from one real execution."""


class SearchStats(BaseModel):
    """What the search did: visits and value estimate per variant, and its recommendation."""

    seed: int
    rollouts: int = Field(description="The budget asked for.")
    pulls: int = Field(description="Executions actually spent (less when every arm is exhausted).")
    uct_c: float
    visits: dict[str, int]
    values: dict[str, float] = Field(description="Mean reward per variant (0 when never pulled).")
    posterior: dict[str, float] = Field(
        description="(total reward + 1) / (visits + 2): the mean under a uniform prior, which ranks "
        "an arm lucky on two pulls below one that passed fifty."
    )
    best: str | None = Field(description="Highest posterior, then most visited, then first given.")
    case_order: list[int] = Field(description="The seeded case permutation every arm walks.")

    def as_payload(self) -> dict[str, Any]:
        """The statistics as they appear in an item result."""
        return self.model_dump()


async def ucb_search(
    variant_ids: Sequence[str], n_cases: int, config: StrategyConfig, pull: PullFn
) -> SearchStats:
    """Run UCB1 for `config.rollouts` pulls over `variant_ids` on `n_cases` cases.

    With `config.parallel > 1` each round pulls that many distinct arms at
    once (the best by UCB), so the sandbox's workers stay busy; rewards are
    applied in selection order, so the run stays deterministic per seed.
    """
    rng = random.Random(config.seed)
    order = list(range(n_cases))
    rng.shuffle(order)
    arms = list(variant_ids)
    visits = dict.fromkeys(arms, 0)
    totals = dict.fromkeys(arms, 0.0)
    pulls = 0
    while pulls < config.rollouts:
        batch = _select(arms, visits, totals, n_cases, pulls, config.uct_c,
                        min(config.parallel, config.rollouts - pulls))
        if not batch:
            break
        rewards = await asyncio.gather(*(pull(arm, order[visits[arm]]) for arm in batch))
        for arm, reward in zip(batch, rewards, strict=True):
            visits[arm] += 1
            totals[arm] += min(max(float(reward), 0.0), 1.0)
        pulls += len(batch)
    values = {a: totals[a] / visits[a] if visits[a] else 0.0 for a in arms}
    posterior = {a: (totals[a] + 1.0) / (visits[a] + 2.0) for a in arms}
    best = min(arms, key=lambda a: (-posterior[a], -visits[a], arms.index(a))) if arms else None
    return SearchStats(
        seed=config.seed,
        rollouts=config.rollouts,
        pulls=pulls,
        uct_c=config.uct_c,
        visits=visits,
        values=values,
        posterior=posterior,
        best=best,
        case_order=order,
    )


def _select(
    arms: Sequence[str],
    visits: dict[str, int],
    totals: dict[str, float],
    n_cases: int,
    pulls: int,
    c: float,
    k: int,
) -> list[str]:
    """Up to `k` distinct arms: unvisited ones first (in given order), then by upper confidence bound."""
    open_arms = [a for a in arms if visits[a] < n_cases]
    unvisited = [a for a in open_arms if visits[a] == 0]
    if len(unvisited) >= k:
        return unvisited[:k]
    log_n = math.log(max(pulls, 1))

    def ucb(a: str) -> float:
        return totals[a] / visits[a] + c * math.sqrt(log_n / visits[a])

    visited = sorted((a for a in open_arms if visits[a] > 0), key=lambda a: (-ucb(a), arms.index(a)))
    return unvisited + visited[: k - len(unvisited)]
