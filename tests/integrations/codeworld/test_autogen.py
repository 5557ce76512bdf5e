"""LLM-written variants, driven by the loopback OpenAI-compatible test server.

The server scripts the model's replies; generation, evaluation in the
sandbox, improvement rounds and plateau stops are all real.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scillm.completion_protocol import using_completion
from scillm.integrations.codeworld.api import arun_items
from scillm.integrations.codeworld.autogen import extract_code
from scillm.integrations.codeworld.settings import CodeworldSettings, ModelEndpoint
from scillm.integrations.codeworld.store import PlateauStore, RedisPlateauStore, SqlitePlateauStore
from scillm.llms.completion import litellm_completion
from scillm.llms.openai_client import OpenAICompletion
from tests.integrations.codeworld.tasks import SORT_DEDUP, SORT_GOOD, SORT_SLOW, sort_cases
from tests.support.llm_server import LLMServer, Reply

_arun = functools.partial(arun_items, completion=litellm_completion)  # the engine is handed LiteLLM's Completion


def _fenced(code: str) -> str:
    return f"Here you go:\n```python\n{code}```\nThis sorts the list."


def _model(server: LLMServer, **extra: Any) -> dict[str, Any]:
    """The request side: only the alias the server declared (see `_settings`)."""
    return {"model": "test-model", "temperature": 0.0, **extra}


def _settings(server: LLMServer) -> CodeworldSettings:
    """The server side: where the alias points and with which key."""
    return CodeworldSettings(models={"test-model": ModelEndpoint(
        model="test-model", custom_llm_provider="openai_like", api_base=server.base_url, api_key=server.api_key)})


def _task(**variants: str) -> dict[str, Any]:
    return {"task": "Sort a list of integers ascending.", "task_id": "sort",
            "context": {"code_variants": variants, "cases": sort_cases()}}


def test_extract_code_prefers_the_block_defining_the_entry() -> None:
    text = "```\nprint(1)\n```\n```python\ndef solve(x):\n    return x\n```"
    assert extract_code(text, "solve") == "def solve(x):\n    return x\n"
    assert extract_code("def solve(x): return 1", "solve") == "def solve(x): return 1\n"
    assert extract_code("I cannot help with that.", "solve") is None


@pytest.mark.needs_bwrap
async def test_generates_then_improves_the_best(llm_server: LLMServer) -> None:
    improvements = iter([  # the first is correct but longer than need be, so never "perfect" on its own
        "def solve(xs):\n    ys = list(xs)\n    return sorted(ys)\n", SORT_GOOD])

    def reply(body: dict[str, Any]) -> str:
        prompt = body["messages"][-1]["content"]
        if "Variant 1 of 2" in prompt:
            return _fenced(SORT_DEDUP)
        return _fenced(SORT_SLOW if "Variant 2 of 2" in prompt else next(improvements))

    llm_server.responder = reply
    payload = await _arun([_task()], autogenerate=_model(llm_server, enabled=True, n=2), iterations=2,
                               settings=_settings(llm_server))
    (result,) = payload["results"]
    assert result["status"] == "ok", result["error"]
    auto = result["autogen"]
    assert auto["generated"] == ["gen0", "gen1", "imp0", "imp1"]
    assert {r["variant_id"] for r in result["ranking"]} == {"gen0", "gen1", "imp0", "imp1"}
    assert result["best_variant"] in ("imp0", "imp1")
    assert _row(result, "gen0")["scores"]["correctness"] < 1.0
    bodies = llm_server.chat_requests()
    assert len(bodies) == 4 and all(b["model"] == "test-model" for b in bodies)
    prompts = [b["messages"][-1]["content"] for b in bodies]
    first = prompts[0]
    assert "Sort a list of integers ascending." in first and "solve([3, 1, 2]) -> [1, 2, 3]" in first
    improve = prompts[2]
    assert improve.startswith("Improve this Python function `solve`")
    assert "xs[j], xs[j + 1] = xs[j + 1], xs[j]" in improve  # the best so far was the bubble sort
    assert '"correctness": 1.0' in improve
    hashes = payload["run_manifest"]["items"][0]["variants"]
    assert set(hashes) == {"gen0", "gen1", "imp0", "imp1"}
    assert payload["run_manifest"]["autogenerate"].get("api_key") is None


def _row(result: dict[str, Any], vid: str) -> dict[str, Any]:
    return next(r for r in result["ranking"] if r["variant_id"] == vid)


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.needs_redis)])
def plateau_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PlateauStore]:
    store: PlateauStore
    if request.param == "sqlite":
        store = SqlitePlateauStore(tmp_path / "plateau.sqlite3")
    else:
        store = RedisPlateauStore(request.getfixturevalue("redis_url"))
    yield store
    store.close()


@pytest.mark.needs_bwrap
async def test_plateau_stops_rounds_and_persists_per_session(llm_server: LLMServer, plateau_store: PlateauStore) -> None:
    llm_server.responder = lambda body: _fenced(SORT_SLOW)  # the model never gets better
    kwargs: dict[str, Any] = {"autogenerate": _model(llm_server), "iterations": 5, "session_id": "s-42",
                              "metrics": ["correctness", "brevity"], "repeats": 1}
    first = await _arun([_task(slow=SORT_SLOW, dedup=SORT_DEDUP)], store=plateau_store, settings=_settings(llm_server),
                               **kwargs)
    auto = first["results"][0]["autogen"]
    assert auto["stopped"] == "plateau" and auto["plateau"] is True
    assert auto["generated"] == ["imp0", "imp1"]
    assert len(llm_server.chat_requests()) == 2
    assert auto["store"] == plateau_store.backend and auto["session_id"] == "s-42:sort"
    assert len(plateau_store.recent("s-42:sort")) == 3

    second = await _arun([_task(slow=SORT_SLOW, dedup=SORT_DEDUP)], store=plateau_store, settings=_settings(llm_server),
                               **kwargs)
    assert second["results"][0]["autogen"]["stopped"] == "plateau"
    assert second["results"][0]["autogen"]["generated"] == []
    assert len(llm_server.chat_requests()) == 2  # no new model call: the session had plateaued


@pytest.mark.needs_bwrap
async def test_model_failure_leaves_a_per_item_error(llm_server: LLMServer) -> None:
    llm_server.responder = lambda body: (
        Reply.error(400, "bad model") if "Variant 1 of 2" in body["messages"][-1]["content"] else "no code here, sorry"
    )
    payload = await _arun([_task(), {"oops": 1}], autogenerate=_model(llm_server, enabled=True, n=2),
                               settings=_settings(llm_server))
    assert payload["summary"] == {"items": 2, "succeeded": 0, "failed": 2}
    err = payload["results"][0]["error"]
    assert "gen0: model call failed" in err and "gen1: the reply had no code block" in err


@pytest.mark.needs_bwrap
async def test_generated_ids_never_overwrite_given_variants(llm_server: LLMServer) -> None:
    llm_server.responder = lambda body: _fenced(SORT_GOOD)
    payload = await _arun([_task(gen0=SORT_SLOW)], autogenerate=_model(llm_server, enabled=True, n=1), repeats=1,
                               settings=_settings(llm_server))
    (result,) = payload["results"]
    assert result["autogen"]["generated"] == ["gen0-2"]
    assert {r["variant_id"] for r in result["ranking"]} == {"gen0", "gen0-2"}
    assert result["best_variant"] == "gen0-2"


@pytest.mark.needs_bwrap
async def test_a_scoped_completion_writes_the_variants(llm_server: LLMServer) -> None:
    llm_server.responder = lambda body: _fenced(SORT_GOOD)
    with using_completion(OpenAICompletion(llm_server.base_url, llm_server.api_key)):
        payload = await arun_items([_task()], autogenerate=_model(llm_server, enabled=True, n=1),
                                   settings=_settings(llm_server))
    result = payload["results"][0]
    assert payload["summary"]["succeeded"] == 1, result
    assert result["autogen"]["generated"] == ["gen0"]
    (body,) = llm_server.chat_requests()
    assert body["model"] == "test-model" and body["temperature"] == 0.0
