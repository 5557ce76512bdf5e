"""`scillm prove`: prove a statement, a file of items, or (with no input) the bundled examples.

Shows a live progress bar (done, proved, failed, rate), then a table; writes
results as JSON lines with `--out`; exits 1 when `--require-proved` fails and
2 on bad input. Everything runs through the engine's `arun_items_iter`, the
same path as the Python API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from scillm import boundedjson
from scillm.errors import InvalidRequestError

EXAMPLES = "examples/basic.json"
_MAX_DEPTH = 64
_MAX_INT_DIGITS = 4000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `scillm prove`."""
    parser.add_argument("statement", nargs="?", help="a statement, lemma name or whole theorem to prove")
    parser.add_argument("--file", "-f", type=Path, help="items.jsonl, items.json or a .v/.lean file")
    parser.add_argument("--backend", choices=["coq", "lean"], help="proof backend (default: auto)")
    parser.add_argument("--model", help="LiteLLM model string for the LLM proposer (default: offline portfolio)")
    parser.add_argument("--api-base", help="OpenAI-compatible base URL for --model")
    parser.add_argument("--concurrency", type=int, default=2, help="items proved at once (default 2)")
    parser.add_argument("--max-rounds", type=int, help="propose/repair rounds per item")
    parser.add_argument("--candidates-per-round", type=int, help="candidates checked per round")
    parser.add_argument("--repairs-per-round", type=int, help="failures repaired per round")
    parser.add_argument("--timeout-ms", type=int, dest="timeout_ms_per_check", help="limit of one check")
    parser.add_argument("--max-checks", type=int, dest="max_total_checks", help="checks per item")
    parser.add_argument("--max-seconds", type=float, help="wall-clock limit per item")
    parser.add_argument("--tactic", action="append", default=[], dest="tactic",
                        help="a tactic script to try first, used whole (repeat for several)")
    parser.add_argument("--tactics", help="comma-separated tactic scripts to try first (a script with a comma: "
                                          "--tactic)")
    parser.add_argument("--no-llm", action="store_true", help="use the offline portfolio even with --model")
    parser.add_argument("--simple", action="store_true", help="one candidate, one check, no repair")
    parser.add_argument("--no-cache", action="store_true", help="check every candidate afresh")
    parser.add_argument("--out", "-o", type=Path, help="write one JSON result per line here")
    parser.add_argument("--json", action="store_true", help="print the full JSON payload instead of a table")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--require-proved", action="store_true", help="exit 1 unless every item is proved")


def load_items(statement: str | None, file: Path | None) -> list[Any]:
    """Items from the statement, the file, or the bundled examples; ValueError on unusable input."""
    if statement and file:
        raise ValueError("give a statement or --file, not both")
    if statement:
        return [{"requirement_text": statement}]
    if file is None:
        text = resources.files("scillm.integrations.certainly").joinpath(EXAMPLES).read_text("utf-8")
        return list(json.loads(text))
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {file}: {exc}") from exc
    suffix = file.suffix.lower()
    if suffix == ".jsonl":
        return [_json(line, f"{file}:{n}") for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if suffix == ".json":
        data = _json(text, str(file))
        return data if isinstance(data, list) else [data]
    if suffix in (".v", ".lean"):
        backend = "coq" if suffix == ".v" else "lean"
        return [{"id": file.stem, "requirement_text": text, "backend": backend}]
    return [{"requirement_text": line} for line in text.splitlines() if line.strip()]


def _json(text: str, where: str) -> boundedjson.JSONValue:
    """One JSON document read as the bridges read a body: a key given twice or deep nesting is refused."""
    try:
        return boundedjson.loads(text, max_depth=_MAX_DEPTH, max_int_digits=_MAX_INT_DIGITS)
    except ValueError as exc:
        raise ValueError(f"{where} is not usable JSON: {exc}") from exc


def _kwargs(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"concurrency": args.concurrency}
    for key in ("max_rounds", "candidates_per_round", "repairs_per_round", "timeout_ms_per_check",
                "max_total_checks", "max_seconds"):
        value = getattr(args, key)
        if value is not None:
            options[key] = value
    if args.no_llm:
        options["no_llm"] = True
    if args.simple:
        options["simple"] = True
    if args.no_cache:
        options["cache"] = False
    tactics = [*args.tactic, *(t.strip() for t in (args.tactics or "").split(",") if t.strip())]
    if tactics:
        options["tactics"] = tactics
    return {"options": options, "backend": args.backend, "model": args.model, "api_base": args.api_base,
            "request_timeout": None}


async def _run(items: list[Any], kwargs: dict[str, Any], progress: bool) -> dict[str, Any]:
    from tqdm import tqdm  # noqa: PLC0415  the progress bar loads only for `scillm prove`

    from scillm.integrations.certainly.engine import default_engine  # noqa: PLC0415  the CLI's parser stays light
    from scillm.integrations.certainly.results import ItemResult  # noqa: PLC0415  the CLI's parser stays light
    from scillm.settings import CertainlySettings  # noqa: PLC0415  the CLI's parser stays light

    counts = {"proved": 0, "failed": 0}
    with tqdm(total=len(items), desc="prove", unit="item", disable=not progress, file=sys.stderr) as bar:

        async def tick(result: ItemResult) -> None:
            counts["proved" if result.status == "proved" else "failed"] += 1
            bar.set_postfix(proved=counts["proved"], failed=counts["failed"])
            bar.update(1)

        payload = await default_engine(CertainlySettings.from_env()).arun(items, kwargs, on_result=tick)
    return payload.to_json()


def _table(payload: dict[str, Any]) -> str:
    rows = [("#", "id", "status", "checks", "ms", "proof / reason")]
    for r in payload["results"]:
        detail = r["proof"] if r["status"] == "proved" else (r.get("explanation") or "")
        detail = " ".join(str(detail).split())
        rows.append((str(r["index"]), r["item_id"], r["status"], str(r["stats"]["checks"]),
                     f"{r['stats']['time_ms']:.0f}", detail[:70]))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths, strict=True)) + "  " + row[5] for row in rows]
    return "\n".join(lines) + "\n" + str(payload["summary"])


def run(args: argparse.Namespace) -> int:
    """Execute `scillm prove`; the exit code."""
    try:
        items = load_items(args.statement, args.file)
        payload = asyncio.run(_run(items, _kwargs(args), progress=not args.no_progress))
    except (ValueError, InvalidRequestError) as exc:
        print(f"scillm prove: {exc}", file=sys.stderr)
        return 2
    if args.out is not None:
        with args.out.open("w", encoding="utf-8") as fh:
            for result in payload["results"]:
                fh.write(json.dumps(result, default=str) + "\n")
    print(json.dumps(payload, indent=2, default=str) if args.json else _table(payload))
    if args.require_proved and any(r["status"] != "proved" for r in payload["results"]):
        unproved = [r["item_id"] for r in payload["results"] if r["status"] != "proved"]
        print(f"scillm prove: --require-proved: not proved: {', '.join(unproved)}", file=sys.stderr)
        return 1
    return 0


__all__ = ["add_arguments", "load_items", "run"]
