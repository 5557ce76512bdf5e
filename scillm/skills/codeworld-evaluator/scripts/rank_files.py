"""Rank Python files that each define the same entry function, with scillm's codeworld sandbox.

Usage: python rank_files.py --cases cases.json [--entry solve] [--json] a.py b.py ...
cases.json is a list of {"input": x, "expected": y} (or {"args": [...], "expected": y}).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scillm import completion


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="rank code variants in the codeworld sandbox")
    parser.add_argument("files", nargs="+", type=Path, help="one variant per file")
    parser.add_argument("--cases", type=Path, required=True, help="JSON list of cases")
    parser.add_argument("--entry", default="solve", help="function every file defines (default solve)")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    args = parser.parse_args(argv)


    try:
        variants = {path.stem: path.read_text(encoding="utf-8") for path in args.files}
        cases = json.loads(args.cases.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    item = {"task_id": args.cases.stem, "context": {"entry": args.entry, "code_variants": variants, "cases": cases}}
    response = completion(model="codeworld", custom_llm_provider="codeworld",
                          messages=[{"role": "user", "content": "rank"}], items=[item])
    result = response.additional_kwargs["codeworld"]["results"][0]
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    elif result["status"] != "ok":
        print(f"error: {result['error']}", file=sys.stderr)
    else:
        for rank, row in enumerate(result["ranking"], start=1):
            print(f"{rank}. {row['variant_id']}  aggregate={row['aggregate']:.3f}  "
                  f"passed={row['cases_passed']}/{row['cases_run']}  {'; '.join(row['errors'][:2])}")
    return 0 if result["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
