"""Judge arithmetic: metrics from runs, renormalised aggregate, weighted vs lex ordering."""

from __future__ import annotations

import pytest

from scillm.integrations.codeworld.judge import aggregate, builtin_scores, error_lines, lines_of_code, rank
from scillm.integrations.codeworld.models import CaseRun, VariantScore


def _run(i: int, *, ok: bool = True, passed: bool = True, t: float | None = 1.0) -> CaseRun:
    return CaseRun(case_index=i, ok=ok, passed=passed and ok, output=i, time_ms=t if ok else None,
                   error=None if ok else "boom", error_type=None if ok else "ValueError")


def test_builtin_metrics() -> None:
    variants = {"fast": "def solve(x):\n    return x\n", "slow": "# c\n\ndef solve(x):\n    y = x\n    return y\n"}
    runs = {
        "fast": [_run(0, t=1.0), _run(1, passed=False, t=2.0)],
        "slow": [_run(0, t=4.0), _run(1, ok=False)],
    }
    s = builtin_scores(variants, runs)
    assert s["fast"] == {"correctness": 0.5, "robustness": 1.0, "speed": 0.5, "brevity": 1.0}  # a wrong run: 0
    assert s["slow"]["correctness"] == 0.5
    assert s["slow"]["robustness"] == 0.5
    assert s["slow"]["speed"] == pytest.approx((1.0 / 4.0 + 0.0) / 2)
    assert s["slow"]["brevity"] == pytest.approx(2 / 3)
    assert lines_of_code(variants["slow"]) == 3


def test_aggregate_renormalises_over_present_metrics() -> None:
    assert aggregate({"correctness": 1.0}, {}) == 1.0
    assert aggregate({"correctness": 1.0, "speed": 0.0}, {"correctness": 3, "speed": 1}) == pytest.approx(0.75)
    assert aggregate({"correctness": 1.0, "mine": 0.0}, {"correctness": 1}) == pytest.approx(0.5)
    assert aggregate({"correctness": 1.0, "speed": 0.0}, {"speed": 0}) == 1.0
    assert aggregate({}, {}) == 0.0


def test_weighted_and_lex_disagree_when_weights_favour_speed() -> None:
    full = {"exact": {"correctness": 1.0, "speed": 0.1, "brevity": 0.2},
            "quick": {"correctness": 0.9, "speed": 1.0, "brevity": 1.0}}
    weights = {"correctness": 0.1, "speed": 1.0, "brevity": 1.0, "robustness": 0.0}
    rows = [VariantScore(variant_id=v, scores=dict(s), aggregate=aggregate(s, weights), cases_passed=0, cases_run=0)
            for v, s in full.items()]
    assert [r.variant_id for r in rank(rows, "weighted", full)] == ["quick", "exact"]
    assert [r.variant_id for r in rank(rows, "lex", full)] == ["exact", "quick"]


def test_error_lines_are_readable_and_capped() -> None:
    runs = [_run(i, ok=False) for i in range(8)] + [_run(8, passed=False)]
    lines = error_lines(runs, limit=3)
    assert lines[0] == "case 0: ValueError: boom"
    assert lines[-1] == "... and 6 more failing cases"
    assert "wrong output 8" in error_lines([_run(8, passed=False)])[0]
