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
import selectors
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
    body = {"items": items, "provider": {"name": "certainly", "args": ARGS}, "options": {"max_seconds": 600}}
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


def burst(base: str, path: str, payload: bytes, n: int, timeout_s: float = 900.0) -> list[tuple[int | str, float]]:
    """`n` POSTs on `n` connections sent together; per request the status and seconds from sent to answered.

    All connections are opened first, then every request is written in one
    tight loop, and one selector loop timestamps each status line as it
    arrives: the client does almost nothing per request, so the numbers are
    the server's (an asyncio or httpx client spends more time on 500
    connections than the server does, and its own delay would be counted).
    """
    host, port = base.removeprefix("http://").split(":")
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode()
    socks = [socket.create_connection((host, int(port)), timeout=30) for _ in range(n)]
    sel = selectors.DefaultSelector()
    sent: dict[int, float] = {}
    out: dict[int, tuple[int | str, float]] = {}
    buffers: dict[int, bytes] = {}
    for i, sock in enumerate(socks):
        sock.setblocking(False)
        sock.sendall(head + payload)
        sent[i] = time.perf_counter()
        sel.register(sock, selectors.EVENT_READ, i)
    deadline = time.monotonic() + timeout_s
    while len(out) < n and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1.0):
            i, sock = key.data, key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                chunk = sock.recv(65536)
            except OSError as exc:
                chunk, out[i] = b"", (type(exc).__name__, time.perf_counter() - sent[i])
            if i not in out:
                buffers[i] = buffers.get(i, b"") + chunk
                if b"\r\n" in buffers[i]:
                    out[i] = (int(buffers[i].split(b" ", 2)[1]), time.perf_counter() - sent[i])
                elif not chunk:
                    out[i] = ("closed", time.perf_counter() - sent[i])
            if i in out:
                sel.unregister(sock)
                sock.close()
    for i, sock in enumerate(socks):
        if i not in out:
            out[i] = ("no answer", timeout_s)
            sock.close()
    return [out[i] for i in range(n)]


def _p(xs: list[float], q: float) -> float:
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")


def load(base: str, n: int) -> None:
    payload = json.dumps({"items": [{"requirement_text": "1 + 1 = 2"}], "provider": {"args": ARGS}}).encode()
    outcomes = burst(base, "/bridge/complete", payload, n)
    counts: dict[str, int] = {}
    for code, _ in outcomes:
        counts[str(code)] = counts.get(str(code), 0) + 1
    latencies = sorted(t for _, t in outcomes)
    ok_latencies = sorted(t for code, t in outcomes if code == 200)
    busy_latencies = sorted(t for code, t in outcomes if code == 429)
    answered = sum(v for k, v in counts.items() if k in ("200", "429"))
    bad = {k: v for k, v in counts.items() if k not in ("200", "429")}
    print(f"load: {n} concurrent requests -> {counts}")
    print(f"load: all answered 200/429: {answered == n}; 5xx or dropped: {bad or 'none'}")
    print(f"load: latency all p50 {_p(latencies, 0.5):.1f} ms, p99 {_p(latencies, 0.99):.1f} ms; "
          f"200s p50 {_p(ok_latencies, 0.5):.1f} ms, p99 {_p(ok_latencies, 0.99):.1f} ms")
    print(f"load: 429 latency p50 {_p(busy_latencies, 0.5):.1f} ms, p99 {_p(busy_latencies, 0.99):.1f} ms "
          f"over {len(busy_latencies)} refusals (goal p50 <= 50 ms)")
    text = httpx.get(f"{base}/metrics", timeout=30).text
    spent = {key: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() for key in ("sum", "count")
             if line.startswith(f"scillm_bridge_answer_seconds_{key}{{") and 'code="429"' in line}
    if spent.get("count"):
        print(f"load: server time per 429 (accept to answer, in the app) {1000 * spent['sum'] / spent['count']:.2f} ms")


def memory_after_burst(pid: int, base: str, n: int) -> None:
    baseline = tree_rss_bytes(pid)
    load(base, n)
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
