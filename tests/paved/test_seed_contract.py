"""The paved-path contract's promises, run as the contract writes them, against the loopback LLM server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scillm.errors import InvalidRequestError
from tests.support.llm_server import LLMServer, Reply


@pytest.mark.needs_coq
async def test_prove_requirement_is_awaitable_with_best_under_the_backend_name(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from scillm.integrations.certainly import is_available, prove_requirement, prove_requirement_sync

    monkeypatch.setenv("CERTAINLY_BACKEND", "coq")
    assert is_available()
    result = await prove_requirement(requirement="forall n : nat, n + 0 = n", tactics=["lia"])
    assert result["ok"] and result["best"]["coq"] == result["best"]["code"]
    assert "Qed." in result["best"]["coq"] and result["best"]["compile_ms"] is not None
    miss = await prove_requirement(requirement="forall n : nat, n = n + 1", tactics=["lia"],
                                   compile_timeout_s=5, num_candidates=1, options={"tactics_only": True})
    assert miss["ok"] is False and miss["best"] is None
    diagnosis = miss.get("diagnosis", {}).get("diagnosis")
    assert isinstance(diagnosis, str) and diagnosis
    assert miss["diagnosis"]["error_class"] and miss["error"] == diagnosis
    assert miss.get("diagnosis", {}).get("suggested_requirement_edit") is None
    assert prove_requirement_sync("forall n : nat, n + 0 = n")["ok"]


async def test_prove_requirement_reports_lean_under_its_name_when_lean_is_missing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from scillm.integrations.certainly import prove_requirement

    if shutil.which("lean"):
        pytest.skip("needs Lean to be absent")
    monkeypatch.delenv("CERTAINLY_LEAN_PROJECT", raising=False)
    result = await prove_requirement("theorem t (n : Nat) : n + 0 = n := by simp")
    assert result["ok"] is False and result["status"] == "env_unavailable"
    assert "lean" in result["diagnosis"]["diagnosis"].lower()


def _requests(n: int) -> list[dict[str, Any]]:
    return [{"model": "test-model", "messages": [{"role": "user", "content": f'Return only {{"n":{i}}} as JSON.'}],
             "response_format": {"type": "json_object"}, "max_tokens": 64, "temperature": 0} for i in range(n)]


async def test_summary_is_attached_to_the_first_item(llm_server: LLMServer) -> None:
    from scillm import parallel_acompletions

    llm_server.script([{"n": 0}, "not json", {"n": 2}])
    resps = await parallel_acompletions(_requests(3), api_base=llm_server.base_url, api_key=llm_server.api_key,
                                        custom_llm_provider="openai_like", concurrency=1, timeout=20,
                                        wall_time_s=120, response_format={"type": "json_object"}, tenacious=False)
    assert resps[0]["summary"] == resps.summary
    assert resps.summary["total"] == 3 and resps.summary["ok"] == 2 and resps.summary["invalid_json"] == 1
    assert all("summary" not in r for r in resps[1:])


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"messages_list": [[{"role": "user", "content": "hi"}]]}, "requests=[{'messages': m} for m in messages_list]"),
    ({"model": "test-model"}, "put 'model' inside each request dict"),
    ({"concurency": 2}, "did you mean 'concurrency'"),
])
async def test_wrong_keywords_name_the_right_parameter(kwargs: dict[str, Any], says: str) -> None:
    from scillm import parallel_acompletions, parallel_acompletions_iter

    with pytest.raises(InvalidRequestError) as info:
        await parallel_acompletions(api_base="http://127.0.0.1:9", api_key="k", **kwargs)
    assert says in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidRequestError, match="not a parameter|did you mean"):
        parallel_acompletions_iter([], **kwargs)


async def test_chat_helpers_default_to_openrouter_when_only_its_key_is_set(
        llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from scillm.paved import chat, chat_json

    for name in ("SCILLM_API_BASE", "CHUTES_API_BASE", "CHUTES_API_KEY", "CHUTES_MODEL_ID", "CHUTES_TEXT_MODEL",
                 "OPENROUTER_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENROUTER_API_KEY", llm_server.api_key)
    monkeypatch.setenv("OPENROUTER_API_BASE", llm_server.base_url)
    llm_server.script(["Paris", {"name": "John", "age": 30}])
    assert await chat("What is the capital of France?", system="Be brief.") == "Paris"
    assert await chat_json("Return {name, age} for John who is 30") == {"name": "John", "age": 30}
    sent = llm_server.chat_requests()
    assert [r["model"] for r in sent] == ["openai/gpt-4o-mini", "openai/gpt-4o-mini"]
    assert sent[0]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert llm_server.requests[0].headers.get("authorization") == f"Bearer {llm_server.api_key}"
    monkeypatch.setenv("OPENROUTER_MODEL", "meta/llama-3")
    llm_server.script(["ok"])
    await chat("hi")
    assert llm_server.chat_requests()[-1]["model"] == "meta/llama-3"


def test_openrouter_base_is_the_documented_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from scillm.paved.helpers import chat_endpoint

    for name in ("SCILLM_API_BASE", "CHUTES_API_BASE", "CHUTES_API_KEY", "CHUTES_MODEL_ID", "CHUTES_TEXT_MODEL",
                 "OPENROUTER_API_BASE", "OPENROUTER_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-test")
    assert chat_endpoint(None, None, None) == ("https://openrouter.ai/api/v1", "sk-or-test", "openai/gpt-4o-mini")
    monkeypatch.setenv("CHUTES_API_BASE", "http://chutes.invalid/v1")
    monkeypatch.setenv("CHUTES_API_KEY", "ck")
    monkeypatch.setenv("CHUTES_MODEL_ID", "m")
    assert chat_endpoint(None, None, None) == ("http://chutes.invalid/v1", "ck", "m")


def test_certainly_extra_is_declared() -> None:
    import importlib.metadata

    extras = importlib.metadata.metadata("scillm").get_all("Provides-Extra") or []
    assert "certainly" in extras and "proxy" in extras


def _tool(*argv: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("scillm-tool")
    return subprocess.run([str(script), *argv], capture_output=True, text=True, timeout=120)


def test_scillm_tool_parallel_reads_messages_list_and_resumes(llm_server: LLMServer, tmp_path: Path) -> None:
    messages_list = [[{"role": "user", "content": f"item {i}"}] for i in range(4)]
    source = tmp_path / "messages.json"
    source.write_text(json.dumps(messages_list), encoding="utf-8")
    out = tmp_path / "results.jsonl"
    def answer(body: dict[str, Any]) -> Reply:
        text = body["messages"][-1]["content"]
        return Reply.error(400) if text == "item 2" else Reply(content=f"echo: {text}")

    llm_server.responder = answer
    args = ["parallel", str(source), "--messages-list", "-o", str(out), "--model", "test-model",
            "--api-base", llm_server.base_url, "--api-key", llm_server.api_key, "--concurrency", "2",
            "--no-tenacious"]
    first = _tool(*args)
    assert first.returncode == 1, first.stderr
    rows = {r["index"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert sorted(rows) == [0, 1, 2, 3] and rows[0]["content"] == "echo: item 0" and not rows[2]["ok"]
    assert "batch" in first.stderr and "4/4" in first.stderr
    llm_server.responder = None
    before = len(llm_server.chat_requests())
    second = _tool(*args)
    assert second.returncode == 0, second.stderr
    assert len(llm_server.chat_requests()) - before == 1
    rows = {r["index"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert sorted(rows) == [0, 1, 2, 3] and all(r["ok"] for r in rows.values())
    assert rows[2]["content"] == "echo: item 2" and "3 resumed" in second.stderr


def test_scillm_batch_reads_jsonl_prompts(llm_server: LLMServer, tmp_path: Path) -> None:
    from scillm import cli

    source = tmp_path / "prompts.jsonl"
    source.write_text('"first"\n{"prompt": "second", "system": "s"}\n{"messages": [{"role": "user", '
                      '"content": "third"}]}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code = cli.main(["batch", str(source), "-o", str(out), "--model", "test-model", "--api-base",
                     llm_server.base_url, "--api-key", llm_server.api_key, "--no-progress"])
    assert code == 0
    rows = sorted(map(json.loads, out.read_text().splitlines()), key=lambda r: r["index"])
    assert [r["content"] for r in rows] == ["echo: first", "echo: second", "echo: third"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    assert cli.main(["batch", str(bad), "-o", str(out)]) == 2
