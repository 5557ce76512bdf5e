"""A request chooses what to prove, never where a server secret goes or which host path is touched (real HTTP)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.bridges.conftest import StartBridge
from tests.support.llm_server import LLMServer

pytestmark = pytest.mark.needs_coq

ENGLISH = {"id": "e", "requirement_text": "every natural number plus zero is itself"}
TRIVIAL = {"id": "t", "requirement_text": "forall n : nat, n + 0 = n"}


def _post(base: str, args: dict[str, Any] | None = None, options: dict[str, Any] | None = None,
          items: list[Any] | None = None, route: str = "/bridge/complete") -> httpx.Response:
    body = {"items": items or [ENGLISH], "provider": {"name": "certainly", "args": args or {}},
            "options": options or {}}
    return httpx.post(f"{base}{route}", json=body, timeout=120)


def _locs(r: httpx.Response) -> list[str]:
    return [d["loc"] for d in r.json()["error"]["details"]]


@pytest.fixture
def attacker() -> Any:
    with LLMServer() as server:
        yield server


@pytest.mark.parametrize("args", [
    {"model": "openai/gpt-4o-mini", "api_base": "ATTACKER"},
    {"api_base": "ATTACKER"},
    {"model": "openai/gpt-4o-mini", "api_key": "sk-anything"},
    {"options": {"model": "openai/x", "api_base": "ATTACKER"}},
    {"flags": ["--model", "openai/x"]},
])
def test_certainly_request_cannot_send_the_server_llm_call_elsewhere(
        start_bridge: StartBridge, attacker: LLMServer, args: dict[str, Any]) -> None:
    base = start_bridge("certainly").base_url
    args = {k: (attacker.base_url if v == "ATTACKER" else v) for k, v in args.items()}
    if "options" in args:
        args["options"] = {k: (attacker.base_url if v == "ATTACKER" else v) for k, v in args["options"].items()}
    r = _post(base, args)
    assert r.status_code == 422, r.text
    assert any(loc.startswith("provider.args.") for loc in _locs(r))
    assert attacker.requests == []


def test_a_model_alias_uses_the_servers_own_endpoint(start_bridge: StartBridge, attacker: LLMServer) -> None:
    base = start_bridge("certainly", model_aliases={"fast": "openai/test-model"}, llm_api_base=attacker.base_url,
                        llm_api_key="test-key").base_url
    attacker.script(["forall n : nat, n + 0 = n"] + ["```coq\nintros n. lia.\n```"] * 20)
    r = _post(base, {"model": "fast", "budget": {"max_rounds": 1, "candidates_per_round": 1}})
    assert r.status_code == 200, r.text
    assert attacker.chat_requests(), "the configured alias must reach the server's endpoint"
    manifest = r.json()["run_manifest"]
    assert "test-key" not in r.text and manifest.get("options", {}).get("api_key") is None


def test_cache_path_is_a_server_setting(start_bridge: StartBridge, tmp_path: Path) -> None:
    base = start_bridge("certainly").base_url
    target = tmp_path / "planted.sqlite3"
    for value in (str(target), "/proc/forbidden/cache.sqlite3"):
        r = _post(base, {"cache": value}, items=[TRIVIAL])
        assert r.status_code == 422 and _locs(r) == ["provider.args.cache"], r.text
    assert not target.exists()
    assert _post(base, {"cache": False}, items=[TRIVIAL]).status_code == 200


@pytest.mark.parametrize(("args", "loc"), [
    ({"budget": {"timeout_ms_per_check": 10_000_000}}, "provider.args.budget.timeout_ms_per_check"),
    ({"timeout_ms_per_check": 10_000_000}, "provider.args.timeout_ms_per_check"),
    ({"budget": {"max_total_checks": 10**6}}, "provider.args.budget.max_total_checks"),
    ({"budget": {"max_rounds": 10**4}}, "provider.args.budget.max_rounds"),
    ({"concurrency": 500}, "provider.args.concurrency"),
    ({"max_refinements": 10**4}, "provider.args.max_refinements"),
    ({"budget": {"timeout_ms_per_check": "5"}}, "provider.args.budget.timeout_ms_per_check"),
    ({"nonsense": 1}, "provider.args.nonsense"),
    ({"tactics": ["auto."] * 10_000}, "provider.args.tactics"),
])
def test_server_caps_and_unknown_fields_are_422_naming_the_field(
        start_bridge: StartBridge, args: dict[str, Any], loc: str) -> None:
    r = _post(start_bridge("certainly").base_url, args)
    assert r.status_code == 422, r.text
    assert loc in _locs(r)


def test_seed_run_options_are_accepted(start_bridge: StartBridge) -> None:
    base = start_bridge("certainly").base_url
    options = {"no_llm": True, "simple": True, "max_refinements": 1, "explain_failures": False, "max_seconds": 60,
               "session_id": "s-1", "track_id": "t-1"}
    r = _post(base, options=options, items=[TRIVIAL])
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["status"] == "proved"
    assert r.json()["run_manifest"]["track_id"] == "t-1"
    assert _post(base, options={"max_refinements": 10**2}).status_code == 422


@pytest.mark.needs_bwrap
@pytest.mark.parametrize(("args", "loc"), [
    ({"autogenerate": {"enabled": True, "model": "openai/x", "api_base": "ATTACKER"}},
     "provider.args.autogenerate.api_base"),
    ({"autogenerate": {"enabled": True, "model": "openai/x", "api_key": "k"}}, "provider.args.autogenerate.api_key"),
    ({"autogenerate": {"enabled": True, "model": "openai/x"}}, "provider.args.autogenerate.model"),
    ({"allow_unsandboxed": True}, "provider.args.allow_unsandboxed"),
    ({"strategy_config": {"timeout_ms": 600_000}}, "provider.args.strategy_config.timeout_ms"),
])
def test_codeworld_request_cannot_choose_llm_endpoint_or_sandbox_policy(
        start_bridge: StartBridge, attacker: LLMServer, args: dict[str, Any], loc: str) -> None:
    from tests.bridges.items import FAST

    base = start_bridge("codeworld").base_url
    auto = args.get("autogenerate")
    if isinstance(auto, dict) and auto.get("api_base") == "ATTACKER":
        auto["api_base"] = attacker.base_url
    body = {"items": [FAST], "provider": {"name": "codeworld", "args": args}}
    r = httpx.post(f"{base}/bridge/complete", json=body, timeout=60)
    assert r.status_code == 422, r.text
    assert loc in _locs(r)
    assert attacker.requests == []
