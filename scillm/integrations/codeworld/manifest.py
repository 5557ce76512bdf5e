"""The run manifest: enough to replay a codeworld call and to tell two runs apart.

Content hashes (sha256) of every variant, every case and the scoring code,
plus the run id, wall-clock time, seeds, strategy parameters and the
sandbox backend with its limits.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from scillm.integrations.codeworld.models import Case, CodeTask, CodeworldArgs


def sha256_text(text: str) -> str:
    """Hex sha256 of UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def case_hash(case: Case) -> str:
    """Hash of a case's canonical JSON (sorted keys), so equal cases hash equally."""
    blob = json.dumps({"args": case.args, "expected": case.expected}, sort_keys=True, default=repr)
    return sha256_text(blob)


def build_manifest(
    args: CodeworldArgs,
    tasks: Sequence[CodeTask | None],
    sandbox: Mapping[str, Any],
    *,
    generated: Mapping[int, Mapping[str, str]] | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """Describe one call. `tasks[i]` is None for an item that failed normalisation.

    `generated` maps item index to variants the LLM wrote, hashed alongside
    the given ones.
    """
    items: list[dict[str, Any]] = []
    for index, task in enumerate(tasks):
        if task is None:
            items.append({"index": index, "error": True})
            continue
        variants = dict(task.variants)
        variants.update((generated or {}).get(index, {}))
        items.append(
            {
                "index": index,
                "task_id": task.task_id,
                "entry": task.entry,
                "variants": {vid: sha256_text(code) for vid, code in variants.items()},
                "cases": [case_hash(c) for c in task.cases],
            }
        )
    cfg = args.strategy_config
    return {
        "run_id": run_id or uuid.uuid4().hex,
        "ts": datetime.now(timezone.utc).isoformat(),
        "seeds": {"strategy": cfg.seed},
        "strategy": args.strategy,
        "strategy_config": cfg.model_dump(),
        "metrics": list(args.metrics),
        "judge_mode": args.judge_mode,
        "weights": dict(args.weights),
        "repeats": args.repeats,
        "iterations": args.iterations,
        "autogenerate": args.autogenerate.model_dump(exclude={"api_key"}),
        "scoring": (
            {"lang": args.scoring.lang, "entry": args.scoring.entry, "sha256": sha256_text(args.scoring.code)}
            if args.scoring
            else None
        ),
        "sandbox": dict(sandbox),
        "items": items,
    }


__all__ = ["build_manifest", "case_hash", "sha256_text"]
