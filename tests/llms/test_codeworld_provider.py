"""The `codeworld` provider through LiteLLM's `completion`, as users call it."""

from __future__ import annotations

import json

import litellm
import pytest

from scillm.errors import InvalidRequestError
from tests.integrations.codeworld.tasks import sort_item, square_item


@pytest.mark.needs_bwrap
def test_completion_returns_summary_and_payload() -> None:
    from scillm import completion

    response = completion(model="codeworld", custom_llm_provider="codeworld", items=[sort_item(), {"bad": 1}],
                          repeats=1, messages=[{"role": "user", "content": "rank these"}])
    payload = response.additional_kwargs["codeworld"]
    assert payload["summary"] == {"items": 2, "succeeded": 1, "failed": 1}
    assert payload["results"][0]["best_variant"] == "good"
    assert payload["results"][0]["search"] is None
    content = response.choices[0].message.content
    assert content.startswith("codeworld: 1/2 items evaluated, 1 failed") and "sort=good" in content
    assert "\n" not in content


@pytest.mark.needs_bwrap
async def test_mcts_model_selects_the_search() -> None:
    from scillm import acompletion

    response = await acompletion(model="codeworld/mcts", items=[square_item(20)], repeats=1,
                                 strategy_config={"rollouts": 30, "seed": 1}, messages=[])
    payload = response.additional_kwargs["codeworld"]
    (result,) = payload["results"]
    assert payload["run_manifest"]["strategy"] == "mcts"
    assert sum(result["search"]["visits"].values()) == 30
    assert result["best_variant"] == "exact"


@pytest.mark.needs_bwrap
def test_json_response_format_puts_the_payload_in_the_content() -> None:
    from scillm import completion

    response = completion(model="codeworld", custom_llm_provider="codeworld", items=[square_item(10)],
                          repeats=1, response_format={"type": "json_object"}, messages=[])
    body = json.loads(response.choices[0].message.content)
    assert body["summary"] == response.additional_kwargs["codeworld"]["summary"]
    assert body["results"][0]["best_variant"] == "exact"


def test_missing_items_is_a_bad_request() -> None:
    from scillm import completion

    with pytest.raises(InvalidRequestError, match="items") as info:
        completion(model="codeworld", custom_llm_provider="codeworld", messages=[])
    assert isinstance(info.value, litellm.BadRequestError)


def test_unknown_strategy_model_is_a_bad_request() -> None:
    from scillm import completion

    with pytest.raises(InvalidRequestError, match="codeworld/greedy"):
        completion(model="codeworld/greedy", items=[square_item(3)], messages=[])
