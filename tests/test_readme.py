"""The README opens with the two commands, and its test command is exactly what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.markdown_blocks import code_blocks

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _ci_test_command() -> str:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    match = re.search(r'^TEST_COMMAND="(.*)"$', text, re.MULTILINE)
    assert match, ".ci/run must define TEST_COMMAND=\"...\" on one line"
    return match.group(1)


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_section = text.split("\n## ", 1)[0]
    blocks = code_blocks(README)
    assert len(blocks) >= 2
    main, tests = blocks[0], blocks[1]
    for block in (main, tests):
        assert block.lang == "bash"
        assert block.code.strip() in first_section, "the two commands must come before the first section"
        assert block.code.strip().count("\n") == 0, "each command is one line"
    assert "scillm prove" in main.code
    assert "pytest" in tests.code


def test_readme_test_command_is_the_ci_command() -> None:
    assert code_blocks(README)[1].code.strip() == _ci_test_command()
