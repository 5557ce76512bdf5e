"""What soundness costs: the independent verdict per proved item, and warm/cold with sandboxed provers.

Run: python benchmarks/soundness_overhead.py [--minif2f 50] [--proofs FILE] [--max-seconds 30]
     [--warm-checks 60] [--search-s 2] [--view-sample 12]
Proofs come from the offline portfolio searching each item through the
engine (the same options as `benchmarks/minif2f_coq.py`: the stepwise search
on, 10 s per check, the theorem named like the file when several are open),
or, for miniF2F, from `--proofs FILE`: a JSON list of `{"id", "proof"}`
records such as `minif2f_coq.py --out` writes, so only the verdict is run.
The trusted imports a proof needs are found by the warm checker (the
search's fallback order: every wanted import first, then smaller sets), so
no verdict run is spent on finding them. Every proof is then put through a
fresh `VerdictEngine` (nothing cached), timing the first verdict (problem
compiled), a second one on the same problem (compiled problem reused), and a
third after `prefetch` started the standby provers and a search of
`--search-s` seconds was emulated (what `prefetch_verdict` does while the
search runs); a verdict that is not `proved` is a disagreement and is named. On `--view-sample` of
the proofs, coqchk on the library view is timed against coqchk on the whole
installation (`checkers.verdict_coqlib`). Then warm coqtop vs cold coqc,
both inside bubblewrap, on a Lia header. Prints measured numbers only
(goals: verdict <= 1 s per proved item, warm >= 100x cold).
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
from scillm.integrations.certainly.checkers.split import SplitError
from scillm.integrations.certainly.checkers.trusted import normalize_import
from scillm.integrations.certainly.checkers.verdict import VerdictEngine
from scillm.integrations.certainly.checkers.verdict_problem import Deadline, ProverRunner
from scillm.integrations.certainly.engine import arun_items
from scillm.integrations.certainly.models import Problem
from scillm.integrations.certainly.normalize import normalize_item, split_coq_file
from scillm.integrations.certainly.search.import_guard import fallbacks
from scillm.integrations.certainly.search.libraries import search_imports, with_imports

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "scillm" / "integrations" / "certainly" / "examples" / "basic.json"
MINIF2F = ROOT.parent / "shared" / "benchmarks" / "minif2f-rocq" / "valid"


def _imports(code: str, header: str) -> tuple[str, ...]:
    """The trusted imports the search added, read back from the reported file (header, then the imports)."""
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
        self.binaries, self.mem_bytes, self.launch = inner.binaries, inner.mem_bytes, inner.launch
        self.ms: dict[str, list[float]] = defaultdict(list)

    def __call__(self, tool: str, args: list[str], mounts: sandbox.Mounts, sandboxed: bool,
                 deadline: Deadline) -> sandbox.RunResult:
        t0 = time.perf_counter()
        run = self.inner(tool, args, mounts, sandboxed, deadline)
        if tool == "coqchk":
            stage = "coqchk view" if args[:1] == ["-coqlib"] else "coqchk"
        else:
            stage = f"coqc {args[-1].removesuffix('.v')}"
        self.ms[stage].append((time.perf_counter() - t0) * 1000)
        return run


def _median(xs: list[float]) -> str:
    return f"{statistics.median(xs):.0f} ms" if xs else "n/a"


def _problem(item: dict[str, Any]) -> Problem:
    norm = normalize_item(item, 0, backend="coq")
    if norm.problem is None:
        raise SystemExit(f"{item.get('id')}: {norm.error}")
    return norm.problem


def find_imports(pairs: list[tuple[Problem, str, tuple[str, ...]]]) -> list[tuple[str, ...] | None]:
    """Per proof, the first import set (reported, then the search's fallbacks) the warm checker accepts."""
    warm = get_checker("coq", pool_size=1)
    assert isinstance(warm, CoqChecker)
    found: list[tuple[str, ...] | None] = []
    try:
        for problem, proof, reported in pairs:
            chosen = None
            for imports in dict.fromkeys([reported, *fallbacks(search_imports(problem))]):
                if warm.check_sync(with_imports(problem, imports), proof, confirm=False).ok:
                    chosen = imports
                    break
            found.append(chosen)
    finally:
        warm.close()
    return found


def view_vs_whole(pairs: list[tuple[str, Problem, str, tuple[str, ...] | None]], sample: int) -> None:
    """coqchk on the library view vs on the whole installation: the same verdicts, alternately, on a fresh engine."""
    engine = VerdictEngine()
    if engine._run is None or engine.problems is None or sample <= 0:
        return
    timed = _TimedRunner(engine._run)
    engine._run = engine.problems.runner = timed  # type: ignore[assignment]
    view = engine._coqchk_view
    whole: list[float] = []
    narrow: list[float] = []
    try:
        for _, problem, proof, imports in [p for p in pairs if p[3] is not None][:sample]:
            assert imports is not None
            engine.check(problem, proof, imports)  # compiles the problem, so both timed runs below reuse it
            for on in (True, False):
                engine._coqchk_view = view if on else (lambda loaded, sandboxed: None)  # type: ignore[method-assign]
                timed.ms.clear()
                engine.check(problem, proof, imports)
                (narrow if on else whole).extend(timed.ms["coqchk view" if on else "coqchk"])
    finally:
        engine.close()
    if narrow and whole:
        n, w = statistics.median(narrow), statistics.median(whole)
        print(f"  coqchk on the library view {n:.0f} ms vs on the whole installation {w:.0f} ms "
              f"(median over {len(narrow)} / {len(whole)} runs): {w / n:.2f}x")


def time_verdicts(name: str, pairs: list[tuple[str, Problem, str, tuple[str, ...] | None]], search_s: float) -> None:
    """Fresh verdicts on each (id, problem, proof, imports): first with the problem compiled, then reused, then
    prefetched (standby provers started, a search of `search_s` seconds emulated, then the verdict)."""
    engine = VerdictEngine()
    timed = None
    if engine._run is not None and engine.problems is not None:
        timed = _TimedRunner(engine._run)
        engine._run = engine.problems.runner = timed  # type: ignore[assignment]
    first: list[float] = []
    again: list[float] = []
    ready: list[float] = []
    disagree = 0
    skipped = 0
    try:
        for item_id, problem, proof, imports in pairs:
            if imports is None:
                skipped += 1
                print(f"  {item_id}: the warm checker accepts the proof with no import set; not timed")
                continue
            v1 = engine.check(problem, proof, imports)
            v2 = engine.check(problem, proof, imports)
            engine.prefetch(problem)
            engine.prefetched(problem, 120)
            time.sleep(search_s)  # the search the standby provers overlap
            v3 = engine.check(problem, proof, imports)
            ready.append(v3.time_ms)
            for v in (v1, v2, v3):
                if v.status != "proved":
                    disagree += 1
                    print(f"  disagreement on {item_id}: {v.status}: {v.message[:200]}")
            first.append(v1.time_ms)
            again.append(v2.time_ms)
    finally:
        engine.close()
    print(f"{name}: {len(first)} proved items timed ({skipped} skipped); independent verdict per proved "
          "item: "
          f"median {_median(first)} with the problem compiled, {_median(again)} when the compiled problem is "
          f"reused, {_median(ready)} when prefetched during a {search_s:g} s search (goal <= 1000 ms); "
          f"verdicts not proved: {disagree}; on standby provers {engine.stats['standby_used']} runs, "
          f"{engine.stats['standby_unusable']} unusable; coqchk on the library view {engine.stats['coqchk_view']} "
          f"runs, {engine.stats['coqchk_view_failed']} run again on the whole installation")
    if timed is not None:
        stages = ", ".join(f"{k} {_median(v)} x{len(v)}" for k, v in sorted(timed.ms.items()))
        print(f"  per prover run (median, count): {stages} (Verify and coqchk run in parallel)")


Found = list[tuple[dict[str, Any], str, str]]


async def search_proofs(items: list[dict[str, Any]], max_seconds: float) -> Found:
    """(item, proof, reported code) for every item the engine proves (the same options as minif2f_coq.py)."""
    options = {"max_seconds": max_seconds, "timeout_ms_per_check": 10_000, "check_concurrency": 1,
               "concurrency": 1, "cache": False, "explain_failures": False}
    t0 = time.perf_counter()
    payload = await arun_items(items, options=options, request_timeout=None)
    results = payload["results"]
    proved = [(items[i], r["proof"], r.get("coq_code") or "") for i, r in enumerate(results)
              if r["status"] == "proved"]
    print(f"  search: {len(proved)}/{len(items)} proved in {time.perf_counter() - t0:.1f} s "
          f"(max_seconds={max_seconds:g} per item)")
    return proved


def verdict_costs(name: str, proved: Found, search_s: float, view_sample: int) -> None:
    problems = [(_problem(item), proof, code) for item, proof, code in proved]
    imports = find_imports([(p, proof, _imports(code, p.header)) for p, proof, code in problems])
    pairs = [(str(item.get("id")), p, proof, imp)
             for (item, _, _), (p, proof, _), imp in zip(proved, problems, imports, strict=True)]
    time_verdicts(name, pairs, search_s)
    view_vs_whole(pairs, view_sample)


def minif2f_item(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    item: dict[str, Any] = {"id": path.stem, "requirement_text": text, "backend": "coq"}
    try:
        split_coq_file(text)
    except SplitError:
        item["theorem_name"] = path.stem  # several open theorems: the one named like the file
    return item


def warm_vs_cold(n_warm: int, n_cold: int) -> None:
    lia = "Require Import Lia."
    items = [(f"forall n m : nat, n + {k} * m >= m + n - {k}", "intros. lia.") for k in range(1, n_warm + 1)]
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
    ap.add_argument("--minif2f", type=int, default=50, help="how many miniF2F valid proofs to time (0: none)")
    ap.add_argument("--proofs", type=Path, default=None,
                    help="JSON list of {id, proof} for miniF2F valid files (e.g. minif2f_coq.py --out); "
                         "without it the portfolio searches the first files itself")
    ap.add_argument("--max-seconds", type=float, default=30.0)
    ap.add_argument("--warm-checks", type=int, default=60)
    ap.add_argument("--search-s", type=float, default=2.0,
                    help="seconds of search emulated between the prefetch and the prefetched verdict")
    ap.add_argument("--cold-checks", type=int, default=8)
    ap.add_argument("--view-sample", type=int, default=12,
                    help="proofs whose coqchk is timed on the library view and on the whole installation")
    args = ap.parse_args()
    reason = probe()
    print(f"prover sandbox: {'bubblewrap' if reason is None else 'UNAVAILABLE: ' + reason}")
    examples = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    verdict_costs("bundled examples", asyncio.run(search_proofs(examples, args.max_seconds)), args.search_s,
                  args.view_sample)
    if MINIF2F.is_dir() and args.minif2f > 0:
        if args.proofs is not None:
            records = json.loads(args.proofs.read_text(encoding="utf-8"))
            known = [r for r in records if (MINIF2F / f"{r['id']}.v").is_file()][: args.minif2f]
            proved = [(minif2f_item(MINIF2F / f"{r['id']}.v"), str(r["proof"]), "") for r in known]
            where = f"{len(proved)} proofs from {args.proofs.name}"
        else:
            files = sorted(MINIF2F.glob("*.v"))
            proved = []
            for start in range(0, len(files), 10):
                if len(proved) >= args.minif2f:
                    break
                batch = [minif2f_item(f) for f in files[start: start + 10]]
                proved += asyncio.run(search_proofs(batch, args.max_seconds))
            proved = proved[: args.minif2f]
            where = f"{len(proved)} proofs found by the search"
        verdict_costs(f"miniF2F valid ({where})", proved, args.search_s, args.view_sample)
    else:
        print(f"miniF2F: skipped ({'--minif2f 0' if MINIF2F.is_dir() else f'{MINIF2F} absent'})")
    warm_vs_cold(args.warm_checks, args.cold_checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
