"""Classify every miniF2F-Rocq validation file: statement accepted (-> failed), missing library (-> env_unavailable).

Run: python benchmarks/minif2f_parse.py [--limit N]
Each file is cut with `split_file`, its `Admitted.` proof replaced by `idtac.`
(so a statement Coq accepts ends `failed` with unsolved goals), and checked on
the warm pool. Prints the counts per status; none may be `proved` or
`crashed`. Skips cleanly when `../shared/benchmarks/minif2f-rocq/valid/` is absent.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

from scillm.integrations.certainly.checkers import get_checker
from scillm.integrations.certainly.checkers.coq import CoqChecker
from scillm.integrations.certainly.checkers.split import SplitError, split_file

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "minif2f-rocq" / "valid"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent")
        return 0
    files = sorted(DATA.glob("*.v"))[: args.limit]
    chk = get_checker("coq")
    assert isinstance(chk, CoqChecker)
    counts: collections.Counter[str] = collections.Counter()
    missing: collections.Counter[str] = collections.Counter()
    bad: list[str] = []
    t0 = time.perf_counter()
    try:
        parts = []
        for f in files:
            try:
                parts.append((f, split_file(f.read_text(encoding="utf-8"))))
            except (SplitError, UnicodeDecodeError) as exc:
                counts["split_error"] += 1
                bad.append(f"{f.name}: {exc}")
        parts.sort(key=lambda fp: fp[1].problem.header)  # one session start per distinct header
        for f, part in parts:
            r = chk.check_sync(part.problem, "idtac.", confirm=False)
            counts[r.status] += 1
            if r.status == "env_unavailable":
                missing[(r.first_error or "").split(" is not installed")[0]] += 1
            elif r.status != "failed" or r.error_class != "unsolved_goals":
                bad.append(f"{f.name}: {r.status}/{r.error_class}: {(r.first_error or '')[:120]}")
    finally:
        chk.close()
    wall = time.perf_counter() - t0
    print(f"{len(files)} files in {wall:.1f} s: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for lib, n in missing.most_common():
        print(f"  env_unavailable: {lib} ({n})")
    for line in bad[:20]:
        print(f"  other: {line}")
    ok = counts["proved"] == 0 and counts["crashed"] == 0
    print("none proved, none crashed" if ok else "FAIL: some proved or crashed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
