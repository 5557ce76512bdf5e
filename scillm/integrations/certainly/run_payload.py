"""The run payload's parts: the one-line summary, statistics and the run manifest.

The manifest records what a run used (backends, proposer, budget, options)
but never the server's LLM endpoint or key.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timezone

from scillm import __version__
from scillm.integrations.certainly.models import BackendStatus
from scillm.integrations.certainly.options import RunOptions
from scillm.integrations.certainly.proposers.llm import prompt_versions
from scillm.integrations.certainly.results import BackendVersion, ItemResult, RunManifest, RunStatistics

SCHEMA = "certainly.run/1"
_ORDER = ("proved", "failed", "timeout", "error", "needs_llm", "env_unavailable", "rejected")


def summarize(results: Sequence[ItemResult]) -> str:
    """`Certainly: items=3, proved=2, failed=1` (zero counts left out)."""
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    parts = [f"items={len(results)}", f"proved={counts.get('proved', 0)}"]
    parts += [f"{s}={counts[s]}" for s in _ORDER[1:] if counts.get(s)]
    return "Certainly: " + ", ".join(parts)


def manifest(results: Sequence[ItemResult], opts: RunOptions, statuses: dict[str, BackendStatus], *,
             max_seconds: float | None = None) -> RunManifest:
    """What the run used; the LLM endpoint and key are left out."""
    used = sorted({r.backend for r in results})
    return RunManifest.model_validate({
        "run_id": uuid.uuid4().hex, "schema": SCHEMA, "ts": datetime.now(timezone.utc).isoformat(),
        "session_id": opts.session_id, "track_id": opts.track_id,
        "item_ids": [r.item_id for r in results],
        "backends": {b: BackendVersion(version=statuses[b].version if b in statuses else None) for b in used},
        "proposer": "llm" if opts.uses_llm else "portfolio", "model": opts.model,
        "prompts": prompt_versions() if opts.uses_llm else None,
        "budget": opts.budget.model_dump(mode="json"),
        "options": opts.model_dump(mode="json", exclude={"api_key", "api_base", "budget"}),
        "package_version": __version__, "max_seconds": max_seconds,
    })


def statistics(results: Sequence[ItemResult], wall_ms: float) -> RunStatistics:
    """Counts by status and the summed checker counters."""
    by_status: dict[str, int] = {}
    for r in results:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    return RunStatistics(
        items=len(results), by_status=by_status, proved=by_status.get("proved", 0),
        checks=sum(r.stats.checks for r in results), cache_hits=sum(r.stats.cache_hits for r in results),
        checker_ms=round(sum(r.stats.checker_ms for r in results), 3), wall_ms=round(wall_ms, 3),
    )


__all__ = ["SCHEMA", "manifest", "statistics", "summarize"]
