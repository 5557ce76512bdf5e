"""Hostile values from variants, scoring functions and requests: never a lost batch, never a forged rank.

Each test runs real variants in the real sandbox (bubblewrap, else the
unshare fallback) through `arun_items`, except the pure policy checks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from scillm.integrations.codeworld.api import arun_items
from scillm.integrations.codeworld.engine import outputs_match
from scillm.integrations.codeworld.judge import aggregate, builtin_scores
from scillm.integrations.codeworld.models import CaseRun
from scillm.integrations.codeworld.request_policy import RequestPolicyError, validate_request_args
from scillm.integrations.codeworld.sandbox import get_sandbox, probe_backend

HONEST = "def solve(x):\n    return x * 2\n"
CASES = [{"input": 3, "expected": 6}, {"input": 5, "expected": 10}, {"input": 0, "expected": 0}]


def _backend() -> str:
    for name in ("bwrap", "unshare"):
        if probe_backend(name) is None:
            return name
    pytest.skip("no isolating sandbox backend works here")


async def _rank(attacker: str, **args: Any) -> dict[str, Any]:
    sb = get_sandbox(backend=_backend(), workers=2)
    try:
        item = {"task_id": "t", "context": {"code_variants": {"honest": HONEST, "att": attacker}, "cases": CASES}}
        payload = await arun_items([item], sandbox=sb, **args)
    finally:
        await sb.aclose()
    json.dumps(payload, allow_nan=False)  # what a bridge must be able to send
    result: dict[str, Any] = payload["results"][0]
    assert result["status"] == "ok", result
    return result


async def test_integer_too_large_for_a_float_is_a_wrong_answer_not_a_lost_batch() -> None:
    result = await _rank("def solve(x):\n    return 10**3990\n")
    assert result["best_variant"] == "honest"
    assert next(r for r in result["ranking"] if r["variant_id"] == "att")["cases_passed"] == 0


async def test_reply_written_before_a_crash_is_not_a_result() -> None:
    attacker = ("import os, ctypes, json\ndef solve(x):\n"
                "    os.write(4, json.dumps({'ok': True, 'value': x * 2}).encode())\n    ctypes.string_at(0)\n")
    result = await _rank(attacker)
    att = next(r for r in result["ranking"] if r["variant_id"] == "att")
    assert att["cases_passed"] == 0
    assert any("SIGSEGV" in e for e in att["errors"])


@pytest.mark.parametrize("returned", ["10**400", "1e308 * 2 if False else 1e300", "True", "-1e308", "2.0"])
async def test_scoring_values_outside_unit_range_score_zero(returned: str) -> None:
    scorer = ("def score(task, context, outputs, timings):\n"
              f"    return {{'m': {returned} if context['variant_id'] == 'att' else 0.5}}\n")
    result = await _rank("def solve(x):\n    return x * 2 + (x == 5)\n", scoring={"code": scorer, "metrics": ["m"]})
    att = next(r for r in result["ranking"] if r["variant_id"] == "att")
    assert att["scores"]["m"] == 0.0
    assert result["best_variant"] == "honest"


async def test_scoring_metric_named_like_a_builtin_in_another_case_is_refused() -> None:
    scorer = "def score(task, context, outputs, timings):\n    return {' Correctness': 1.0}\n"
    result = await _rank("def solve(x):\n    return x * 2 + (x == 5)\n", scoring={"code": scorer})
    att = next(r for r in result["ranking"] if r["variant_id"] == "att")
    assert any("may not redefine built-in metric" in e for e in att["errors"])
    assert result["best_variant"] == "honest"


def test_instant_wrong_answer_sets_no_pace() -> None:
    runs = {
        "fast": [CaseRun(case_index=0, ok=True, passed=True, output=1, time_ms=2.0)],
        "slow": [CaseRun(case_index=0, ok=True, passed=True, output=1, time_ms=8.0)],
        "wrong": [CaseRun(case_index=0, ok=True, passed=False, output=0, time_ms=0.001)],
    }
    scores = builtin_scores({v: "def solve():\n    return 1\n" for v in runs}, runs)
    assert scores["fast"]["speed"] == 1.0
    assert scores["slow"]["speed"] == pytest.approx(0.25)
    assert scores["wrong"]["speed"] == 0.0


def test_bool_and_huge_numbers_compare_without_raising() -> None:
    assert not outputs_match(True, 1)
    assert not outputs_match([1, True], [1, 1])
    assert not outputs_match(10**4000, 1.5)
    assert outputs_match(10**4000, 10**4000)
    assert outputs_match(-0.0, 0)


def test_aggregate_that_overflows_is_zero() -> None:
    assert aggregate({"a": 1e308, "b": 1e308}, {}) == 0.0


@pytest.mark.parametrize("args", [
    {"weights": {"correctness": float("inf")}},
    {"weights": {"speed": float("nan")}},
    {"weights": {"correctness": 1e308}},
    {"weights": {"correctness": -1.0}},
    {"strategy_config": {"uct_c": float("inf")}},
    {"autogenerate": {"API_BASE": "http://127.0.0.1:9/"}},
    {"strategy_config": {"api_base": "http://127.0.0.1:9/"}},
    {"scoring": {"code": "def score(*a):\n    return {}\n", "api_key": "k"}},
    {"models": {"x": {"model": "m", "api_base": "http://127.0.0.1:9/"}}},
])
def test_request_values_a_server_cannot_echo_or_must_not_take_are_refused(args: dict[str, Any]) -> None:
    with pytest.raises(RequestPolicyError):
        validate_request_args(args)
