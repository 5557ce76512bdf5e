"""Batch fan-out against the real OpenAI-compatible test server."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest

import scillm
from scillm.llms import openai_client
from scillm.paved import batch
from scillm.paved.batch import parallel_acompletions, parallel_acompletions_iter
from tests.support.llm_server import LLMServer, Reply

JSON = {"type": "json_object"}
ENV = ("SCILLM_API_BASE", "CHUTES_API_BASE", "CHUTES_API_KEY", "CHUTES_MODEL_ID", "CHUTES_TEXT_MODEL",
       "SCILLM_REPAIR_INVALID_JSON")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(openai_client, "_xkey_bases", set())
    yield


def req(text: str = "q", **extra: Any) -> dict[str, Any]:
    return {"model": "test-model", "messages": [{"role": "user", "content": text}], **extra}


def kw(server: LLMServer, **extra: Any) -> dict[str, Any]:
    return {"api_base": server.base_url, "api_key": server.api_key, "backoff_base_s": 0.01,
            "backoff_max_s": 0.05, **extra}


def test_aliases() -> None:
    assert scillm.batch_acompletions is parallel_acompletions
    assert scillm.batch_acompletions_iter is parallel_acompletions_iter


async def test_results_in_request_order_iterator_as_completed(llm_server: LLMServer) -> None:
    llm_server.responder = lambda body: Reply(content=body["messages"][0]["content"],
                                              delay_s=0.05 * (5 - int(body["messages"][0]["content"])))
    requests = [req(str(i)) for i in range(6)]
    results = await parallel_acompletions(requests, **kw(llm_server, concurrency=6))
    assert [r["index"] for r in results] == list(range(6))
    assert [r["content"] for r in results] == [str(i) for i in range(6)]
    assert all(r["request"] is requests[r["index"]] for r in results)
    assert {"index", "request", "response", "error", "status", "content", "raw", "repaired", "attempts",
            "elapsed_s"} <= set(results[0])
    assert results.summary == {**dict.fromkeys(batch.SUMMARY_KEYS, 0), "total": 6, "ok": 6}
    order = [r["index"] async for r in parallel_acompletions_iter(requests, **kw(llm_server, concurrency=6))]
    assert sorted(order) == list(range(6)) and order[0] != 0


async def test_iterator_items_carry_ok(llm_server: LLMServer) -> None:
    llm_server.script(["fine", Reply.error(400, "bad request")])
    got = [r async for r in parallel_acompletions_iter([req(), req()], **kw(llm_server, concurrency=1))]
    assert sorted(r["ok"] for r in got) == [False, True]


@pytest.mark.parametrize("missing", ["api_base", "api_key", "model"])
async def test_missing_settings_raise_value_error_at_once(llm_server: LLMServer, missing: str) -> None:
    args = kw(llm_server)
    request = req()
    if missing == "model":
        request.pop("model")
    else:
        args.pop(missing)
    with pytest.raises(ValueError, match=missing):
        await parallel_acompletions([request], **args)
    with pytest.raises(ValueError, match=missing):
        parallel_acompletions_iter([request], **args)
    assert llm_server.chat_requests() == []


async def test_env_defaults(llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHUTES_API_BASE", llm_server.base_url)
    monkeypatch.setenv("CHUTES_API_KEY", llm_server.api_key)
    monkeypatch.setenv("CHUTES_TEXT_MODEL", "env-model")
    results = await parallel_acompletions([{"messages": [{"role": "user", "content": "hi"}]}])
    assert results[0]["status"] == "ok" and results[0]["content"] == "echo: hi"
    assert llm_server.chat_requests()[0]["model"] == "env-model"


async def test_bad_items_get_their_own_error(llm_server: LLMServer) -> None:
    results = await parallel_acompletions(["not a dict", req("a"), {"model": "m"}, req("b")], **kw(llm_server))
    assert [r["status"] for r in results] == ["invalid_request", "ok", "invalid_request", "ok"]
    assert "must be a dict" in results[0]["error"] and "messages" in results[2]["error"]
    assert results.summary["invalid_request"] == 2 and results.summary["ok"] == 2


async def test_per_request_fields_and_defaults_reach_the_server(llm_server: LLMServer) -> None:
    await parallel_acompletions([req("a", max_tokens=5), req("b", temperature=0.9)],
                                **kw(llm_server, concurrency=1, default_max_tokens=77, default_temperature=0.1))
    bodies = sorted(llm_server.chat_requests(), key=lambda b: b["messages"][0]["content"])
    assert (bodies[0]["max_tokens"], bodies[0]["temperature"]) == (5, 0.1)
    assert (bodies[1]["max_tokens"], bodies[1]["temperature"]) == (77, 0.9)


async def test_retry_after_is_honoured(llm_server: LLMServer) -> None:
    llm_server.script([Reply.error(429, "slow down", retry_after=0.3), "done"])
    results = await parallel_acompletions([req()], **kw(llm_server))
    assert results[0]["status"] == "ok" and results[0]["attempts"] == 2
    assert results[0]["elapsed_s"] >= 0.3


async def test_tenacious_retries_5xx_and_not_tenacious_stops(llm_server: LLMServer) -> None:
    llm_server.script([Reply.error(500), Reply.error(503), "third time"])
    results = await parallel_acompletions([req()], **kw(llm_server))
    assert (results[0]["status"], results[0]["attempts"], results[0]["content"]) == ("ok", 3, "third time")
    llm_server.script([Reply.error(500), "unused"])
    results = await parallel_acompletions([req()], **kw(llm_server, tenacious=False))
    assert (results[0]["status"], results[0]["attempts"]) == ("provider_error", 1)
    assert "HTTP 500" in results[0]["error"]


async def test_client_errors_are_final(llm_server: LLMServer) -> None:
    llm_server.script([Reply.error(400, "bad model"), "unused"])
    results = await parallel_acompletions([req()], **kw(llm_server))
    assert (results[0]["status"], results[0]["attempts"]) == ("provider_error", 1)
    assert results.summary["provider_error"] == 1


async def test_wall_time_budget_stops_retries(llm_server: LLMServer) -> None:
    llm_server.responder = lambda body: Reply.error(500)
    started = time.monotonic()
    results = await parallel_acompletions([req()], **kw(llm_server, wall_time_s=2.5))
    assert results[0]["status"] == "provider_error" and results[0]["attempts"] > 1
    assert time.monotonic() - started < 10


async def test_budget_spent_waiting_to_retry_reports_the_failure_being_retried(
        llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A backoff that wakes up after the deadline (a busy event loop) must not turn a 500 into a timeout."""
    llm_server.responder = lambda body: Reply.error(500)
    real_sleep = asyncio.sleep

    async def late_sleep(delay: float, *args: Any) -> Any:
        return await real_sleep(delay + 1.0 if delay > 0 else delay, *args)

    monkeypatch.setattr(batch.asyncio, "sleep", late_sleep)
    results = await parallel_acompletions([req()], **kw(llm_server, wall_time_s=1.5))
    assert results[0]["status"] == "provider_error" and results[0]["attempts"] >= 1
    assert "HTTP 500" in results[0]["error"] and "while retrying" in results[0]["error"]


async def test_budget_spent_in_a_retry_reports_the_failure_being_retried(llm_server: LLMServer) -> None:
    llm_server.script([Reply.error(500), Reply(content="late", delay_s=30)])
    results = await parallel_acompletions([req()], **kw(llm_server, wall_time_s=1.0))
    assert (results[0]["status"], results[0]["attempts"]) == ("provider_error", 2)
    assert "HTTP 500" in results[0]["error"] and "while retrying" in results[0]["error"]


async def test_wall_time_starts_when_the_item_starts(llm_server: LLMServer) -> None:
    llm_server.responder = lambda body: Reply(content="slow", delay_s=0.2)
    results = await parallel_acompletions([req() for _ in range(6)], **kw(llm_server, concurrency=1,
                                                                          wall_time_s=1.0, tenacious=False))
    assert [r["status"] for r in results] == ["ok"] * 6


async def test_stall_mid_response_times_out(llm_server: LLMServer) -> None:
    llm_server.script([Reply(content="x" * 200, stall_s=10)])
    started = time.monotonic()
    results = await parallel_acompletions([req()], **kw(llm_server, timeout=0.3, tenacious=False))
    assert results[0]["status"] == "timeout" and "timeout" in results[0]["error"]
    assert time.monotonic() - started < 3
    assert results.summary["timeout"] == 1


async def test_stall_then_retry_succeeds(llm_server: LLMServer) -> None:
    llm_server.script([Reply(content="x", stall_s=10), "recovered"])
    results = await parallel_acompletions([req()], **kw(llm_server, timeout=0.3))
    assert (results[0]["status"], results[0]["content"], results[0]["attempts"]) == ("ok", "recovered", 2)


async def test_empty_content(llm_server: LLMServer) -> None:
    llm_server.script([Reply(content=""), Reply(content=None)])
    results = await parallel_acompletions([req(), req()], **kw(llm_server, concurrency=1))
    assert [r["status"] for r in results] == ["empty_content", "empty_content"]
    assert results.summary["empty_content"] == 2


async def test_json_content_is_parsed(llm_server: LLMServer) -> None:
    llm_server.script([{"answer": 42}])
    results = await parallel_acompletions([req()], **kw(llm_server, response_format=JSON))
    assert results[0]["content"] == {"answer": 42} and results[0]["repaired"] is False
    assert llm_server.chat_requests()[0]["response_format"] == JSON


async def test_schema_dict_failure_names_the_validator_message(llm_server: LLMServer) -> None:
    schema = {"type": "object", "required": ["answer"]}
    llm_server.script([{"other": 1}])
    results = await parallel_acompletions([req()], **kw(llm_server, schema=schema))
    assert results[0]["status"] == "invalid_json"
    assert results[0]["error"] == "invalid_json: 'answer' is a required property"
    assert results[0]["raw"] == '{"other": 1}'
    assert results.summary["invalid_json"] == 1


async def test_schema_callable(llm_server: LLMServer) -> None:
    def positive(obj: Any) -> None:
        if obj["n"] <= 0:
            raise ValueError("n must be positive")

    llm_server.script([{"n": -1}, {"n": 3}])
    results = await parallel_acompletions([req(), req()], **kw(llm_server, schema=positive, concurrency=1))
    assert [r["status"] for r in results] == ["invalid_json", "ok"]
    assert results[0]["error"] == "invalid_json: n must be positive"


@pytest.mark.parametrize(("retries", "status", "attempts"), [(1, "invalid_json", 2), (2, "ok", 3)])
async def test_retry_invalid_json_is_exactly_n_extra_attempts(llm_server: LLMServer, retries: int, status: str,
                                                             attempts: int) -> None:
    llm_server.script(["nope", "still nope", {"ok": True}])
    results = await parallel_acompletions([req()], **kw(llm_server, response_format=JSON,
                                                        retry_invalid_json=retries))
    assert (results[0]["status"], results[0]["attempts"]) == (status, attempts)
    assert len(llm_server.chat_requests()) == attempts


async def test_repair_invalid_json(llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    llm_server.script(['{"a": 1, "b": [1, 2', '{"c": true,'])
    results = await parallel_acompletions([req()], **kw(llm_server, response_format=JSON,
                                                        repair_invalid_json=True))
    assert results[0]["content"] == {"a": 1, "b": [1, 2]} and results[0]["repaired"] is True
    assert results.summary["repaired"] == 1 and results.summary["ok"] == 1
    monkeypatch.setenv("SCILLM_REPAIR_INVALID_JSON", "1")
    results = await parallel_acompletions([req()], **kw(llm_server, response_format=JSON))
    assert results[0]["content"] == {"c": True} and results[0]["repaired"] is True


async def test_unrepairable_prose_stays_invalid(llm_server: LLMServer) -> None:
    llm_server.script(["I cannot answer that."])
    results = await parallel_acompletions([req()], **kw(llm_server, response_format=JSON,
                                                        repair_invalid_json=True))
    assert results[0]["status"] == "invalid_json" and results[0]["repaired"] is False


async def test_summary_counts_every_status(llm_server: LLMServer) -> None:
    llm_server.script(["{}", "", "nope", Reply.error(404), "{broken"])
    results = await parallel_acompletions([req() for _ in range(5)] + [7],
                                          **kw(llm_server, response_format=JSON, concurrency=1))
    assert [r["status"] for r in results] == ["ok", "empty_content", "invalid_json", "provider_error",
                                              "invalid_json", "invalid_request"]
    assert results.summary == {"total": 6, "ok": 1, "invalid_json": 2, "provider_error": 1, "empty_content": 1,
                               "timeout": 0, "repaired": 0, "invalid_request": 1}


async def test_x_api_key_fallback(llm_server: LLMServer) -> None:
    llm_server.auth = "x-api-key"
    results = await parallel_acompletions([req("a"), req("b")], **kw(llm_server, concurrency=1))
    assert [r["status"] for r in results] == ["ok", "ok"]
    headers = [(r.headers.get("authorization"), r.headers.get("x-api-key")) for r in llm_server.requests]
    assert headers == [("Bearer test-key", None), (None, "test-key"), (None, "test-key")]


async def test_early_exit_cancels_outstanding_requests(llm_server: LLMServer) -> None:
    llm_server.responder = lambda body: Reply(content="slow", delay_s=0.3)
    before = asyncio.all_tasks()
    it = parallel_acompletions_iter([req() for _ in range(12)], **kw(llm_server, concurrency=3))
    first = await it.__anext__()
    assert first["ok"]
    await it.aclose()  # type: ignore[attr-defined]
    assert asyncio.all_tasks() == before
    seen = len(llm_server.chat_requests())
    await asyncio.sleep(0.5)
    assert len(llm_server.chat_requests()) == seen < 12


async def test_break_out_of_async_for_cancels(llm_server: LLMServer) -> None:
    llm_server.responder = lambda body: Reply(content="slow", delay_s=0.2)
    before = asyncio.all_tasks()
    async with contextlib.aclosing(parallel_acompletions_iter([req() for _ in range(12)],
                                                              **kw(llm_server, concurrency=3))) as results:
        async for _ in results:
            break
    assert asyncio.all_tasks() == before, "closing the iterator must cancel and await every item task"
    assert len(llm_server.chat_requests()) < 12


async def test_other_providers_go_through_litellm(monkeypatch: pytest.MonkeyPatch) -> None:
    import scillm.llms.codeworld as codeworld_provider

    async def answer(provider: str, model: str, messages: list[Any], params: dict[str, Any]) -> Any:
        return ({"choices": [{"message": {"role": "assistant", "content": f"{model}:{messages[0]['content']}"}}]},
                {"results": []})

    monkeypatch.setattr(codeworld_provider, "acomplete", answer)
    results = await parallel_acompletions([{"model": "codeworld/mcts", "messages": [{"role": "user",
                                                                                     "content": "x"}]}],
                                          custom_llm_provider="codeworld")
    assert (results[0]["status"], results[0]["content"]) == ("ok", "codeworld/mcts:x")
