"""codeworld end to end through `arun_items`: real sandboxed runs, real rankings."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from scillm.errors import InvalidRequestError
from scillm.integrations.codeworld.api import arun_items, arun_items_iter
from tests.integrations.codeworld.tasks import SORT_DEDUP, SORT_GOOD, SORT_SLOW, sort_item, square_item

pytestmark = pytest.mark.needs_bwrap


def _row(result: dict[str, Any], vid: str) -> dict[str, Any]:
    return next(r for r in result["ranking"] if r["variant_id"] == vid)


async def test_ranks_three_sorts_wrong_one_last_slow_one_behind() -> None:
    payload = await arun_items([sort_item()])
    assert payload["summary"] == {"items": 1, "succeeded": 1, "failed": 0}
    (result,) = payload["results"]
    assert result["status"] == "ok"
    assert [r["variant_id"] for r in result["ranking"]] == ["good", "slow", "dedup"]
    assert result["best_variant"] == "good"
    good, slow, dedup = _row(result, "good"), _row(result, "slow"), _row(result, "dedup")
    assert good["scores"]["correctness"] == 1.0 and slow["scores"]["correctness"] == 1.0
    assert dedup["cases_passed"] == 1 and dedup["cases_run"] == 6
    assert dedup["errors"][0].startswith("case 1: wrong output")
    assert good["scores"]["speed"] > 2 * slow["scores"]["speed"]
    assert good["scores"]["brevity"] == 1.0 > slow["scores"]["brevity"]
    assert result["outputs"]["good"][0] == [1, 2, 3]
    assert all(t is not None and t > 0 for t in result["timings"]["slow"])
    assert payload["statistics"]["evaluations"] == 18


async def test_crash_timeout_and_missing_entry_are_failures_with_their_error() -> None:
    item = sort_item(
        crash="def solve(xs):\n    raise ValueError('nope')\n",
        spin="def solve(xs):\n    while True:\n        pass\n",
        noentry="def other(xs):\n    return sorted(xs)\n",
    )
    item["context"]["cases"] = item["context"]["cases"][:2]
    payload = await arun_items([item], strategy_config={"timeout_ms": 300}, repeats=1)
    (result,) = payload["results"]
    for vid, text in (("crash", "valueerror: nope"), ("spin", "timeout"), ("noentry", "solve")):
        row = _row(result, vid)
        assert row["cases_passed"] == 0 and row["scores"]["correctness"] == 0.0
        assert row["scores"]["robustness"] == 0.0
        assert len(row["errors"]) == 2 and text in row["errors"][0].lower()
    assert {r["variant_id"] for r in result["ranking"][-3:]} == {"crash", "spin", "noentry"}
    assert result["best_variant"] == "good"


async def test_user_scoring_function_runs_in_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEWORLD_TEST_SECRET", "hunter2")
    scoring = """import os
def score(task, context, outputs, timings):
    n = len(context["cases"])
    firsts = sum(1 for o in outputs if o and o[0] == 0)
    return {"starts_at_zero": firsts / n, "sees_secret": float("CODEWORLD_TEST_SECRET" in os.environ)}
"""
    payload = await arun_items([sort_item()], scoring={"lang": "py", "code": scoring, "entry": "score"})
    (result,) = payload["results"]
    good = _row(result, "good")
    assert good["scores"]["sees_secret"] == 0.0
    assert 0.0 < good["scores"]["starts_at_zero"] <= 1.0
    assert set(good["scores"]) == {"correctness", "speed", "brevity", "robustness", "starts_at_zero", "sees_secret"}
    assert payload["run_manifest"]["scoring"]["sha256"] == hashlib.sha256(scoring.encode()).hexdigest()


async def test_bad_scoring_function_is_reported_not_trusted() -> None:
    scoring = "def score(task, context, outputs, timings):\n    return 'great'\n"
    payload = await arun_items([sort_item()], scoring={"code": scoring}, repeats=1)
    good = _row(payload["results"][0], "good")
    assert any("must return {metric: number}" in e for e in good["errors"])
    assert set(good["scores"]) == {"correctness", "speed", "brevity", "robustness"}


async def test_lex_and_weighted_disagree_on_real_runs() -> None:
    exact = SORT_SLOW
    quick = "def solve(xs):\n    return sorted(xs) if len(xs) > 3 else xs\n"  # wrong on the first case only
    item = {"task_id": "lexw", "context": {"code_variants": {"exact": exact, "quick": quick},
                                           "cases": sort_item()["context"]["cases"]}}
    weights = {"correctness": 0.1, "speed": 1.0, "brevity": 1.0, "robustness": 0.0}
    weighted = await arun_items([item], weights=weights, judge_mode="weighted")
    lex = await arun_items([item], weights=weights, judge_mode="lex")
    assert weighted["results"][0]["best_variant"] == "quick"
    assert lex["results"][0]["best_variant"] == "exact"
    assert _row(lex["results"][0], "quick")["scores"]["correctness"] == pytest.approx(5 / 6)


@pytest.mark.parametrize("seed", [0, 11])
async def test_bandit_finds_the_best_under_a_small_budget(seed: int) -> None:
    """8 variants x 50 cases = 400 executions for a full sweep; the search gets 60."""
    payload = await arun_items([square_item(50)], strategy="bandit", repeats=1,
                               strategy_config={"rollouts": 60, "seed": seed})
    (result,) = payload["results"]
    search = result["search"]
    assert result["best_variant"] == "exact" == search["best"]
    assert result["ranking"][0]["variant_id"] == "exact"
    assert sum(search["visits"].values()) == 60 == payload["statistics"]["evaluations"]
    assert search["visits"]["exact"] == max(search["visits"].values())
    assert search["values"]["exact"] == 1.0
    assert search["seed"] == seed
    assert len(search["cases_run"]["exact"]) == search["visits"]["exact"]
    assert result["ranking"][0]["cases_run"] == search["visits"]["exact"]


async def test_bandit_is_deterministic_per_seed() -> None:
    async def run(seed: int, parallel: int = 1) -> dict[str, Any]:
        payload = await arun_items([square_item(50)], strategy="mcts", repeats=1,
                                   strategy_config={"rollouts": 40, "seed": seed, "parallel": parallel})
        return payload["results"][0]["search"]

    a, b, c = await run(3), await run(3), await run(4)
    assert (a["visits"], a["cases_run"], a["values"]) == (b["visits"], b["cases_run"], b["values"])
    assert a["case_order"] != c["case_order"]
    p, q = await run(3, parallel=2), await run(3, parallel=2)
    assert (p["visits"], p["cases_run"], p["values"]) == (q["visits"], q["cases_run"], q["values"])


async def test_bad_items_get_error_results_in_order() -> None:
    items: list[Any] = ["not an item", sort_item(), {"id": "nocases", "context": {"code_variants": {"a": SORT_GOOD}}}]
    payload = await arun_items(items, repeats=1)
    assert payload["summary"] == {"items": 3, "succeeded": 1, "failed": 2}
    assert [r["index"] for r in payload["results"]] == [0, 1, 2]
    assert [r["status"] for r in payload["results"]] == ["error", "ok", "error"]
    assert payload["results"][2]["item_id"] == "nocases"
    assert "context.cases" in payload["results"][2]["error"]


async def test_iterator_yields_each_item_once() -> None:
    items = [sort_item(), {"bad": True}, square_item(5)]
    seen = [r async for r in arun_items_iter(items, repeats=1)]
    assert sorted(r["index"] for r in seen) == [0, 1, 2]
    assert {r["item_id"] for r in seen} == {"sort", "item-1", "square"}


async def test_manifest_is_enough_to_replay() -> None:
    payload = await arun_items([sort_item()], strategy="bandit", strategy_config={"rollouts": 9, "seed": 5})
    m = payload["run_manifest"]
    assert m["seeds"] == {"strategy": 5}
    assert m["strategy"] == "bandit" and m["strategy_config"]["rollouts"] == 9
    assert m["sandbox"]["backend"] in ("bwrap", "unshare") and m["sandbox"]["isolated"] is True
    assert m["sandbox"]["limits"]["wall_ms"] == 2000
    variants = m["items"][0]["variants"]
    assert variants == {vid: hashlib.sha256(code.encode()).hexdigest()
                        for vid, code in {"good": SORT_GOOD, "dedup": SORT_DEDUP, "slow": SORT_SLOW}.items()}
    assert len(m["items"][0]["cases"]) == 6 and len(set(m["items"][0]["cases"])) == 6
    assert len(m["run_id"]) == 32 and m["ts"].endswith("+00:00")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"strategy": "greedy"}, "strategy"), ({"metrics": ["beauty"]}, "metrics"),
     ({"frobnicate": 1}, "frobnicate"), ({"iterations": 2}, "autogenerate.model")],
)
async def test_bad_arguments_raise_named_error(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequestError, match=field):
        await arun_items([sort_item()], **kwargs)


async def test_items_must_be_a_list() -> None:
    with pytest.raises(InvalidRequestError, match="items"):
        await arun_items("sort me")  # type: ignore[arg-type]
