"""The offline portfolio over miniF2F-Rocq (valid split): a baseline, and zero false positives.

Run: python benchmarks/minif2f_coq.py [--limit N] [--max-rounds 2] [--candidates 8]
Every file goes through the engine (`arun_items`, the same path as the public
API) with a fixed budget, one item and one check at a time so that wall time
can be compared with the checker's own time. Prints proved / failed /
env_unavailable counts, median time per proof, and the ratio of total wall
time to the sum of checker time (orchestration overhead; goal <= 1.10).
Every `proved` result is re-checked from scratch by a cold `coqc` run on the
full source; any disagreement (or a changed statement) fails loudly, exit 1.
Skips cleanly when `../shared/benchmarks/minif2f-rocq/valid/` is absent.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from scillm.integrations.certainly.engine import arun_items
from scillm.integrations.certainly.normalize import normalize_item

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "minif2f-rocq" / "valid"
_CHEATS = re.compile(r"\b(?:Admitted|admit|Axiom|Parameter|Abort|give_up)\b|Unset\s+Guard")


def cold_recheck(name: str, code: str, statement: str) -> str | None:
    """None when a fresh `coqc` accepts `code` with the original statement, else why not."""
    if " ".join(f"{name} : {statement}.".split()) not in " ".join(code.split()):
        return "the checked source does not state the original theorem"
    if _CHEATS.search(code.split("Proof.", 1)[-1]):
        return "the proof contains a forbidden sentence"
    with tempfile.TemporaryDirectory(prefix="minif2f-recheck-") as tmp:
        path = Path(tmp) / "Recheck.v"
        path.write_text(code + f"\nPrint Assumptions {name}.\n", encoding="utf-8")
        proc = subprocess.run(["coqc", "-q", str(path)], cwd=tmp, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        return f"coqc exit {proc.returncode}: {(proc.stderr or proc.stdout)[-300:]}"
    return None


async def run(files: list[Path], args: argparse.Namespace) -> int:
    items = [{"id": f.stem, "requirement_text": f.read_text(encoding="utf-8"), "backend": "coq"} for f in files]
    options = {"max_rounds": args.max_rounds, "candidates_per_round": args.candidates,
               "timeout_ms_per_check": args.timeout_ms, "max_seconds": args.max_seconds,
               "check_concurrency": 1, "concurrency": 1, "cache": False, "explain_failures": False}
    t0 = time.perf_counter()
    payload = await arun_items(items, options=options, request_timeout=None)
    wall_s = time.perf_counter() - t0
    results = payload["results"]
    counts = Counter(r["status"] for r in results)
    checker_s = sum(r["stats"]["checker_ms"] for r in results) / 1000
    proved = [r for r in results if r["status"] == "proved"]
    times = [r["stats"]["time_ms"] for r in proved]
    print(f"files={len(files)} budget: rounds={args.max_rounds} candidates/round={args.candidates} "
          f"timeout_ms/check={args.timeout_ms} max_s/item={args.max_seconds}")
    print("counts: " + ", ".join(f"{k}={counts.get(k, 0)}" for k in
                                 ("proved", "failed", "env_unavailable", "timeout", "error", "rejected")))
    print(f"checks={payload['statistics']['checks']}")
    print(f"median time per proof: {statistics.median(times):.1f} ms" if times else "median time per proof: n/a")
    ratio = wall_s / checker_s if checker_s else float("nan")
    print(f"wall={wall_s:.2f} s, sum of checker time={checker_s:.2f} s, ratio={ratio:.3f} (goal <= 1.10)")
    for r in proved:
        print(f"  proved {r['item_id']}: {r['proof']}")
    disagreements = []
    for r in proved:
        source = next(f for f in files if f.stem == r["item_id"]).read_text(encoding="utf-8")
        problem = normalize_item({"requirement_text": source}, 0, backend="coq").problem
        assert problem is not None
        why = cold_recheck(problem.theorem_name, r["coq_code"], problem.statement)
        if why is not None:
            disagreements.append((r["item_id"], why))
    print(f"cold coqc re-check of {len(proved)} proved results: {len(disagreements)} disagreements")
    for item_id, why in disagreements:
        print(f"FALSE POSITIVE {item_id}: {why}", file=sys.stderr)
    return 1 if disagreements else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--match", default="", help="only files whose name contains this")
    ap.add_argument("--max-rounds", type=int, default=2)
    ap.add_argument("--candidates", type=int, default=8)
    ap.add_argument("--timeout-ms", type=int, default=3000)
    ap.add_argument("--max-seconds", type=float, default=10.0)
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent")
        return 0
    if shutil.which("coqc") is None:
        print("skipped: coqc is not on PATH (apt-get install coq)")
        return 0
    files = [f for f in sorted(DATA.glob("*.v")) if args.match in f.stem][: args.limit]
    return asyncio.run(run(files, args))


if __name__ == "__main__":
    sys.exit(main())
