"""Every example in every bundled SKILL.md runs against the installed package.

Skills are installed into a temporary folder first; the blocks are read
from the installed copies. Python blocks run as scripts in a fresh
interpreter, with the loopback LLM server behind the env vars they read
and real Coq; shell lines that start with `scillm` or `python -m scillm`
run with bash in the installed skill's folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scillm.skills import bundled_skills, install
from tests.support.llm_server import LLMServer
from tests.support.markdown_blocks import (
    CodeBlock,
    code_blocks,
    doc_llm_env,
    failure_text,
    run_python,
    run_shell,
    scillm_shell_lines,
    skip_reason,
    user_env,
)

_SHELL = {"bash", "sh", "shell", "console"}


def _cases() -> list[tuple[str, int, CodeBlock]]:
    cases = []
    for name, skill in sorted(bundled_skills().items()):
        for i, block in enumerate(code_blocks(skill.root / "SKILL.md")):
            if block.lang == "python" or (block.lang in _SHELL and scillm_shell_lines(block)):
                cases.append((name, i, block))
    return cases


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("agent") / "skills"
    changes = install(target=target)
    assert {c.action for c in changes} == {"installed"}
    return target


def test_every_skill_has_runnable_examples() -> None:
    names = {name for name, _, _ in _cases()}
    assert names == set(bundled_skills())


@pytest.mark.needs_coq
@pytest.mark.parametrize(("name", "index", "source"), _cases(), ids=lambda v: v.id if isinstance(v, CodeBlock) else None)
def test_skill_example_runs(installed: Path, llm_server: LLMServer, name: str, index: int, source: CodeBlock) -> None:
    block = code_blocks(installed / name / "SKILL.md")[index]
    assert block.code == source.code, "the installed SKILL.md differs from the bundled one"
    reason = skip_reason(block)
    if reason:
        pytest.skip(reason)
    cwd = installed / name
    env = user_env(doc_llm_env(llm_server))
    if block.lang == "python":
        proc = run_python(block, cwd, env)
        assert proc.returncode == 0, failure_text(proc, f"{name} {block.id}")
        return
    for line in scillm_shell_lines(block):
        proc = run_shell(line, cwd, env)
        assert proc.returncode == 0, failure_text(proc, f"{name} {block.id}: {line}")
