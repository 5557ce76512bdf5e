"""What a request may not do: choose where secrets go, switch the sandbox off, or dodge the judge."""

from __future__ import annotations

import math
from typing import Any

import pytest

from scillm.errors import InvalidRequestError
from scillm.integrations.codeworld.api import arun_items
from scillm.integrations.codeworld.judge import aggregate, rank
from scillm.integrations.codeworld.models import VariantScore
from scillm.integrations.codeworld.request_policy import RequestPolicyError, validate_request_args
from scillm.integrations.codeworld.settings import CodeworldSettings, ModelEndpoint
from tests.integrations.codeworld.tasks import sort_item


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"autogenerate": {"enabled": True, "model": "gpt", "api_base": "http://attacker.example"}},
         "autogenerate.api_base"),
        ({"autogenerate": {"enabled": True, "model": "gpt", "api_key": "sk-mine"}}, "autogenerate.api_key"),
        ({"autogenerate": {"enabled": True, "model": "gpt", "custom_llm_provider": "openai_like"}},
         "autogenerate.custom_llm_provider"),
        ({"autogenerate": {"enabled": True, "model": "openai/gpt-4o"}}, "autogenerate.model"),
        ({"allow_unsandboxed": True}, "allow_unsandboxed"),
        ({"store_path": "/etc/passwd"}, "store_path"),
        ({"strategy_config": {"timeout_ms": 600_000}}, "strategy_config.timeout_ms"),
        ({"repeats": 0}, "repeats"),
    ],
)
def test_request_cannot_choose_secrets_destination_or_policy(args: dict[str, Any], field: str) -> None:
    with pytest.raises(RequestPolicyError) as info:
        validate_request_args(args)
    assert info.value.field == field
    assert isinstance(info.value, InvalidRequestError) and field in str(info.value)


async def test_arun_items_refuses_request_chosen_api_base_and_unsandboxed() -> None:
    with pytest.raises(InvalidRequestError, match="autogenerate.api_base"):
        await arun_items([sort_item()], autogenerate={"enabled": True, "model": "m", "api_base": "http://x.example"})
    with pytest.raises(InvalidRequestError, match="allow_unsandboxed"):
        await arun_items([sort_item()], allow_unsandboxed=True)


def _row(vid: str, agg: float, correctness: float = 0.0) -> VariantScore:
    return VariantScore(variant_id=vid, scores={"correctness": correctness}, aggregate=agg, cases_passed=0,
                        cases_run=1)


def test_non_finite_aggregates_rank_last() -> None:
    rows = [_row("nan", math.nan, 1.0), _row("good", 0.9, 1.0), _row("inf", math.inf, 1.0), _row("meh", 0.1)]
    for mode in ("weighted", "lex"):
        order = [r.variant_id for r in rank(rows, mode, {"nan": {"correctness": math.nan}, "good": {"correctness": 1.0},
                                                         "inf": {"correctness": math.inf}, "meh": {}})]
        assert order[:2] == ["good", "meh"], (mode, order)
    assert aggregate({"correctness": math.nan, "speed": 1.0}, {}) == 0.0


@pytest.mark.needs_bwrap
async def test_failing_score_function_scores_zero_for_its_metrics() -> None:
    scoring = """
def score(task, context, outputs, timings):
    if context["variant_id"] == "dedup":
        raise RuntimeError("cannot score this one")
    return {"quality": 1.0}
"""
    payload = await arun_items([sort_item()], scoring={"code": scoring}, repeats=1)
    rows = {r["variant_id"]: r for r in payload["results"][0]["ranking"]}
    assert rows["good"]["scores"]["quality"] == 1.0
    assert rows["dedup"]["scores"]["quality"] == 0.0, "a failing score() must not drop its metric"
    assert any("cannot score this one" in e for e in rows["dedup"]["errors"])


@pytest.mark.parametrize("kwarg", ["sandbox", "store", "settings"])
async def test_a_request_spread_as_keywords_cannot_supply_configuration_objects(kwarg: str) -> None:
    body: dict[str, Any] = {kwarg: {"allow_unsandboxed": True, "backend": "unsandboxed"}}
    with pytest.raises(RequestPolicyError) as info:
        await arun_items([sort_item()], **body)
    assert info.value.field == kwarg


def test_declared_alias_is_accepted_and_undeclared_refused() -> None:
    settings = CodeworldSettings(models={"fast": ModelEndpoint(model="openai/gpt-4o-mini", api_key="sk-server")})
    args = validate_request_args({"autogenerate": {"enabled": True, "model": "fast"}}, settings)
    assert args.autogenerate.model == "fast"
    with pytest.raises(RequestPolicyError, match="declared: fast"):
        validate_request_args({"autogenerate": {"enabled": True, "model": "slow"}}, settings)
    assert "sk-server" not in repr(settings)


@pytest.mark.needs_bwrap
async def test_score_function_cannot_overwrite_builtin_metrics() -> None:
    scoring = "def score(task, context, outputs, timings):\n    return {'correctness': 1.0, 'style': 0.5}\n"
    payload = await arun_items([sort_item()], scoring={"code": scoring, "metrics": ["style"]}, repeats=1)
    rows = {r["variant_id"]: r for r in payload["results"][0]["ranking"]}
    assert rows["dedup"]["scores"]["correctness"] < 1.0 and rows["dedup"]["scores"]["style"] == 0.0
    assert any("may not redefine built-in metric(s) correctness" in e for e in rows["dedup"]["errors"])
