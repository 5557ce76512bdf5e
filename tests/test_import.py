"""`import scillm` stays light; public names resolve lazily to the right objects."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import scillm
import scillm.paved
from tests.support.llm_server import LLMServer

HEAVY = ("litellm", "fastapi", "uvicorn", "openai")


@pytest.mark.parametrize("module", ["scillm", "scillm.paved", "scillm.errors", "scillm.config"])
def test_import_does_not_load_heavy_modules(module: str) -> None:
    code = (f"import sys, json; import {module}; "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == []


def test_litellm_loads_on_first_use_with_local_cost_map() -> None:
    code = ("import os, sys, scillm; assert 'litellm' not in sys.modules; scillm.completion; "
            "print('litellm' in sys.modules, os.environ.get('LITELLM_LOCAL_MODEL_COST_MAP'))")
    env = {k: v for k, v in __import__("os").environ.items() if k != "LITELLM_LOCAL_MODEL_COST_MAP"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                         env=env)
    assert out.stdout.split() == ["True", "True"]


def test_paved_exports_resolve() -> None:
    for name in scillm.paved.__all__:
        assert getattr(scillm.paved, name) is not None, name
    with pytest.raises(AttributeError):
        scillm.paved.no_such_name  # noqa: B018


def test_scillm_llm_names_resolve() -> None:
    from scillm.llms import registry
    from scillm.paved import batch

    assert scillm.acompletion is registry.acompletion
    assert scillm.register_providers is registry.register_providers
    assert scillm.parallel_acompletions is batch.parallel_acompletions
    assert scillm.parallel_acompletions_iter is batch.parallel_acompletions_iter


_PROVE_WITH_INJECTED_COMPLETION = """
import asyncio, json, sys
from scillm.integrations.certainly import prove_requirement
from scillm.llms.openai_client import OpenAICompletion
answer = asyncio.run(prove_requirement(
    "forall n : nat, n + 0 = n", backend="coq", model="openai/test-model",
    completion=OpenAICompletion(sys.argv[1], sys.argv[2]),
    options={"candidates_per_round": 1, "max_rounds": 1, "cache": False, "strategies": ["llm"]}))
print(json.dumps({"status": answer["status"], "heavy": [m for m in %r if m in sys.modules]}))
"""


@pytest.mark.needs_coq
def test_prove_requirement_with_an_injected_completion_never_loads_litellm(llm_server: LLMServer) -> None:
    llm_server.script(["```coq\nProof.\nintros n; induction n; simpl; auto.\nQed.\n```"])
    code = _PROVE_WITH_INJECTED_COMPLETION % (HEAVY,)
    out = subprocess.run([sys.executable, "-c", code, llm_server.base_url, llm_server.api_key],
                         capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"status": "proved", "heavy": []}
    assert len(llm_server.chat_requests()) == 1
