"""Run every scenario script and print a summary; exit 1 when any failed (SKIP is not a failure)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = ["certainly_direct", "certainly_bridge", "certainly_router", "lean4_alias",
             "codeworld_direct", "codeworld_bridge", "batch_json", "prove_route"]


def run_one(name: str, timeout_s: float = 300) -> tuple[str, float, str]:
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, str(HERE / f"{name}.py")], capture_output=True, text=True,
                              timeout=timeout_s, cwd=HERE.parent)
    except subprocess.TimeoutExpired:
        return "FAIL", time.monotonic() - started, f"timed out after {timeout_s:g} s"
    out = (proc.stdout + proc.stderr).strip()
    last = out.splitlines()[-1] if out else ""
    if proc.returncode != 0:
        status = "FAIL"
    elif any(line.startswith("SKIP:") for line in proc.stdout.splitlines()):
        status = "SKIP"
    else:
        status = "PASS"
    print(f"--- {name} ({status}, exit {proc.returncode})\n{out}\n", flush=True)
    return status, time.monotonic() - started, last


def main(names: list[str]) -> int:
    rows = [(name, *run_one(name)) for name in names or SCENARIOS]
    print("=== scenario summary")
    for name, status, seconds, last in rows:
        print(f"{status:4}  {name:18} {seconds:6.1f}s  {last[:90]}")
    failed = [name for name, status, *_ in rows if status == "FAIL"]
    print(f"{len(rows) - len(failed)}/{len(rows)} without failure" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
