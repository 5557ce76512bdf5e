"""The run manifest records what a run used, never the server's LLM endpoint or key."""

from __future__ import annotations

from scillm.integrations.certainly.options import RunOptions
from scillm.integrations.certainly.outcome import LoopStats
from scillm.integrations.certainly.results import ItemResult
from scillm.integrations.certainly.run_payload import manifest, statistics, summarize


def test_manifest_never_carries_the_llm_endpoint_or_key() -> None:
    opts = RunOptions(api_base="http://127.0.0.1:9/secret-base", api_key="sk-secret")
    out = manifest([], opts, {}).model_dump(mode="json", by_alias=True)
    assert "api_base" not in out["options"] and "api_key" not in out["options"]
    assert "secret" not in repr(out)


def test_summary_and_statistics_count_every_status() -> None:
    results = [ItemResult(index=i, item_id=f"item-{i}", status=s, backend="coq",  # type: ignore[arg-type]
                          stats=LoopStats(checks=1, checker_ms=2.0))
               for i, s in enumerate(("proved", "failed", "proved"))]
    assert summarize(results) == "Certainly: items=3, proved=2, failed=1"
    stats = statistics(results, 10.0)
    assert stats.by_status == {"proved": 2, "failed": 1} and stats.checks == 3


def test_item_json_names_the_code_by_backend_and_keeps_direct_mode() -> None:
    coq = ItemResult(index=0, item_id="a", status="proved", backend="coq", code="x").to_json()
    lean = ItemResult(index=0, item_id="a", status="failed", backend="lean").to_json()
    assert coq["coq_code"] == "x" and "lean_code" not in coq and coq["_direct_mode"] is True
    assert "lean_code" in lean and lean["lean_code"] is None and "coq_code" not in lean
