"""Bridge overhead and load: the same 100 Coq items direct vs through the certainly bridge,
then a burst of concurrent small requests against it, with the server tree's memory around it.

Prints the measured ratio (goal <= 1.15), the burst's status counts and p50/p99 latency (goal:
every request answered 200 or 429, nothing dropped, no 5xx), the 429 latency p50 (goal <= 50 ms)
and the RSS of the bridge process and its children before the burst, right after it and once it
is back within 10% of the baseline (goal: within 30 s). Numbers are noisy on a shared machine.
Usage: python benchmarks/bridge_overhead.py [--items 100] [--load 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
ARGS: dict[str, Any] = {"cache": False}


def coq_items(n: int) -> list[dict[str, str]]:
    shapes = ["{k} + 0 = {k}", "forall n : nat, n + {k} = {k} + n", "{k} * 1 = {k}", "forall n : nat, n * {k} = {k} * n"]
    return [{"id": f"t{i}", "requirement_text": shapes[i % len(shapes)].format(k=i)} for i in range(n)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_bridge(max_concurrent: int, queue_size: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [sys.executable, "-m", "scillm.bridges", "certainly", "--port", str(port),
           "--max-concurrent", str(max_concurrent), "--queue-size", str(queue_size), "--jobs-path", ":memory:"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).json().get("ready"):
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"bridge at {base} not ready within 60 s")


async def run_direct(items: list[Any]) -> tuple[float, list[str]]:
    from scillm.integrations.certainly.api import arun_items

    started = time.perf_counter()
    payload = await arun_items(items, **ARGS)
    return time.perf_counter() - started, [r["status"] for r in payload["results"]]


async def run_bridge(base: str, items: list[Any]) -> tuple[float, list[str]]:
    body = {"items": items, "provider": {"name": "certainly", "args": ARGS}}
    async with httpx.AsyncClient(timeout=600) as client:
        started = time.perf_counter()
        response = await client.post(f"{base}/bridge/complete", json=body)
        elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, [r["status"] for r in response.json()["results"]]


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of `pid` and every descendant (coqtop sessions included), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for p in tree:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


async def _raw_post(base: str, path: str, payload: bytes) -> tuple[int, float]:
    """One HTTP/1.1 POST on its own connection; the status code and when the request was fully sent.

    A bare asyncio client, so the burst measures the server: httpx's
    connection pool costs seconds of client-side time at 500 concurrent
    requests, which would hide the server's answer time.
    """
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode()
        writer.write(head + payload)
        await writer.drain()
        sent = time.perf_counter()
        status_line = await reader.readline()
        await reader.read()
        return int(status_line.split()[1]), sent
    finally:
        writer.close()


def _p(xs: list[float], q: float) -> float:
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")


async def load(base: str, n: int) -> None:
    """`n` requests at once; latency counted from the request being sent (the server's share) and from the
    client starting its connection (which adds the client's own work for `n` connections on the same CPUs)."""
    payload = json.dumps({"items": [{"requirement_text": "1 + 1 = 2"}], "provider": {"args": ARGS}}).encode()

    async def one() -> tuple[int | str, float, float]:
        started = time.perf_counter()
        try:
            code, sent = await _raw_post(base, "/bridge/complete", payload)
            answered = time.perf_counter()
            return code, answered - sent, answered - started
        except (OSError, ValueError, IndexError) as exc:
            return type(exc).__name__, float("nan"), time.perf_counter() - started

    outcomes = await asyncio.gather(*(one() for _ in range(n)))
    counts: dict[str, int] = {}
    for code, _, _ in outcomes:
        counts[str(code)] = counts.get(str(code), 0) + 1
    latencies = sorted(t for _, t, _ in outcomes)
    ok_latencies = sorted(t for code, t, _ in outcomes if code == 200)
    busy_latencies = sorted(t for code, t, _ in outcomes if code == 429)
    busy_from_connect = sorted(t for code, _, t in outcomes if code == 429)
    answered = sum(v for k, v in counts.items() if k in ("200", "429"))
    bad = {k: v for k, v in counts.items() if k not in ("200", "429")}
    print(f"load: {n} concurrent requests -> {counts}")
    print(f"load: all answered 200/429: {answered == n}; 5xx or dropped: {bad or 'none'}")
    print(f"load: latency all p50 {_p(latencies, 0.5):.1f} ms, p99 {_p(latencies, 0.99):.1f} ms; "
          f"200s p50 {_p(ok_latencies, 0.5):.1f} ms, p99 {_p(ok_latencies, 0.99):.1f} ms")
    print(f"load: 429 latency p50 {_p(busy_latencies, 0.5):.1f} ms, p99 {_p(busy_latencies, 0.99):.1f} ms "
          f"over {len(busy_latencies)} refusals, request sent -> answer (goal <= 50 ms)")
    print(f"load: 429 latency p50 {_p(busy_from_connect, 0.5):.1f} ms counted from the client's connect "
          f"(includes the client's own work for {n} connections)")
    text = httpx.get(f"{base}/metrics", timeout=30).text
    spent = {key: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() for key in ("sum", "count")
             if line.startswith(f"scillm_bridge_answer_seconds_{key}{{") and 'code="429"' in line}
    if spent.get("count"):
        print(f"load: server time per 429 (accept to answer, in the app) {1000 * spent['sum'] / spent['count']:.2f} ms")


def memory_after_burst(pid: int, base: str, n: int) -> None:
    baseline = tree_rss_bytes(pid)
    asyncio.run(load(base, n))
    after = tree_rss_bytes(pid)
    mib = 1 << 20
    print(f"rss: server tree {baseline / mib:.0f} MiB before the burst, {after / mib:.0f} MiB right after")
    started = time.monotonic()
    current = after
    while current > 1.10 * baseline and time.monotonic() - started < 30:
        time.sleep(1)
        current = tree_rss_bytes(pid)
    back = current <= 1.10 * baseline
    print(f"rss: {current / mib:.0f} MiB after {time.monotonic() - started:.0f} s "
          f"({100 * (current / baseline - 1):+.1f}% of baseline; back within 10%: {back}; goal within 30 s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--load", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only-load", action="store_true", help="skip the direct vs bridge comparison")
    args = parser.parse_args()
    items = coq_items(args.items)
    proc, base = start_bridge(max_concurrent=4, queue_size=32)
    if args.only_load:
        try:
            asyncio.run(run_bridge(base, items[:4]))
            memory_after_burst(proc.pid, base, args.load)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
        return 0
    try:
        asyncio.run(run_direct(items[:4]))
        asyncio.run(run_bridge(base, items[:4]))
        direct_s, bridge_s = [], []
        for _ in range(args.rounds):
            d, d_status = asyncio.run(run_direct(items))
            b, b_status = asyncio.run(run_bridge(base, items))
            if d_status != b_status:
                print("MISMATCH: direct and bridge statuses differ")
                return 1
            direct_s.append(d)
            bridge_s.append(b)
        d_med, b_med = statistics.median(direct_s), statistics.median(bridge_s)
        proved = d_status.count("proved")
        print(f"items: {len(items)} ({proved} proved, same statuses both ways)")
        print(f"direct: median {d_med:.2f} s over {args.rounds} rounds {[round(x, 2) for x in direct_s]}")
        print(f"bridge: median {b_med:.2f} s over {args.rounds} rounds {[round(x, 2) for x in bridge_s]}")
        print(f"ratio bridge/direct: {b_med / d_med:.3f} (goal <= 1.15)")
        memory_after_burst(proc.pid, base, args.load)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
