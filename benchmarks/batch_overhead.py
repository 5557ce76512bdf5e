"""Wall time of `parallel_acompletions` vs a plain httpx fan-out and LiteLLM's `batch_completion`.

500 requests at concurrency 8 against the OpenAI-compatible test server
(`tests/support/llm_server.py`, started in its own process so it does not
share this interpreter's GIL). Goal: parallel_acompletions within 1.3x of raw
httpx. Run from the repository root:

    python benchmarks/batch_overhead.py [--n 500] [--concurrency 8] [--delay-s 0.0] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key"


def _start_server(delay_s: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.llm_server", "--api-key", KEY,
                             "--delay-s", str(delay_s)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def _requests(n: int) -> list[dict[str, Any]]:
    return [{"model": "test-model", "messages": [{"role": "user", "content": f"question {i}"}]} for i in range(n)]


async def _raw_httpx(base: str, n: int, concurrency: int) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    sem = asyncio.Semaphore(concurrency)
    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=20) as client:

        async def one(body: dict[str, Any]) -> str:
            async with sem:
                resp = await client.post(f"{base}/chat/completions", json=body,
                                         headers={"Authorization": f"Bearer {KEY}"})
                return str(resp.json()["choices"][0]["message"]["content"])

        out = await asyncio.gather(*(one(b) for b in _requests(n)))
    assert len(out) == n
    return time.perf_counter() - started


async def _scillm(base: str, n: int, concurrency: int) -> float:
    from scillm.paved.batch import parallel_acompletions

    started = time.perf_counter()
    results = await parallel_acompletions(_requests(n), api_base=base, api_key=KEY, concurrency=concurrency)
    elapsed = time.perf_counter() - started
    assert results.summary["ok"] == n, results.summary
    return elapsed


def _litellm_batch(base: str, n: int, concurrency: int) -> float:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    messages = [r["messages"] for r in _requests(n)]
    started = time.perf_counter()
    out = litellm.batch_completion(model="openai/test-model", messages=messages, api_base=base, api_key=KEY,
                                   max_workers=concurrency)
    elapsed = time.perf_counter() - started
    assert sum(1 for r in out if getattr(r, "choices", None)) == n
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--delay-s", type=float, default=0.0, help="server latency per reply")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-litellm", action="store_true")
    args = parser.parse_args()
    proc, base = _start_server(args.delay_s)
    try:
        asyncio.run(_raw_httpx(base, 20, args.concurrency))  # warm-up
        asyncio.run(_scillm(base, 20, args.concurrency))
        raw, ours = [], []
        for _ in range(args.repeats):  # interleaved so machine noise hits both alike
            raw.append(asyncio.run(_raw_httpx(base, args.n, args.concurrency)))
            ours.append(asyncio.run(_scillm(base, args.n, args.concurrency)))
        raw_s, ours_s = statistics.median(raw), statistics.median(ours)
        print(f"{args.n} requests, concurrency {args.concurrency}, server delay {args.delay_s}s, "
              f"median of {args.repeats}")
        print(f"raw httpx fan-out       : {raw_s:7.3f} s")
        print(f"parallel_acompletions   : {ours_s:7.3f} s   ratio vs raw httpx = {ours_s / raw_s:.3f} (goal <= 1.3)")
        if not args.skip_litellm:
            lite_s = _litellm_batch(base, args.n, args.concurrency)
            print(f"litellm.batch_completion: {lite_s:7.3f} s   "
                  f"parallel_acompletions / batch_completion = {ours_s / lite_s:.3f}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
