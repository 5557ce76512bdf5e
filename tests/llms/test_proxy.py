"""scillm's providers behind the real LiteLLM Proxy, called with the official `openai` SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.llms.proxy_process import Proxy, proxy_missing

openai = pytest.importorskip("openai", reason="the official openai SDK is not installed (pip install openai)")

ITEMS = [{"id": "plus0", "requirement_text": "forall n : nat, n + 0 = n"},
         {"id": "bad", "requirement_text": "forall n : nat, n * 0 = 1"}]
BODY = {"items": ITEMS, "options": {"max_rounds": 1, "candidates_per_round": 2, "cache": False}}
MESSAGES = [{"role": "user", "content": "prove these"}]


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    import shutil

    if not (shutil.which("coqtop") and shutil.which("coqc")):
        pytest.skip("needs_coq: coqtop/coqc not on PATH (apt-get install coq)")
    why = proxy_missing()
    if why:
        pytest.skip(why)
    from scillm.proxy import CONFIG_YAML

    config = tmp_path_factory.mktemp("proxy") / "config.yaml"
    config.write_text(CONFIG_YAML, encoding="utf-8")
    server = Proxy(config, env={"CERTAINLY_BACKEND": "coq"})
    yield server
    server.close()


def _client(proxy: Proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.base_url, api_key=proxy.key, max_retries=0)


@pytest.mark.needs_coq
def test_sync_call_with_items_in_extra_body(proxy: Proxy) -> None:
    resp = _client(proxy).chat.completions.create(model="certainly/coq", messages=MESSAGES, extra_body=BODY)
    assert resp.choices[0].message.content == "Certainly: items=2, proved=1, failed=1"
    payload = resp.model_extra["additional_kwargs"]["certainly"]
    assert [r["status"] for r in payload["results"]] == ["proved", "failed"]
    assert resp.usage is not None and resp.usage.total_tokens == 0
    assert resp.usage.model_extra["scillm_items"] == 2


@pytest.mark.needs_coq
def test_bare_model_and_user_message(proxy: Proxy) -> None:
    resp = _client(proxy).chat.completions.create(
        model="certainly", messages=[{"role": "user", "content": "forall P : Prop, P -> P"}])
    assert resp.choices[0].message.content == "Certainly: items=1, proved=1"


@pytest.mark.needs_coq
async def test_async_call_and_json_content(proxy: Proxy) -> None:
    client = openai.AsyncOpenAI(base_url=proxy.base_url, api_key=proxy.key, max_retries=0)
    resp = await client.chat.completions.create(model="certainly/coq", messages=MESSAGES, extra_body=BODY,
                                                response_format={"type": "json_object"})
    body = json.loads(resp.choices[0].message.content)
    assert body["summary"] == "Certainly: items=2, proved=1, failed=1"
    await client.close()


@pytest.mark.needs_coq
def test_streaming_through_the_proxy(proxy: Proxy) -> None:
    stream = _client(proxy).chat.completions.create(model="certainly/coq", messages=MESSAGES, extra_body=BODY,
                                                    stream=True)
    texts = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    lines = [json.loads(t) for t in texts]
    assert sorted(r["item_id"] for r in lines[:-1]) == ["bad", "plus0"]
    assert lines[-1]["summary"] == "Certainly: items=2, proved=1, failed=1"


@pytest.mark.needs_coq
async def test_async_streaming_through_the_proxy(proxy: Proxy) -> None:
    client = openai.AsyncOpenAI(base_url=proxy.base_url, api_key=proxy.key, max_retries=0)
    stream = await client.chat.completions.create(model="certainly/coq", messages=MESSAGES, extra_body=BODY,
                                                  stream=True)
    texts = [c.choices[0].delta.content async for c in stream if c.choices and c.choices[0].delta.content]
    assert json.loads(texts[-1])["summary"].startswith("Certainly: items=2")
    await client.close()


@pytest.mark.needs_coq
@pytest.mark.parametrize(("body", "message"), [
    ({**BODY, "max_second": 3}, "did you mean 'max_seconds'"),
    ({"items": ITEMS, "flags": ["--turbo"]}, "unknown flag '--turbo'"),
    ({"items": []}, "items must be a non-empty list"),
])
def test_bad_requests_are_4xx_with_scillm_message(proxy: Proxy, body: dict, message: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        _client(proxy).chat.completions.create(model="certainly/coq", messages=MESSAGES, extra_body=body)
    assert info.value.status_code == 400
    assert message in str(info.value)


@pytest.mark.needs_coq
def test_backend_typo_through_the_proxy(proxy: Proxy) -> None:
    with pytest.raises(openai.BadRequestError, match="did you mean 'coq'"):
        _client(proxy).chat.completions.create(model="certainly/coqq", messages=MESSAGES, extra_body=BODY)


def test_config_names_only_public_handlers() -> None:
    import yaml

    from scillm.proxy import CONFIG_YAML

    config = yaml.safe_load(CONFIG_YAML)
    handlers = [e["custom_handler"] for e in config["litellm_settings"]["custom_provider_map"]]
    assert handlers == ["scillm.proxy.certainly", "scillm.proxy.lean4", "scillm.proxy.codeworld"]
    import scillm.proxy

    assert all(isinstance(getattr(scillm.proxy, h.rsplit(".", 1)[1]), __import__("litellm").CustomLLM)
               for h in handlers)


def test_proxy_module_path_is_importable_from_anywhere(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import scillm.proxy as p; print(p.certainly.provider)"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "certainly", out.stderr
