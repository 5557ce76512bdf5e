"""How much a bandit search saves over running every variant on every case.

Task: 8 variants of `x * x` (one exact, seven wrong on 1/2 .. 1/8 of the
inputs) on 50 cases, i.e. 400 executions for a full sweep. For each seed
the script runs the full sweep once and the UCB search with a budget of 60,
all in the real sandbox, and prints executions, wall time, and whether each
found the exact variant.

    python benchmarks/codeworld_search.py [--seeds 5] [--rollouts 60] [--parallel 2]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from scillm.integrations.codeworld.api import arun_items
from scillm.integrations.codeworld.sandbox import get_sandbox


def _item(n_cases: int) -> dict[str, Any]:
    variants = {"exact": "def solve(x):\n    return x * x\n"}
    for k in range(2, 9):
        variants[f"off{k}"] = f"def solve(x):\n    return x * x if x % {k} else x * x + 1\n"
    cases = [{"input": x, "expected": x * x} for x in range(1, n_cases + 1)]
    return {"task_id": "square", "context": {"code_variants": variants, "cases": cases}}


async def _timed(**kwargs: Any) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    payload = await arun_items(**kwargs)
    return payload, time.perf_counter() - started


async def main(seeds: int, rollouts: int, n_cases: int, parallel: int) -> None:
    sandbox = get_sandbox()
    item = _item(n_cases)
    try:
        await arun_items([item], sandbox=sandbox, repeats=1)  # warm the workers
        full, full_s = await _timed(items=[item], sandbox=sandbox, repeats=1)
        print(f"full sweep: {full['statistics']['evaluations']} executions in {full_s:.2f} s, "
              f"best={full['results'][0]['best_variant']} backend={full['statistics']['sandbox']}")
        found = 0
        total_s = 0.0
        for seed in range(seeds):
            payload, secs = await _timed(items=[item], sandbox=sandbox, repeats=1, strategy="bandit",
                                         strategy_config={"rollouts": rollouts, "seed": seed,
                                                                           "parallel": parallel})
            result = payload["results"][0]
            found += result["best_variant"] == "exact"
            total_s += secs
            visits = result["search"]["visits"]
            print(f"seed {seed}: {payload['statistics']['evaluations']} executions in {secs:.2f} s, "
                  f"best={result['best_variant']} visits(exact)={visits['exact']} "
                  f"max other={max(v for k, v in visits.items() if k != 'exact')}")
        mean_s = total_s / max(seeds, 1)
        print(f"bandit found the exact variant in {found}/{seeds} seeds; "
              f"executions ratio full/bandit = {full['statistics']['evaluations'] / rollouts:.1f}x, "
              f"wall ratio = {full_s / mean_s:.1f}x")
    finally:
        await sandbox.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--rollouts", type=int, default=60)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--parallel", type=int, default=1, help="pulls per search round")
    ns = parser.parse_args()
    asyncio.run(main(ns.seeds, ns.rollouts, ns.cases, ns.parallel))
