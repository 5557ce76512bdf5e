"""What soundness costs: the independent verdict per proved item, and warm/cold with sandboxed provers.

Run: python benchmarks/soundness_overhead.py [--minif2f 50] [--max-seconds 20] [--warm-checks 60]
For the bundled examples (scillm/integrations/certainly/examples/basic.json)
and the first N miniF2F-Rocq valid problems (skipped when
../shared/benchmarks/minif2f-rocq/valid is absent), the offline portfolio
searches each item through the engine; every proof it reports `proved` is
then put through a fresh `VerdictEngine` (nothing cached), timing the first
verdict (problem compiled) and a second one on the same problem (compiled
problem reused, as when `prefetch_verdict` compiled it while the search ran),
with the trusted imports the search added. Then warm coqtop vs cold coqc, both inside bubblewrap, on a
Lia header. Prints measured numbers only (goals: verdict <= 1 s per proved
item, warm >= 100x cold).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from scillm.integrations.certainly.checkers import get_checker
from scillm.integrations.certainly.checkers import prover_sandbox as sandbox
from scillm.integrations.certainly.checkers.coq import CoqChecker
from scillm.integrations.certainly.checkers.prover_sandbox import probe
from scillm.integrations.certainly.checkers.trusted import normalize_import
from scillm.integrations.certainly.checkers.verdict import VerdictEngine
from scillm.integrations.certainly.checkers.verdict_problem import Deadline, ProverRunner
from scillm.integrations.certainly.engine import arun_items
from scillm.integrations.certainly.normalize import normalize_item

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "scillm" / "integrations" / "certainly" / "examples" / "basic.json"
MINIF2F = ROOT.parent / "shared" / "benchmarks" / "minif2f-rocq" / "valid"


def _imports(result: dict[str, Any], header: str) -> tuple[str, ...]:
    """The trusted imports the search added, read back from the reported file (header, then the imports)."""
    code = result.get("coq_code") or ""
    head = header.strip()
    rest = code[len(head):] if head and code.startswith(head) else code
    found: list[str] = []
    for line in rest.lstrip("\n").splitlines():
        m = re.fullmatch(r"Require Import ([\w.]+)\.", line.strip())
        if m is None or normalize_import(m.group(1)) is None:
            break
        found.append(m.group(1))
    return tuple(found)


class _TimedRunner:
    """Wraps the engine's prover runner to time each stage (Problem/Candidate/Verify coqc, coqchk)."""

    def __init__(self, inner: ProverRunner) -> None:
        self.inner = inner
        self.ms: dict[str, list[float]] = defaultdict(list)

    def __call__(self, tool: str, args: list[str], mounts: sandbox.Mounts, sandboxed: bool,
                 deadline: Deadline) -> sandbox.RunResult:
        t0 = time.perf_counter()
        run = self.inner(tool, args, mounts, sandboxed, deadline)
        stage = "coqchk" if tool == "coqchk" else f"coqc {args[-1].removesuffix('.v')}"
        self.ms[stage].append((time.perf_counter() - t0) * 1000)
        return run


def _median(xs: list[float]) -> str:
    return f"{statistics.median(xs):.0f} ms" if xs else "n/a"


async def verdict_costs(name: str, items: list[Any], max_seconds: float) -> None:
    """Search each item, then time fresh verdicts on what was proved."""
    options = {"max_rounds": 1, "candidates_per_round": 8, "max_seconds": max_seconds, "concurrency": 1,
               "cache": False, "explain_failures": False}
    t0 = time.perf_counter()
    payload = await arun_items(items, options=options, request_timeout=None)
    search_s = time.perf_counter() - t0
    proved = [(i, r) for i, r in enumerate(payload["results"]) if r["status"] == "proved"]
    engine = VerdictEngine()
    timed = None
    if engine._run is not None and engine.problems is not None:
        timed = _TimedRunner(engine._run)
        engine._run = engine.problems.runner = timed  # type: ignore[assignment]
    first: list[float] = []
    again: list[float] = []
    disagree = 0
    try:
        for i, r in proved:
            norm = normalize_item(items[i], i, backend="coq")
            assert norm.problem is not None
            imports = _imports(r, norm.problem.header)
            v1 = engine.check(norm.problem, r["proof"], imports)
            v2 = engine.check(norm.problem, r["proof"], imports)
            disagree += (v1.status != "proved") + (v2.status != "proved")
            for v in (v1, v2):
                if v.status != "proved":
                    print(f"  disagreement on {norm.item_id}: {v.status}: {v.message[:200]}")
            first.append(v1.time_ms)
            again.append(v2.time_ms)
    finally:
        engine.close()
    print(f"{name}: {len(items)} items, {len(proved)} proved (search {search_s:.1f} s); independent verdict per "
          f"proved item: median {_median(first)} with the problem compiled, {_median(again)} when the compiled "
          f"problem is reused; verdict disagreements with the engine: {disagree}")
    if timed is not None:
        stages = ", ".join(f"{k} {_median(v)} x{len(v)}" for k, v in sorted(timed.ms.items()))
        print(f"  per prover run (median, count): {stages} (Verify and coqchk run in parallel)")


def warm_vs_cold(n_warm: int, n_cold: int) -> None:
    lia = "Require Import Lia."
    items = [(f"forall n m : nat, n + {k} * m >= m + n - {k}", "intros. lia.") for k in range(1, n_warm + 1)]
    from scillm.integrations.certainly.models import Problem

    cold = get_checker("coq", mode="cold")
    cold_ms = [cold.check_sync(Problem(header=lia, statement=s), p, confirm=False).time_ms  # type: ignore[attr-defined]
               for s, p in items[:n_cold]]
    warm = get_checker("coq", pool_size=1)
    assert isinstance(warm, CoqChecker)
    try:
        warm.prewarm(lia, 1)
        warm.pool.wait_idle()
        for s, p in items[:5]:
            warm.check_sync(Problem(header=lia, statement=s), p, confirm=False)
        warm_ms = [warm.check_sync(Problem(header=lia, statement=s), p, confirm=False).time_ms for s, p in items]
    finally:
        warm.close()
    c, w = statistics.median(cold_ms), statistics.median(warm_ms)
    print(f"sandboxed provers, Lia header: cold coqc median {c:.0f} ms ({len(cold_ms)} checks), warm coqtop median "
          f"{w:.2f} ms ({len(warm_ms)} checks): warm/cold {c / w:.0f}x")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minif2f", type=int, default=50)
    ap.add_argument("--max-seconds", type=float, default=20.0)
    ap.add_argument("--warm-checks", type=int, default=60)
    ap.add_argument("--cold-checks", type=int, default=8)
    args = ap.parse_args()
    reason = probe()
    print(f"prover sandbox: {'bubblewrap' if reason is None else 'UNAVAILABLE: ' + reason}")
    examples = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    asyncio.run(verdict_costs("bundled examples", examples, args.max_seconds))
    if MINIF2F.is_dir() and args.minif2f > 0:
        files = sorted(MINIF2F.glob("*.v"))[: args.minif2f]
        items = [{"id": f.stem, "requirement_text": f.read_text(encoding="utf-8"), "backend": "coq"} for f in files]
        asyncio.run(verdict_costs(f"miniF2F valid (first {len(files)})", items, args.max_seconds))
    else:
        print(f"miniF2F: skipped ({'--minif2f 0' if MINIF2F.is_dir() else f'{MINIF2F} absent'})")
    warm_vs_cold(args.warm_checks, args.cold_checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
