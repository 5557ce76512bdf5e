"""How much a result-cache hit saves over a warm Coq check, and what SQLite costs.

Runs N distinct Coq candidates (half correct, half wrong) through
`CachingChecker(CoqChecker)` twice: the first pass reaches coqtop, the second
is answered from the cache. Prints median latency per pass and the ratio, for
the in-memory LRU and for SQLite. Needs coqtop on PATH.

    python benchmarks/cache_hits.py [N]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scillm.integrations.certainly.cache import CachingChecker, MemoryCache, ResultCache, SqliteCache
from scillm.integrations.certainly.checkers.coq import CoqChecker
from scillm.integrations.certainly.models import Problem


def _candidates(n: int) -> list[tuple[Problem, str]]:
    out = []
    for i in range(n):
        problem = Problem(header="Require Import Lia.", theorem_name=f"bench_{i}",
                          statement=f"forall x : nat, x + {i} >= {i}")
        out.append((problem, "intros x. lia." if i % 2 == 0 else "intros x. reflexivity."))
    return out


async def _pass(checker: CachingChecker, items: list[tuple[Problem, str]]) -> list[float]:
    times = []
    for problem, proof in items:
        t0 = time.perf_counter()
        await checker.check(problem, proof, confirm=False)
        times.append((time.perf_counter() - t0) * 1000)
    return times


async def _run(label: str, cache: ResultCache, items: list[tuple[Problem, str]]) -> None:
    inner = CoqChecker(pool_size=1)
    checker = CachingChecker(inner, cache)
    try:
        await checker.check(items[0][0].model_copy(update={"theorem_name": "warmup"}), "intros x. lia.",
                            confirm=False)
        misses = await _pass(checker, items)
        hits = await _pass(checker, items)
    finally:
        await checker.aclose()
        cache.close()
    miss_ms, hit_ms = statistics.median(misses), statistics.median(hits)
    print(f"{label:7s} n={len(items)} miss median {miss_ms:8.3f} ms  hit median {hit_ms:7.3f} ms  "
          f"ratio {miss_ms / hit_ms:7.1f}x  hits={checker.hits} misses={checker.misses}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    items = _candidates(n)
    asyncio.run(_run("memory", MemoryCache(), items))
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_run("sqlite", SqliteCache(Path(tmp) / "bench.sqlite"), items))


if __name__ == "__main__":
    main()
