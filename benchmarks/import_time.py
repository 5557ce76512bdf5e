"""Cold-import cost of `import scillm` relative to `import litellm` (goal: ratio under 0.1).

Each sample is a fresh interpreter; the median of several runs is reported.
Run: python benchmarks/import_time.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys


def _cold_import_s(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    scillm_s = [_cold_import_s("scillm") for _ in range(args.runs)]
    litellm_s = [_cold_import_s("litellm") for _ in range(args.runs)]
    a, b = statistics.median(scillm_s), statistics.median(litellm_s)
    print(f"import scillm : median {a * 1000:8.2f} ms over {args.runs} cold runs")
    print(f"import litellm: median {b * 1000:8.2f} ms over {args.runs} cold runs")
    print(f"ratio scillm/litellm = {a / b:.4f} (goal < 0.1)")


if __name__ == "__main__":
    main()
