"""`scillm batch` (also `scillm-tool parallel`): a JSONL or messages_list file in, JSONL results out.

Each input line is a prompt string, a messages list, `{"prompt", "system"?}`
or a whole request dict (`{"messages", "model"?, ...}`); `--messages-list`
reads one JSON file holding a list of messages lists instead. Every result is
one JSON line `{index, status, ok, content, error, attempts, elapsed_s}`,
written as it finishes, with a progress bar on stderr. Rerunning with the
same output file resumes: lines already `ok` are kept and only the rest run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from scillm.errors import ConfigError
from scillm.paved.batch import parallel_acompletions_iter
from scillm.paved.progress import with_progress


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="JSONL of prompts or requests (or, with --messages-list, JSON)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="JSONL results; resumed when present")
    parser.add_argument("--messages-list", action="store_true",
                        help="the input is one JSON list of messages lists (the `messages_list` shape)")
    parser.add_argument("--model", default=None, help="model for requests without one (default: CHUTES_MODEL_ID)")
    parser.add_argument("--api-base", default=None, help="OpenAI-compatible base URL (default: SCILLM_API_BASE)")
    parser.add_argument("--api-key", default=None, help="API key (default: CHUTES_API_KEY)")
    parser.add_argument("--provider", default="openai_like", help="custom_llm_provider (default: openai_like)")
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per attempt")
    parser.add_argument("--wall-time-s", type=float, default=900.0, help="budget per item")
    parser.add_argument("--max-tokens", type=int, default=None)
    parser.add_argument("--temperature", type=float, default=None)
    parser.add_argument("--json", action="store_true", help='ask for response_format={"type": "json_object"}')
    parser.add_argument("--no-tenacious", action="store_true", help="the first error of an item is final")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _request(entry: object, where: str) -> dict[str, Any]:
    if isinstance(entry, str):
        return {"messages": [{"role": "user", "content": entry}]}
    if isinstance(entry, list):
        return {"messages": entry}
    if isinstance(entry, dict) and "messages" in entry:
        return dict(entry)
    if isinstance(entry, dict) and isinstance(entry.get("prompt"), str):
        messages = [{"role": "user", "content": entry["prompt"]}]
        if entry.get("system"):
            messages.insert(0, {"role": "system", "content": entry["system"]})
        rest = {k: v for k, v in entry.items() if k not in ("prompt", "system")}
        return {**rest, "messages": messages}
    raise ConfigError(f"{where}: expected a prompt string, a messages list, {{'prompt': ...}} or "
                      f"{{'messages': [...]}}, got {type(entry).__name__}")


def read_requests(path: Path, messages_list: bool) -> list[dict[str, Any]]:
    """The per-item request dicts the batch API takes, built from the input file."""
    text = path.read_text(encoding="utf-8")
    if messages_list:
        data = json.loads(text)
        if isinstance(data, dict):
            data = data.get("messages_list")
        if not isinstance(data, list) or not all(isinstance(m, list) for m in data):
            raise ConfigError(f"{path}: --messages-list wants a JSON list of messages lists")
        return [{"messages": m} for m in data]
    requests = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                entry = json.loads(line)
            except ValueError as exc:
                raise ConfigError(f"{path}:{number}: not JSON ({exc})") from None
            requests.append(_request(entry, f"{path}:{number}"))
    return requests


def _done_lines(output: Path) -> dict[int, str]:
    """index -> line of results already `ok` in an earlier run (others run again)."""
    kept: dict[int, str] = {}
    if not output.exists():
        return kept
    for line in output.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and row.get("ok") and isinstance(row.get("index"), int):
            kept[row["index"]] = line
    return kept


def _row(result: dict[str, Any]) -> dict[str, Any]:
    return {k: result.get(k) for k in ("index", "status", "ok", "content", "error", "attempts", "elapsed_s",
                                       "repaired")}


async def _arun(args: argparse.Namespace) -> int:
    requests = read_requests(args.input, args.messages_list)
    kept = _done_lines(args.output)
    todo = [i for i in range(len(requests)) if i not in kept]
    for i in todo:
        if args.model and "model" not in requests[i]:
            requests[i]["model"] = args.model
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("".join(kept[i] + "\n" for i in sorted(kept)), encoding="utf-8")
    counts = {"ok": len(kept), "failed": 0}
    if todo:
        results = parallel_acompletions_iter(
            [requests[i] for i in todo], api_base=args.api_base, api_key=args.api_key,
            custom_llm_provider=args.provider, concurrency=args.concurrency, timeout=args.timeout,
            wall_time_s=args.wall_time_s, default_max_tokens=args.max_tokens,
            default_temperature=args.temperature, tenacious=not args.no_tenacious,
            response_format={"type": "json_object"} if args.json else None)
        with args.output.open("a", encoding="utf-8") as out:
            async for result in with_progress(results, total=len(todo), desc="batch", disable=args.no_progress):
                row = _row(result)
                row["index"] = todo[result["index"]]
                out.write(json.dumps(row, default=str) + "\n")
                out.flush()
                counts["ok" if row["ok"] else "failed"] += 1
    print(f"batch: {len(requests)} requests, {counts['ok']} ok ({len(kept)} resumed), {counts['failed']} failed "
          f"-> {args.output}", file=sys.stderr)
    return 0 if counts["failed"] == 0 else 1


def run(args: argparse.Namespace) -> int:
    """Run the batch; exit 0 when every request is ok, 1 when some failed, 2 for unusable input."""
    try:
        return asyncio.run(_arun(args))
    except ConfigError as exc:
        print(f"scillm batch: {exc}", file=sys.stderr)
        return 2


def tool_main(argv: list[str] | None = None) -> int:
    """`scillm-tool parallel ...`: the same command under the name pipelines already call."""
    parser = argparse.ArgumentParser(prog="scillm-tool", description="scillm pipeline tools")
    sub = parser.add_subparsers(dest="command", metavar="{parallel}")
    sub.required = True
    add_arguments(sub.add_parser("parallel", help="run a JSONL / messages_list batch, resumable"))
    return run(parser.parse_args(argv))


__all__ = ["add_arguments", "read_requests", "run", "tool_main"]
