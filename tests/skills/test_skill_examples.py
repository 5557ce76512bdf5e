"""Every example in every bundled SKILL.md runs against the installed package.

Skills are installed into a temporary folder first and the blocks are read
from the installed copies. Python blocks run in a fresh interpreter (one per
SKILL.md, each block in its own namespace) with the loopback LLM server
behind the env vars they read and real Coq; shell lines that start with
`scillm` or `python -m scillm` run with bash in the installed skill's folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scillm.skills import bundled_skills, install
from tests.support.llm_server import LLMServer
from tests.support.markdown_blocks import (
    BlockRuns,
    CodeBlock,
    code_blocks,
    doc_llm_env,
    failure_text,
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


def _params() -> list[object]:
    """Codeworld examples run untrusted code, so they also need a working sandbox."""
    return [pytest.param(name, i, block, marks=[pytest.mark.needs_bwrap] if name == "codeworld-evaluator" else [])
            for name, i, block in _cases()]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("agent") / "skills"
    changes = install(target=target)
    assert {c.action for c in changes} == {"installed"}
    return target


@pytest.fixture(scope="module")
def runs(installed: Path) -> Iterator[BlockRuns]:
    with LLMServer(api_key="test-key") as server:
        yield BlockRuns(user_env(doc_llm_env(server)), installed)


def test_every_skill_has_runnable_examples() -> None:
    names = {name for name, _, _ in _cases()}
    assert names == set(bundled_skills())


@pytest.mark.needs_coq
@pytest.mark.parametrize(("name", "index", "source"), _params(),
                         ids=lambda v: v.id if isinstance(v, CodeBlock) else None)
def test_skill_example_runs(installed: Path, runs: BlockRuns, name: str, index: int, source: CodeBlock) -> None:
    block = code_blocks(installed / name / "SKILL.md")[index]
    assert block.code == source.code, "the installed SKILL.md differs from the bundled one"
    reason = skip_reason(block)
    if reason:
        pytest.skip(reason)
    cwd = installed / name
    if block.lang == "python":
        outcome = runs.outcome(block, cwd=cwd)
        assert outcome["ok"], f"{name} {block.id} failed:\n{outcome['error']}\n--- output ---\n{outcome['output'][-3000:]}"
        return
    for line in scillm_shell_lines(block):
        proc = run_shell(line, cwd, runs.env)
        assert proc.returncode == 0, failure_text(proc, f"{name} {block.id}: {line}")


@pytest.mark.needs_bwrap
def test_codeworld_rank_files_script_ranks_the_correct_variant_first(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text("def solve(xs):\n    return sorted(xs)\n")
    (tmp_path / "bad.py").write_text("def solve(xs):\n    return xs\n")
    (tmp_path / "crash.py").write_text("def solve(xs):\n    raise RuntimeError('boom')\n")
    (tmp_path / "cases.json").write_text('[{"input": [3, 1, 2], "expected": [1, 2, 3]}, {"input": [], "expected": []}]')
    script = installed / "codeworld-evaluator" / "scripts" / "rank_files.py"
    proc = run_shell(f"python {script} --cases cases.json good.py bad.py crash.py", tmp_path, user_env({}))
    assert proc.returncode == 0, failure_text(proc, "rank_files.py")
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("1. good") and "passed=2/2" in lines[0]
    assert any(line.split()[1] == "crash" and "boom" in line for line in lines)
    missing = run_shell(f"python {script} --cases nope.json good.py", tmp_path, user_env({}))
    assert missing.returncode == 2 and "nope.json" in missing.stderr
