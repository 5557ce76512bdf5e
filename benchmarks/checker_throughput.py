"""Warm coqtop pool vs cold coqc: checks per second, median latency, 1->2 worker scaling, RSS over 1000 checks,
and what the session's kept state after `Proof.` saves on a statement's later candidates.

Run: python benchmarks/checker_throughput.py [--rss-checks 1000] [--cold-sample 12]
Prints measured numbers only; the goals (warm >= 100x cold on the Lia header,
scaling >= 1.5x, flat RSS) are judged by the reader. Both warm sessions and
cold runs are sandboxed provers (bubblewrap) exactly as in production; the
first line says so. Numbers are noisy on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from scillm.integrations.certainly.checkers import get_checker
from scillm.integrations.certainly.checkers.coq import CoqChecker
from scillm.integrations.certainly.models import Problem

LIA = "Require Import Lia."
REALS = "Require Import Reals Lra.\nOpen Scope R_scope."


def candidates() -> list[tuple[Problem, str, bool]]:
    """A fixed set of >= 200 (problem, proof, expected proved) over the Lia and Reals headers."""
    out: list[tuple[Problem, str, bool]] = []
    for k in range(1, 61):
        p = Problem(header=LIA, statement=f"forall n m : nat, n + {k} * m >= m + n - {k}")
        out += [(p, "intros. lia.", True), (p, "intros. reflexivity.", False)]
        q = Problem(header=LIA, statement=f"forall n : nat, n + {k} = {k} + n")
        out += [(q, "intros. lia.", True), (q, "intros n. exact bogus.", False)]
    for k in range(1, 21):
        r = Problem(header=REALS, statement=f"forall x : R, x + {k} - {k} = x")
        out += [(r, "intros. ring.", True), (r, "intros. lra.", True), (r, "intros. reflexivity.", False)]
    return out


def run_all(chk: CoqChecker, items: list[tuple[Problem, str, bool]], workers: int) -> tuple[float, list[float]]:
    def one(item: tuple[Problem, str, bool]) -> float:
        p, proof, expected = item
        r = chk.check_sync(p, proof, confirm=False)
        if (r.status == "proved") != expected:
            raise SystemExit(f"wrong verdict {r.status} for {proof!r} on {p.statement!r}: {r.first_error}")
        return r.time_ms

    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as ex:
        lat = list(ex.map(one, items))
    return time.perf_counter() - t0, lat


def warm(items: list[tuple[Problem, str, bool]], workers: int) -> tuple[float, float]:
    """Checks/s and median ms over `items` (one header), sessions started and warmed before timing."""
    chk = get_checker("coq", pool_size=workers)
    assert isinstance(chk, CoqChecker)
    try:
        chk.prewarm(items[0][0].header, workers)
        chk.pool.wait_idle()
        run_all(chk, items[: workers * 4], workers)
        wall, lat = run_all(chk, items, workers)
    finally:
        chk.close()
    return len(items) / wall, statistics.median(lat)


def same_statement_again() -> tuple[float, float]:
    """Median ms of `intros. lia.` as the first candidate of a statement, and the same proof as its third."""
    chk = get_checker("coq", pool_size=1)
    assert isinstance(chk, CoqChecker)
    first: list[float] = []
    again: list[float] = []
    try:
        chk.prewarm(LIA, 1)
        chk.pool.wait_idle()
        for k in range(1, 61):
            p = Problem(header=LIA, statement=f"forall n m : nat, n + {k} * m >= m + n - {k}")
            runs = [chk.check_sync(p, proof, confirm=False) for proof in ("intros. lia.", "intros. reflexivity.",
                                                                          "intros. lia.")]
            assert [r.status for r in runs] == ["proved", "failed", "proved"], runs
            first.append(runs[0].time_ms)
            again.append(runs[2].time_ms)
    finally:
        chk.close()
    return statistics.median(first), statistics.median(again)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rss-checks", type=int, default=1000)
    ap.add_argument("--cold-sample", type=int, default=12)
    args = ap.parse_args()
    from scillm.integrations.certainly.checkers.prover_sandbox import probe

    reason = probe()
    print(f"provers: {'sandboxed (bubblewrap)' if reason is None else 'NOT sandboxed: ' + reason}")
    items = candidates()
    lia_items = [i for i in items if i[0].header == LIA]
    print(f"candidates: {len(items)} ({sum(e for *_, e in items)} correct), Lia {len(lia_items)}, "
          f"Reals {len(items) - len(lia_items)}")

    cold = get_checker("coq", mode="cold")
    cold_lat = []
    for p, proof, expected in lia_items[: args.cold_sample]:
        r = cold.check_sync(p, proof, confirm=False)  # type: ignore[attr-defined]
        assert (r.status == "proved") == expected, r
        cold_lat.append(r.time_ms)
    cold_med = statistics.median(cold_lat)
    print(f"cold coqc, Lia header: median {cold_med:.1f} ms/check over {len(cold_lat)} checks, "
          f"{1000 / cold_med:.2f} checks/s")

    lia_rate1, lia_med1 = warm(lia_items, 1)
    print(f"warm 1 worker, Lia header: {lia_rate1:.1f} checks/s, median {lia_med1:.2f} ms/check")
    print(f"warm/cold on Lia header: {cold_med / lia_med1:.0f}x by median latency, "
          f"{lia_rate1 / (1000 / cold_med):.0f}x by throughput")
    reals_rate, reals_med = warm([i for i in items if i[0].header == REALS], 1)
    print(f"warm 1 worker, Reals header: {reals_rate:.1f} checks/s, median {reals_med:.2f} ms/check")
    fresh, kept = same_statement_again()
    print(f"same proof again on the same statement (search shape): {fresh:.2f} ms from the header, "
          f"{kept:.2f} ms from the state after Proof. kept by the session: {fresh / kept:.2f}x")
    rate2, med2 = warm(lia_items * 2, 2)
    rate1, med1 = warm(lia_items * 2, 1)
    print(f"scaling on {2 * len(lia_items)} Lia checks: 1 worker {rate1:.1f} checks/s (median {med1:.2f} ms), "
          f"2 workers {rate2:.1f} checks/s (median {med2:.2f} ms): {rate2 / rate1:.2f}x")

    chk = get_checker("coq", pool_size=1, recycle_after=10**9, max_rss_bytes=None)
    assert isinstance(chk, CoqChecker)
    try:
        run_all(chk, lia_items, 1)  # warm-up: RSS grows over the first few hundred checks
        rss0 = chk.pool.sessions()[0].rss_bytes() or 0
        done = 0
        while done < args.rss_checks:
            batch = lia_items[: min(len(lia_items), args.rss_checks - done)]
            run_all(chk, batch, 1)
            done += len(batch)
        rss1 = chk.pool.sessions()[0].rss_bytes() or 0
        print(f"RSS over {done} checks after warm-up: {rss0 / 2**20:.0f} MiB -> {rss1 / 2**20:.0f} MiB "
              f"({(rss1 - rss0) / 2**20:+.0f} MiB); sessions started {chk.pool.stats()['started']}")
    finally:
        chk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
