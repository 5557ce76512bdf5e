"""Every Python example in README.md and docs/*.md runs, and docs/environment.md matches the code.

Blocks run in a fresh interpreter (one per Markdown file, each block in its
own namespace) with the loopback LLM server behind `SCILLM_API_BASE` /
`CHUTES_API_BASE` / `CHUTES_API_KEY` / `CHUTES_MODEL_ID`, and real Coq. The
only blocks skipped are those marked `<!-- needs: real-key -->`, or
`<!-- needs: lean -->` when Lean is absent, and the skip reason says which.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scillm.config import environment_markdown
from tests.support.llm_server import LLMServer
from tests.support.markdown_blocks import (
    BlockRuns,
    CodeBlock,
    code_blocks,
    doc_llm_env,
    skip_reason,
    user_env,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PAGES = ["certainly.md", "codeworld.md", "batch-json.md", "bridges.md", "environment.md"]


def _python_blocks() -> list[CodeBlock]:
    return [b for path in DOCS for b in code_blocks(path) if b.lang == "python"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BlockRuns]:
    with LLMServer(api_key="test-key") as server:
        yield BlockRuns(user_env(doc_llm_env(server)), tmp_path_factory.mktemp("docs"))


def test_every_page_exists() -> None:
    missing = [p for p in PAGES if not (ROOT / "docs" / p).is_file()]
    assert not missing, f"docs pages missing: {missing}"


def test_environment_reference_is_generated_from_config() -> None:
    page = (ROOT / "docs" / "environment.md").read_text(encoding="utf-8")
    assert page == environment_markdown(), (
        "docs/environment.md drifted from scillm.config.ENV_VARS; "
        "regenerate with: python -m scillm.config > docs/environment.md"
    )


def test_environment_generator_command_prints_the_reference() -> None:
    proc = subprocess.run([sys.executable, "-m", "scillm.config"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == environment_markdown()


def test_needs_markers_are_known() -> None:
    for block in _python_blocks():
        skip_reason(block)


@pytest.mark.needs_coq
@pytest.mark.parametrize("block", _python_blocks(), ids=lambda b: b.id)
def test_python_example_runs(block: CodeBlock, runs: BlockRuns) -> None:
    reason = skip_reason(block)
    if reason:
        pytest.skip(reason)
    outcome = runs.outcome(block)
    where = f"{block.path.relative_to(ROOT)}:{block.line}"
    assert outcome["ok"], f"{where} failed:\n{outcome['error']}\n--- output ---\n{outcome['output'][-3000:]}"
