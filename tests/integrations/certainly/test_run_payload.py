"""The run manifest records what a run used, never the server's LLM endpoint or key."""

from __future__ import annotations

from scillm.integrations.certainly.options import RunOptions
from scillm.integrations.certainly.run_payload import manifest, statistics, summarize


def test_manifest_never_carries_the_llm_endpoint_or_key() -> None:
    opts = RunOptions(api_base="http://127.0.0.1:9/secret-base", api_key="sk-secret")
    out = manifest([], [], opts, set(), {})
    assert "api_base" not in out["options"] and "api_key" not in out["options"]
    assert "secret" not in repr(out)


def test_summary_and_statistics_count_every_status() -> None:
    results = [{"status": s, "stats": {"checks": 1, "cache_hits": 0, "checker_ms": 2.0}}
               for s in ("proved", "failed", "proved")]
    assert summarize(results) == "Certainly: items=3, proved=2, failed=1"
    stats = statistics(results, 10.0)
    assert stats["by_status"] == {"proved": 2, "failed": 1} and stats["checks"] == 3
