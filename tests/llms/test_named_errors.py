"""Errors that name the cause and the fix: missing provers, Lean syntax, typos, one option validator."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import litellm
import pytest

import scillm
from scillm.errors import ConfigError, InvalidRequestError
from scillm.integrations.certainly import prove_requirement, prove_requirement_sync
from scillm.integrations.certainly.checkers.pool import default_pool_size
from scillm.integrations.certainly.search.gate import core_count
from scillm.settings import CertainlySettings

MESSAGES = [{"role": "user", "content": "prove"}]
ITEMS = [{"requirement_text": "forall n : nat, n + 0 = n"}]
LEAN = "theorem add_zero' (n : Nat) : n + 0 = n := by simp"
lean_absent = pytest.mark.skipif(shutil.which("lean") is not None, reason="needs Lean to be absent")


@pytest.fixture
def no_bridge(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CERTAINLY_BRIDGE_BASE", "LEAN4_BRIDGE_BASE", "CODEWORLD_BASE", "CERTAINLY_BACKEND",
                 "SCILLM_CERTAINLY_HTTP_ONLY", "SCILLM_CERTAINLY_DIRECT_STRICT", "CERTAINLY_LEAN_PROJECT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def no_provers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """An empty PATH; the prover probe's memo is cleared on both sides so no other test sees it."""
    from scillm.integrations.certainly.checkers.coq_session import find_coq

    find_coq.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    yield
    monkeypatch.undo()
    find_coq.cache_clear()


def test_missing_coq_names_the_prover_not_the_default_bridge(no_bridge: None, no_provers: None) -> None:
    with pytest.raises(litellm.ServiceUnavailableError) as info:
        scillm.completion(model="certainly/coq", messages=MESSAGES, items=ITEMS)
    text = str(info.value)
    assert "coq prover is missing" in text and "apt-get install coq" in text
    assert "8787" not in text and "cannot reach" not in text
    with pytest.raises(litellm.ServiceUnavailableError, match="no proof checker is installed"):
        scillm.completion(model="certainly", messages=MESSAGES, items=ITEMS)


@lean_absent
def test_missing_lean_names_lean_for_model_backend_and_env(no_bridge: None, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = [{"model": "certainly/lean"}, {"model": "certainly", "backend": "lean"},
                                   {"model": "lean4/lean4"}]
    for call in calls:
        with pytest.raises(litellm.ServiceUnavailableError, match="lean prover is missing.*Lean 4"):
            scillm.completion(messages=MESSAGES, items=ITEMS, **call)
    monkeypatch.setenv("CERTAINLY_BACKEND", "lean")
    with pytest.raises(litellm.ServiceUnavailableError, match="lean prover is missing"):
        scillm.completion(model="certainly", messages=MESSAGES, items=ITEMS)


@lean_absent
@pytest.mark.needs_coq
def test_lean_syntax_goes_to_lean_and_is_reported_naming_lean(no_bridge: None) -> None:
    payload = scillm.certainly_prove(items=[LEAN, *ITEMS], options={"cache": False}).additional_kwargs["certainly"]
    lean, coq = payload["results"]
    assert (lean["backend"], lean["status"]) == ("lean", "env_unavailable")
    assert "lean" in lean["explanation"].lower() and lean["stats"]["checks"] == 0
    assert coq["status"] == "proved"
    with pytest.raises(litellm.ServiceUnavailableError, match="lean"):
        scillm.completion(model="certainly", messages=MESSAGES, items=[LEAN])
    kept = scillm.completion(model="certainly", messages=MESSAGES, items=[LEAN], raise_on_unavailable=False)
    assert kept.additional_kwargs["certainly"]["results"][0]["status"] == "env_unavailable"


@lean_absent
@pytest.mark.needs_coq
async def test_router_falls_back_from_an_unavailable_lean_deployment(no_bridge: None) -> None:
    router = scillm.Router(model_list=[
        {"model_name": "lean", "litellm_params": {"model": "certainly/lean"}},
        {"model_name": "coq", "litellm_params": {"model": "certainly/coq"}},
    ], fallbacks=[{"lean": ["coq"]}], num_retries=0)
    resp = await router.acompletion(model="lean", messages=MESSAGES, items=ITEMS)
    assert resp.additional_kwargs["certainly"]["results"][0]["backend"] == "coq"
    assert resp.additional_kwargs["certainly"]["results"][0]["status"] == "proved"


@pytest.mark.parametrize(("call", "right"), [
    ({"model": "certianly/coq"}, "certainly"),
    ({"model": "certainly/coqq"}, "coq"),
    ({"model": "certainly", "backend": "laen"}, "lean"),
    ({"model": "codeworld/mtcs"}, "mcts"),
])
def test_typos_get_did_you_mean(call: dict[str, Any], right: str) -> None:
    with pytest.raises(litellm.BadRequestError, match=f"did you mean '{right}'"):
        scillm.completion(messages=MESSAGES, items=ITEMS, **call)


def test_backend_typo_in_the_environment_is_a_config_error_with_did_you_mean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTAINLY_BACKEND", "coqq")
    with pytest.raises(ConfigError, match=r"CERTAINLY_BACKEND='coqq' is not a backend \(did you mean 'coq'\?\)"):
        scillm.certainly_prove(items=ITEMS)


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_a_bad_pool_size_is_a_config_error_naming_it(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CERTAINLY_POOL_SIZE", value)
    with pytest.raises(ConfigError, match="CERTAINLY_POOL_SIZE"):
        scillm.certainly_prove(items=ITEMS)
    with pytest.raises(ConfigError, match="CERTAINLY_POOL_SIZE"):
        CertainlySettings.from_env()
    cores = max(1, os.cpu_count() or 1)
    assert core_count() == default_pool_size() == cores, "below the settings nothing reads the variable"


async def test_max_second_is_an_error_at_every_entry_point() -> None:
    async def iterate() -> None:
        async for _ in scillm.certainly_prove_iter(ITEMS, max_second=3):
            pass

    router = scillm.Router(model_list=[{"model_name": "p", "litellm_params": {"model": "certainly/coq"}}],
                           num_retries=0)
    attempts: list[Any] = [
        lambda: scillm.completion(model="certainly/coq", messages=MESSAGES, items=ITEMS, max_second=3),
        lambda: scillm.completion(model="certainly/coq", messages=MESSAGES, items=ITEMS, options={"max_second": 3}),
        lambda: litellm.completion(model="certainly/coq", messages=MESSAGES, items=ITEMS, max_second=3),
        lambda: router.completion(model="p", messages=MESSAGES, items=ITEMS, max_second=3),
        lambda: scillm.certainly_prove(items=ITEMS, max_second=3),
        lambda: scillm.certainly_prove_simple(items=ITEMS, max_second=3),
        lambda: prove_requirement_sync("forall n : nat, n = n", max_second=3),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidRequestError, match="'max_second'.*did you mean 'max_seconds'"):
            attempt()
    with pytest.raises(InvalidRequestError, match="did you mean 'max_seconds'"):
        await prove_requirement("forall n : nat, n = n", max_second=3)
    with pytest.raises(InvalidRequestError, match="did you mean 'max_seconds'"):
        await iterate()
    with pytest.raises(InvalidRequestError, match="did you mean 'max_seconds'"):
        await scillm.acompletion(model="certainly/coq", messages=MESSAGES, items=ITEMS, max_second=3)
