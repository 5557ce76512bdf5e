"""`import scillm` stays light; public names resolve lazily to the right objects."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

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


PUBLIC_NAMES = [
    "ModelResponse", "Router", "__version__", "acompletion", "batch_acompletions", "batch_acompletions_iter",
    "certainly_prove", "certainly_prove_iter", "certainly_prove_simple", "certainly_prove_simple_iter",
    "completion", "errors", "parallel_acompletions", "parallel_acompletions_iter", "prove_requirement",
    "prove_requirement_sync", "register_providers",
]


def test_the_public_names_are_pinned() -> None:
    assert sorted(scillm.__all__) == PUBLIC_NAMES
    assert sorted(dir(scillm)) == PUBLIC_NAMES


def _type_checking_imports() -> dict[str, str]:
    tree = ast.parse(Path(scillm.__file__).read_text("utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
    out: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module is not None
        for alias in node.names:
            assert alias.asname == alias.name, "re-export form `import x as x` keeps the name public to checkers"
            submodule = f"{node.module}.{alias.name}"
            out[alias.name] = submodule if node.module == "scillm" else f"{node.module}:{alias.name}"
    return out


def test_type_checkers_see_the_same_names_the_lazy_map_loads() -> None:
    assert _type_checking_imports() == scillm._LAZY


@pytest.mark.parametrize("name", sorted(scillm._LAZY))
def test_every_lazy_name_is_the_real_object(name: str) -> None:
    module_name, _, attr = scillm._LAZY[name].partition(":")
    module = importlib.import_module(module_name)
    assert getattr(scillm, name) is (getattr(module, attr) if attr else module)


def test_paved_type_checking_block_matches_its_lazy_map() -> None:
    tree = ast.parse(Path(scillm.paved.__file__).read_text("utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
    seen = {alias.name: node.module for node in block.body if isinstance(node, ast.ImportFrom)
            for alias in node.names}
    assert seen == scillm.paved._LAZY
