"""Evaluations per second in the codeworld sandbox: fresh process per evaluation vs fork from a warm worker.

Task: a small user scoring function `score(task, context, outputs, timings)`
over 20 case outputs. Both modes use the same full isolation (the strongest
backend that works here: bubblewrap, else unshare; namespaces, read-only
minimal root, tmpfs, empty environment, rlimits, no_new_privs, seccomp) and
2 concurrent evaluations:

- fresh: every evaluation starts a new sandboxed interpreter (importing no
  more than it needs), evaluates once in it, and is torn down;
- fork: 2 warm sandboxed zygotes; every evaluation forks a pristine child from
  one (the zygote never holds a request or result), which mounts its own fresh
  tmpfs, drops its capabilities, reads its own request from a memfd and is
  timed from outside.

Prints evaluations/s for each, the ratio, and whether the goals (>= 100/s,
>= 5x) were met. Numbers are noisy on a shared machine.

    python benchmarks/codeworld_throughput.py [--fork-n 600] [--fresh-n 60] [--backend bwrap]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from scillm.integrations.codeworld.sandbox import BackendName, Limits, RunRequest, get_sandbox

SCORE = '''
def score(task, context, outputs, timings):
    expected = context["expected"]
    passed = sum(1 for got, want in zip(outputs, expected) if got == want)
    mean_ms = sum(timings) / max(len(timings), 1)
    return {"correctness": passed / len(expected), "speed": 1.0 / (1.0 + mean_ms), "brevity": 0.5}
'''


def _request(i: int) -> RunRequest:
    expected = [k * k for k in range(20)]
    outputs = [k * k if k != i % 20 else -1 for k in range(20)]
    timings = [0.01 * (k + 1) for k in range(20)]
    return RunRequest(code=SCORE, entry="score",
                      args=["squares", {"expected": expected}, outputs, timings])


def _check(results: list[object], n: int) -> None:
    bad = [r for r in results if not getattr(r, "ok", False)]
    if bad:
        sys.exit(f"{len(bad)} of {n} evaluations failed, first: {bad[0]}")


async def _fork_mode(backend: BackendName | None, n: int, limits: Limits) -> tuple[float, str]:
    sb = get_sandbox(backend=backend, limits=limits, workers=2)
    try:
        await sb.run_many([_request(i) for i in range(4)])  # start both workers before timing
        start = time.perf_counter()
        results = await sb.run_many([_request(i) for i in range(n)])
        elapsed = time.perf_counter() - start
        _check(list(results), n)
        return n / elapsed, sb.name
    finally:
        await sb.aclose()


async def _fresh_once(backend: BackendName | None, i: int, limits: Limits) -> object:
    sb = get_sandbox(backend=backend, limits=limits, workers=1, preimport=())
    try:
        return await sb.run(_request(i))
    finally:
        await sb.aclose()


async def _fresh_mode(backend: BackendName | None, n: int, limits: Limits) -> float:
    slots = asyncio.Semaphore(2)

    async def one(i: int) -> object:
        async with slots:
            return await _fresh_once(backend, i, limits)

    start = time.perf_counter()
    results = await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - start
    _check(list(results), n)
    return n / elapsed


async def _main(args: argparse.Namespace) -> None:
    limits = Limits(wall_ms=2000, cpu_s=2, memory_mb=512)
    fork_rate, backend = await _fork_mode(args.backend, args.fork_n, limits)
    fresh_rate = await _fresh_mode(args.backend, args.fresh_n, limits)
    ratio = fork_rate / fresh_rate
    print(f"backend: {backend} (full isolation), 2 concurrent evaluations, task: scoring function")
    print(f"fresh process per evaluation: {fresh_rate:8.1f} evals/s  ({args.fresh_n} evaluations)")
    print(f"fork from warm worker:        {fork_rate:8.1f} evals/s  ({args.fork_n} evaluations)")
    print(f"ratio fork/fresh:             {ratio:8.1f}x")
    print(f"goal >= 100 evals/s: {'met' if fork_rate >= 100 else 'NOT met'}; "
          f"goal >= 5x: {'met' if ratio >= 5 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fork-n", type=int, default=600)
    parser.add_argument("--fresh-n", type=int, default=60)
    parser.add_argument("--backend", choices=["bwrap", "unshare"], default=None)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
