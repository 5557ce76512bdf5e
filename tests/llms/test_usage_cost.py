"""Usage, cost and callbacks of scillm responses, in LiteLLM's own terms, with real Coq."""

from __future__ import annotations

import asyncio
from typing import Any

import litellm
import pytest
from litellm.integrations.custom_logger import CustomLogger

import scillm
from tests.support.llm_server import LLMServer

ITEMS = [{"id": "plus0", "requirement_text": "forall n : nat, n + 0 = n"}]
MESSAGES = [{"role": "user", "content": "prove"}]


class _Recorder(CustomLogger):
    """Keeps what LiteLLM hands its callbacks; the events say when each kind arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.success: list[dict[str, Any]] = []
        self.failure: list[dict[str, Any]] = []
        self.got_success = asyncio.Event()
        self.got_failure = asyncio.Event()

    async def async_log_success_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any,
                                      end_time: Any) -> None:
        self.success.append(kwargs)
        self.got_success.set()

    async def async_log_failure_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any,
                                      end_time: Any) -> None:
        self.failure.append(kwargs)
        self.got_failure.set()


@pytest.mark.needs_coq
def test_every_response_has_usage_and_zero_cost() -> None:
    resp = scillm.completion(model="certainly/coq", messages=MESSAGES, items=ITEMS, options={"cache": False})
    assert resp.usage.prompt_tokens == 0 and resp.usage.completion_tokens == 0 and resp.usage.total_tokens == 0
    assert resp.usage.scillm_items == 1 and resp.usage.scillm_checks >= 1
    assert resp._hidden_params["scillm"]["by_status"] == {"proved": 1}
    assert litellm.completion_cost(completion_response=resp) == 0.0
    bare = scillm.completion(model="certainly", messages=MESSAGES, items=ITEMS, options={"cache": False},
                             backend="coq")
    assert litellm.completion_cost(completion_response=bare) == 0.0


@pytest.mark.needs_coq
async def test_callbacks_see_a_zero_cost_and_the_model() -> None:
    recorder = _Recorder()
    old = litellm.callbacks
    litellm.callbacks = [recorder]
    try:
        await scillm.acompletion(model="certainly/coq", messages=MESSAGES, items=ITEMS, options={"cache": False})
        with pytest.raises(litellm.BadRequestError):
            await scillm.acompletion(model="certainly/coq", messages=MESSAGES, items=ITEMS, max_second=3)
        await asyncio.wait_for(asyncio.gather(recorder.got_success.wait(), recorder.got_failure.wait()), 30)
    finally:
        litellm.callbacks = old
    ok = recorder.success[-1]
    assert ok["response_cost"] == 0.0
    assert ok["standard_logging_object"]["model"].endswith("coq")
    assert ok["standard_logging_object"]["custom_llm_provider"] == "certainly"
    assert "max_seconds" in str(recorder.failure[-1].get("exception"))


@pytest.mark.needs_coq
async def test_llm_proposer_tokens_are_summed_into_usage(llm_server: LLMServer) -> None:
    llm_server.script(["```coq\nreflexivity.\n```", "```coq\ninduction n; simpl; auto.\n```"])
    resp = await scillm.acompletion(
        model="certainly/coq", messages=MESSAGES, items=ITEMS,
        options={"model": "openai/test-model", "api_base": llm_server.base_url, "api_key": llm_server.api_key,
                 "candidates_per_round": 1, "repairs_per_round": 0, "max_rounds": 2, "cache": False,
                 "explain_failures": False})
    sent = llm_server.chat_requests()
    assert resp.additional_kwargs["certainly"]["results"][0]["status"] == "proved"
    assert resp.usage.scillm_llm_calls == len(sent) >= 1
    assert resp.usage.prompt_tokens > 0 and resp.usage.completion_tokens > 0
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens
