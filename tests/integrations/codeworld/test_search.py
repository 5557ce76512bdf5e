"""UCB search over variants: budget, determinism per seed, exhaustion, recommendation.

The rewards here come from a fixed table so the algorithm is tested alone;
tests/integrations/codeworld/test_api.py runs the same search on real executions.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from scillm.integrations.codeworld.models import StrategyConfig
from scillm.integrations.codeworld.search import ucb_search


def _table(n_variants: int, n_cases: int) -> dict[str, list[float]]:
    rng = random.Random(1234)
    rates = [0.0, 0.5, 0.35, 0.6, 0.3, 0.45, 0.7, 0.4]
    return {f"v{i}": [0.0 if rng.random() < rates[i % len(rates)] else 1.0 for _ in range(n_cases)]
            for i in range(n_variants)}


async def _search(seed: int, rollouts: int = 60, parallel: int = 1) -> tuple[object, list[tuple[str, int]]]:
    table = _table(8, 50)
    log: list[tuple[str, int]] = []

    async def pull(vid: str, case: int) -> float:
        log.append((vid, case))
        return table[vid][case]

    stats = await ucb_search(list(table), 50, StrategyConfig(rollouts=rollouts, seed=seed, parallel=parallel), pull)
    return stats, log


@pytest.mark.parametrize("parallel", [1, 3])
async def test_budget_is_spent_exactly_and_best_found(parallel: int) -> None:
    for seed in range(10):
        stats, log = await _search(seed, parallel=parallel)
        assert len(log) == 60 == stats.pulls  # type: ignore[attr-defined]
        assert stats.best == "v0"  # type: ignore[attr-defined]
        assert sum(stats.visits.values()) == 60  # type: ignore[attr-defined]
        assert stats.visits["v0"] == max(stats.visits.values())  # type: ignore[attr-defined]


async def test_same_seed_same_pulls_other_seed_other_cases() -> None:
    a, log_a = await _search(5)
    b, log_b = await _search(5)
    c, log_c = await _search(6)
    assert log_a == log_b and a == b
    assert [case for _, case in log_a] != [case for _, case in log_c]
    p, log_p = await _search(5, parallel=2)
    q, log_q = await _search(5, parallel=2)
    assert p == q and sorted(log_p) == sorted(log_q)


async def test_exhausted_arms_stop_the_search() -> None:
    async def pull(vid: str, case: int) -> float:
        return 1.0 if vid == "a" else 0.0

    stats = await ucb_search(["a", "b"], 3, StrategyConfig(rollouts=100, seed=0), pull)
    assert stats.pulls == 6
    assert stats.visits == {"a": 3, "b": 3}
    assert stats.values == {"a": 1.0, "b": 0.0}
    assert stats.posterior == {"a": 0.8, "b": 0.2}
    assert stats.best == "a"



async def test_parallel_rounds_pull_distinct_arms() -> None:
    rounds: list[list[str]] = []
    current: list[str] = []

    async def pull(vid: str, case: int) -> float:
        current.append(vid)
        await asyncio.sleep(0)
        if len(current) == 2:
            rounds.append(sorted(current))
            current.clear()
        return 1.0 if vid == "a" else 0.5

    stats = await ucb_search(["a", "b", "c"], 10, StrategyConfig(rollouts=12, seed=0, parallel=2), pull)
    assert stats.pulls == 12 and len(rounds) == 6
    assert all(r[0] != r[1] for r in rounds)
    assert rounds[0] == ["a", "b"]
