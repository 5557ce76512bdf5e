"""Stepwise best-first search vs the flat portfolio at equal wall time per item (miniF2F-Rocq valid subset).

Run: python benchmarks/search_vs_portfolio.py [--sample 20] [--seed 3] [--max-seconds 15]
Both modes go through the same loop and warm checker with the same
`max_seconds` per item, one item at a time: "flat" walks the ranked portfolio
with repairs (`search=False`, as many rounds as time allows), "search" runs
the first flat round and then the best-first search over goal states. Prints
proofs found by each, the ratio search/flat, and the items only one mode
proved. Skips cleanly when the data or coqtop is absent.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import time
from pathlib import Path

from scillm.integrations.certainly.checkers.coq import CoqChecker
from scillm.integrations.certainly.loop import Budget, prove_problem
from scillm.integrations.certainly.normalize import split_coq_file
from scillm.integrations.certainly.proposers.portfolio import PortfolioProposer

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "minif2f-rocq" / "valid"


async def run(files: list[Path], seconds: float) -> int:
    checker = CoqChecker()
    proved: dict[str, set[str]] = {"flat": set(), "search": set()}
    wall = {"flat": 0.0, "search": 0.0}
    try:
        for f in files:
            problem = split_coq_file(f.read_text(encoding="utf-8"))
            for mode in ("flat", "search"):
                budget = Budget(max_seconds=seconds, max_rounds=1000, max_total_checks=100_000,
                                candidates_per_round=8, check_concurrency=1, search=mode == "search")
                t0 = time.monotonic()
                out = await prove_problem(problem, PortfolioProposer(), checker, budget)
                wall[mode] += time.monotonic() - t0
                if out.status == "proved":
                    proved[mode].add(f.stem)
            print(f"  {f.stem}: flat={'proved' if f.stem in proved['flat'] else '-'} "
                  f"search={'proved' if f.stem in proved['search'] else '-'}", flush=True)
    finally:
        checker.close()
    n_flat, n_search = len(proved["flat"]), len(proved["search"])
    print(f"files={len(files)}, max_seconds={seconds} per item and mode, one item at a time")
    print(f"flat portfolio: {n_flat} proved in {wall['flat']:.0f} s; stepwise search: {n_search} proved in "
          f"{wall['search']:.0f} s")
    ratio = n_search / n_flat if n_flat else float("inf") if n_search else float("nan")
    print(f"ratio search/flat = {ratio:.2f}")
    print(f"only search: {sorted(proved['search'] - proved['flat'])}")
    print(f"only flat: {sorted(proved['flat'] - proved['search'])}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sample", type=int, default=20)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--max-seconds", type=float, default=15.0)
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent")
        return 0
    if shutil.which("coqtop") is None:
        print("skipped: coqtop is not on PATH (apt-get install coq)")
        return 0
    files = sorted(DATA.glob("*.v"))
    files = sorted(random.Random(args.seed).sample(files, min(args.sample, len(files))))
    return asyncio.run(run(files, args.max_seconds))


if __name__ == "__main__":
    sys.exit(main())
