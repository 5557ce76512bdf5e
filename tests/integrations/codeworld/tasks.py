"""Real tasks shared by the codeworld tests: sources and cases, nothing precomputed."""

from __future__ import annotations

import random
from typing import Any

SORT_GOOD = "def solve(xs):\n    return sorted(xs)\n"
SORT_DEDUP = "def solve(xs):\n    return sorted(set(xs))\n"  # subtly wrong: drops duplicates
SORT_SLOW = """def solve(xs):
    xs = list(xs)
    n = len(xs)
    for i in range(n):
        for j in range(n - 1 - i):
            if xs[j] > xs[j + 1]:
                xs[j], xs[j + 1] = xs[j + 1], xs[j]
    return xs
"""


def sort_cases(n_cases: int = 6, size: int = 300, seed: int = 7) -> list[dict[str, Any]]:
    """Random lists; every one of them has duplicates, so `SORT_DEDUP` fails them all but the first."""
    rng = random.Random(seed)
    cases: list[dict[str, Any]] = [{"input": [3, 1, 2], "expected": [1, 2, 3]}]
    for _ in range(n_cases - 1):
        xs = [rng.randrange(size // 4) for _ in range(size)]
        cases.append({"input": xs, "expected": sorted(xs)})
    return cases


def sort_item(**extra_variants: str) -> dict[str, Any]:
    variants = {"good": SORT_GOOD, "dedup": SORT_DEDUP, "slow": SORT_SLOW, **extra_variants}
    return {"task": "Sort a list of integers ascending.", "task_id": "sort",
            "context": {"code_variants": variants, "cases": sort_cases()}}


def square_variants() -> dict[str, str]:
    """One correct `x*x`, seven that are wrong on a share of the inputs (1/2 .. 1/8 of them)."""
    variants = {"exact": "def solve(x):\n    return x * x\n"}
    for k in range(2, 9):
        variants[f"off{k}"] = f"def solve(x):\n    return x * x if x % {k} else x * x + 1\n"
    return variants


def square_item(n_cases: int = 50) -> dict[str, Any]:
    cases = [{"input": x, "expected": x * x} for x in range(1, n_cases + 1)]
    return {"task": "Square an integer.", "task_id": "square", "context": {"code_variants": square_variants(), "cases": cases}}
