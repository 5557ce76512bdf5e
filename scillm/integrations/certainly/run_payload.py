"""The run payload's parts: the one-line summary, statistics and the run manifest.

The manifest records what a run used (backends, proposer, budget, options)
but never the server's LLM endpoint or key.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from scillm.integrations.certainly.models import BackendStatus
from scillm.integrations.certainly.options import RunOptions
from scillm.integrations.certainly.proposers.llm import prompt_versions

SCHEMA = "certainly.run/1"


def summarize(results: list[dict[str, Any]]) -> str:
    """`Certainly: items=3, proved=2, failed=1` (zero counts left out)."""
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    order = ["proved", "failed", "timeout", "error", "needs_llm", "env_unavailable", "rejected"]
    parts = [f"items={len(results)}", f"proved={counts.get('proved', 0)}"]
    parts += [f"{s}={counts[s]}" for s in order[1:] if counts.get(s)]
    return "Certainly: " + ", ".join(parts)


def manifest(items: list[Any], results: list[dict[str, Any]], opts: RunOptions, ctx_backends: set[str],
              statuses: dict[str, BackendStatus]) -> dict[str, Any]:
    import scillm

    return {
        "run_id": uuid.uuid4().hex,
        "schema": SCHEMA,
        "ts": datetime.now(timezone.utc).isoformat(),
        "session_id": opts.session_id,
        "track_id": opts.track_id,
        "item_ids": [r["item_id"] for r in results],
        "backends": {b: {"version": statuses[b].version if b in statuses else None} for b in sorted(ctx_backends)},
        "proposer": "llm" if opts.uses_llm else "portfolio",
        "model": opts.model,
        "prompts": prompt_versions() if opts.uses_llm else None,
        "budget": opts.budget.model_dump(),
        "options": opts.model_dump(exclude={"api_key", "api_base", "budget"}),
        "package_version": scillm.__version__,
    }


def statistics(results: list[dict[str, Any]], wall_ms: float) -> dict[str, Any]:
    by_status: dict[str, int] = {}
    for r in results:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    return {
        "items": len(results),
        "by_status": by_status,
        "proved": by_status.get("proved", 0),
        "checks": sum(r["stats"]["checks"] for r in results),
        "cache_hits": sum(r["stats"]["cache_hits"] for r in results),
        "checker_ms": round(sum(r["stats"]["checker_ms"] for r in results), 3),
        "wall_ms": round(wall_ms, 3),
    }


__all__ = ["SCHEMA", "manifest", "statistics", "summarize"]
