"""The certainly/codeworld providers over HTTP: `scillm.acompletion` reaching a real bridge."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import scillm
from tests.bridges.conftest import StartBridge
from tests.bridges.items import COQ_ITEMS, stable

ARGS: dict[str, Any] = {"options": {"cache": False, "deterministic": True}}
MESSAGES = [{"role": "user", "content": "prove"}]


@pytest.mark.needs_coq
def test_certainly_provider_http_only_matches_direct(start_bridge: StartBridge,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    base = start_bridge("certainly").base_url

    async def call() -> dict[str, Any]:
        response = await scillm.acompletion(model="certainly", custom_llm_provider="certainly",
                                            messages=MESSAGES, items=COQ_ITEMS, **ARGS)
        payload: dict[str, Any] = response.additional_kwargs["certainly"]
        return payload

    monkeypatch.delenv("SCILLM_CERTAINLY_HTTP_ONLY", raising=False)
    direct = anyio.run(call)
    monkeypatch.setenv("SCILLM_CERTAINLY_HTTP_ONLY", "1")
    monkeypatch.setenv("CERTAINLY_BRIDGE_BASE", base)
    over_http = anyio.run(call)
    assert direct["_direct_mode"] is True and over_http["_direct_mode"] is False
    assert stable(over_http["results"]) == stable(direct["results"])
    assert over_http["summary"] == direct["summary"]


@pytest.mark.needs_coq
def test_lean4_alias_uses_its_own_bridge_base(start_bridge: StartBridge, monkeypatch: pytest.MonkeyPatch) -> None:
    base = start_bridge("certainly").base_url
    monkeypatch.setenv("SCILLM_CERTAINLY_HTTP_ONLY", "1")
    monkeypatch.setenv("CERTAINLY_BRIDGE_BASE", "http://127.0.0.1:9")
    monkeypatch.setenv("LEAN4_BRIDGE_BASE", base)
    response = scillm.completion(model="lean4", custom_llm_provider="lean4", messages=MESSAGES,
                                 items=COQ_ITEMS[:1], backend="coq", **ARGS)
    payload = response.additional_kwargs["lean4"]
    assert payload["_direct_mode"] is False and payload["results"][0]["status"] == "proved"


def test_provider_error_from_bridge_is_a_litellm_error(start_bridge: StartBridge,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import litellm

    from tests.bridges.conftest import not_built

    base = start_bridge("certainly", engine_loader=not_built).base_url
    monkeypatch.setenv("SCILLM_CERTAINLY_HTTP_ONLY", "1")
    monkeypatch.setenv("CERTAINLY_BRIDGE_BASE", base)
    with pytest.raises(litellm.ServiceUnavailableError, match="certainly-not-built"):
        scillm.completion(model="certainly", custom_llm_provider="certainly", messages=MESSAGES,
                          items=COQ_ITEMS[:1])
