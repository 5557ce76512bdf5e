"""What an engine is handed instead of finding it itself: its LLM call, its checkers, its sandbox policy.

The engines never load the LiteLLM adapter by name: a run that names a model
without a `Completion` is refused with `CompletionNotConfiguredError`, while
`scillm.prove_requirement` (the adapter) hands them LiteLLM's and still loads
nothing heavy when no model is asked. Checkers can be injected; the prover
sandbox policy comes from the engine's settings.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from scillm.errors import CompletionNotConfiguredError
from scillm.integrations.certainly import prove_requirement
from scillm.integrations.certainly.checkers import prover_sandbox
from scillm.integrations.certainly.checkers.coq import CoqChecker
from scillm.integrations.certainly.engine import CertainlyEngine
from scillm.integrations.certainly.models import CheckResult, Problem
from scillm.integrations.codeworld.api import CodeworldEngine
from scillm.integrations.codeworld.settings import CodeworldSettings, ModelEndpoint
from scillm.llms.openai_client import OpenAICompletion
from scillm.settings import CertainlySettings
from tests.support.llm_server import LLMServer

PROOF = "```coq\nProof.\nintros n; induction n; simpl; auto.\nQed.\n```"
LLM_OPTIONS = {"candidates_per_round": 1, "max_rounds": 1, "cache": False, "strategies": ["llm"]}


async def test_a_model_without_a_completion_is_a_named_error_before_any_call(llm_server: LLMServer) -> None:
    with pytest.raises(CompletionNotConfiguredError, match="openai/test-model.*completion="):
        await prove_requirement("forall n : nat, n + 0 = n", backend="coq", model="openai/test-model",
                                api_base=llm_server.base_url, options=LLM_OPTIONS)
    engine = CodeworldEngine(CodeworldSettings(models={"m": ModelEndpoint(model="openai/m")}))
    with pytest.raises(CompletionNotConfiguredError, match="'m'"):
        await engine.arun([{"task": "sort", "context": {"code_variants": {}, "cases": []}}],
                          {"autogenerate": {"enabled": True, "model": "m", "n": 1}})
    await engine.aclose()
    assert llm_server.chat_requests() == []


@pytest.mark.needs_coq
async def test_an_engine_uses_the_completion_it_was_given(llm_server: LLMServer) -> None:
    llm_server.script([PROOF])
    engine = CertainlyEngine(CertainlySettings(default_backend="coq"),
                             completion=OpenAICompletion(llm_server.base_url, llm_server.api_key))
    try:
        payload = await engine.arun(["forall n : nat, n + 0 = n"], {**LLM_OPTIONS, "model": "openai/test-model"})
    finally:
        await engine.aclose()
    assert payload.results[0].status == "proved", payload.results[0]
    assert len(llm_server.chat_requests()) == 1


_PUBLIC_WITHOUT_MODEL = """
import asyncio, json, sys
import scillm
answer = asyncio.run(scillm.prove_requirement("forall n : nat, n + 0 = n", tactics=["lia"], backend="coq",
                                              options={"cache": False}))
print(json.dumps({"ok": answer["ok"], "litellm": "litellm" in sys.modules}))
"""


@pytest.mark.needs_coq
def test_the_public_prove_requirement_without_a_model_never_loads_litellm() -> None:
    out = subprocess.run([sys.executable, "-c", _PUBLIC_WITHOUT_MODEL], capture_output=True, text=True,
                         timeout=300, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"ok": True, "litellm": False}


@pytest.mark.needs_coq
def test_the_public_prove_requirement_hands_the_engine_a_completion(llm_server: LLMServer) -> None:
    import scillm

    llm_server.script([PROOF])
    answer = scillm.prove_requirement_sync("forall n : nat, n + 0 = n", backend="coq", model="openai/test-model",
                                           api_base=llm_server.base_url, api_key=llm_server.api_key,
                                           options=LLM_OPTIONS)
    assert answer["ok"], answer
    assert len(llm_server.chat_requests()) == 1


class _Counting:
    """A real checker that counts the checks it serves and whether it was closed."""

    def __init__(self, inner: CoqChecker) -> None:
        self.inner = inner
        self.name = inner.name
        self.checks = 0
        self.closed = False

    async def check(self, problem: Problem, proof: str, **kwargs: Any) -> CheckResult:
        self.checks += 1
        return await self.inner.check(problem, proof, **kwargs)

    async def aclose(self) -> None:
        self.closed = True

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


@pytest.mark.needs_coq
async def test_injected_checkers_serve_the_runs_and_stay_the_callers() -> None:
    inner = CoqChecker(pool_size=1)
    counting = _Counting(inner)
    engine = CertainlyEngine(CertainlySettings(default_backend="coq"), checkers={"coq": counting})  # type: ignore[dict-item]
    try:
        payload = await engine.arun(["forall n : nat, n + 0 = n"], {"tactics": ["lia"], "cache": False})
    finally:
        await engine.aclose()
    assert payload.results[0].status == "proved"
    assert counting.checks >= 1 and not counting.closed
    await inner.aclose()


@pytest.mark.needs_coq
async def test_the_prover_sandbox_policy_comes_from_the_engine_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prover_sandbox, "probe", lambda: "bwrap not on PATH")
    monkeypatch.setenv("CERTAINLY_UNSANDBOXED_PROVERS", "1")  # read only by the settings, never by a checker
    options = {"tactics": ["lia"], "cache": False}
    strict = CertainlyEngine(CertainlySettings(default_backend="coq"))
    try:
        refused = await strict.arun(["forall n : nat, n + 0 = n"], options)
    finally:
        await strict.aclose()
    assert refused.results[0].status == "env_unavailable", refused.results[0]
    allowed = CertainlyEngine(CertainlySettings.from_env().model_copy(update={"default_backend": "coq"}))
    try:
        proved = await allowed.arun(["forall n : nat, n + 0 = n"], options)
    finally:
        await allowed.aclose()
    assert proved.results[0].status == "proved", proved.results[0]
    assert not prover_sandbox.unsandboxed_allowed(), "the policy never leaks out of the engine's runs"


@pytest.mark.needs_coq
def test_direct_mode_and_doctor_probe_under_the_settings_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from scillm.doctor import CheckSpec, _check_backend
    from scillm.llms.fallback import direct_unavailable

    monkeypatch.setattr(prover_sandbox, "probe", lambda: "bwrap not on PATH")
    monkeypatch.delenv("CERTAINLY_UNSANDBOXED_PROVERS", raising=False)
    assert "sandbox" in str(direct_unavailable("certainly", {"backend": "coq"}))
    monkeypatch.setenv("CERTAINLY_UNSANDBOXED_PROVERS", "1")
    assert direct_unavailable("certainly", {"backend": "coq"}) is None
    assert _check_backend(CheckSpec(name="coq", component="certainly", kind="certainly_backend", backend="coq"))[0] == "ok"
