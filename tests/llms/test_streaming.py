"""`stream=True` for scillm providers: one chunk per finished item, a summary chunk, early stop cancels.

Through the public API only (`scillm.completion`, `scillm.acompletion`,
`scillm.Router`, plain `litellm.completion`), with real Coq.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import litellm
import pytest

import scillm
import scillm.llms.certainly as certainly_provider

ITEMS = [{"id": "plus0", "requirement_text": "forall n : nat, n + 0 = n"},
         {"id": "comm", "requirement_text": "forall n m : nat, n + m = m + n"},
         {"id": "bad", "requirement_text": "forall n : nat, n * 0 = 1"}]
OPTS = {"max_rounds": 1, "candidates_per_round": 2, "cache": False}
MESSAGES = [{"role": "user", "content": "prove these"}]


def _lines(chunks: list[Any]) -> list[dict[str, Any]]:
    texts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    return [json.loads(t) for t in texts]


def _check_stream(chunks: list[Any]) -> None:
    lines = _lines(chunks)
    items, summary = lines[:-1], lines[-1]
    assert sorted(r["item_id"] for r in items) == ["bad", "comm", "plus0"]
    assert {r["item_id"]: r["status"] for r in items} == {"plus0": "proved", "comm": "proved", "bad": "failed"}
    assert summary["summary"] == "Certainly: items=3, proved=2, failed=1"
    rebuilt = litellm.stream_chunk_builder(chunks)
    assert [json.loads(x) for x in rebuilt.choices[0].message.content.splitlines()] == lines
    assert rebuilt.choices[0].finish_reason == "stop"
    assert rebuilt.usage.total_tokens == 0


@pytest.mark.needs_coq
def test_sync_stream_one_chunk_per_item_then_summary() -> None:
    stream = scillm.completion(model="certainly/coq", messages=MESSAGES, items=ITEMS, options=OPTS, stream=True)
    _check_stream(list(stream))


@pytest.mark.needs_coq
async def test_async_stream_and_router_stream() -> None:
    stream = await scillm.acompletion(model="certainly/coq", messages=MESSAGES, items=ITEMS, options=OPTS,
                                      stream=True)
    _check_stream([c async for c in stream])
    router = scillm.Router(model_list=[{"model_name": "prover", "litellm_params": {"model": "certainly/coq"}}])
    stream = await router.acompletion(model="prover", messages=MESSAGES, items=ITEMS, options=OPTS, stream=True)
    _check_stream([c async for c in stream])
    sync_stream = router.completion(model="prover", messages=MESSAGES, items=ITEMS, options=OPTS, stream=True)
    _check_stream(list(sync_stream))


@pytest.mark.needs_coq
def test_plain_litellm_streams_after_register_providers() -> None:
    scillm.register_providers()
    stream = litellm.completion(model="certainly/coq", messages=MESSAGES, items=ITEMS, options=OPTS, stream=True)
    _check_stream(list(stream))


class _Probe:
    """Provider events that yield one item, then wait forever; records how the wait ended."""

    def __init__(self) -> None:
        self.ended = threading.Event()
        self.how: str | None = None

    async def astream(self, provider: str, model: str, messages: list[Any], params: dict[str, Any]) -> Any:
        try:
            yield "item", {"index": 0, "item_id": "first", "status": "proved"}
            await asyncio.Event().wait()
            yield "done", {}
        except (asyncio.CancelledError, GeneratorExit) as exc:
            self.how = type(exc).__name__
            raise
        finally:
            self.ended.set()


def test_closing_a_sync_stream_cancels_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    probe = _Probe()
    monkeypatch.setattr(certainly_provider, "astream", probe.astream)
    stream = scillm.completion(model="certainly/coq", messages=MESSAGES, items=ITEMS, stream=True)
    first = next(iter(stream))
    assert json.loads(first.choices[0].delta.content)["item_id"] == "first"
    stream.close()
    assert probe.ended.is_set() and probe.how in ("CancelledError", "GeneratorExit")


async def test_closing_an_async_stream_cancels_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    probe = _Probe()
    monkeypatch.setattr(certainly_provider, "astream", probe.astream)
    stream = await scillm.acompletion(model="certainly/coq", messages=MESSAGES, items=ITEMS, stream=True)
    async for chunk in stream:
        assert json.loads(chunk.choices[0].delta.content)["item_id"] == "first"
        break
    await stream.aclose()
    assert probe.ended.is_set() and probe.how in ("CancelledError", "GeneratorExit")


@pytest.mark.needs_coq
async def test_real_stream_stopped_early_leaves_no_running_items() -> None:
    hard = [{"id": f"hard{i}", "requirement_text": f"forall n : nat, n * n = n + {i + 1}"} for i in range(3)]
    opts = {"max_rounds": 50, "candidates_per_round": 4, "cache": False, "max_seconds": 600}
    before = {t for t in asyncio.all_tasks()}
    stream = await scillm.acompletion(model="certainly/coq", messages=MESSAGES, items=[ITEMS[0], *hard],
                                      options={**opts, "concurrency": 4}, stream=True)
    async for chunk in stream:
        assert json.loads(chunk.choices[0].delta.content)["item_id"] == "plus0"
        break
    await stream.aclose()
    left = [t for t in asyncio.all_tasks() if t not in before and t is not asyncio.current_task()
            and not t.done()]
    assert not left, left


def test_invalid_stream_request_is_a_400_before_any_chunk() -> None:
    with pytest.raises(litellm.BadRequestError, match="did you mean 'max_seconds'"):
        list(scillm.completion(model="certainly/coq", messages=MESSAGES, items=ITEMS, stream=True, max_second=3))
