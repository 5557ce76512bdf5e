"""Bundled skills follow the Agent Skills format and ship as package data."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scillm.errors import SkillError
from scillm.skills import bundled_skills
from scillm.skills.catalog import parse_front_matter, validate_front_matter

ROOT = Path(__file__).resolve().parents[2]
SKILLS = bundled_skills()


@pytest.mark.parametrize("name", sorted(SKILLS))
def test_front_matter_is_valid(name: str) -> None:
    skill = SKILLS[name]
    meta = parse_front_matter((skill.root / "SKILL.md").read_text())
    assert meta["name"] == skill.root.name == name
    assert len(name) <= 64 and name == name.lower()
    assert 20 <= len(meta["description"]) <= 1024
    assert "use" in meta["description"].lower(), "the description must say when to use the skill"


@pytest.mark.parametrize("name", sorted(SKILLS))
def test_skill_body_is_substantial(name: str) -> None:
    text = (SKILLS[name].root / "SKILL.md").read_text()
    body = text.split("---", 2)[2]
    assert body.count("```") >= 2, "a skill should show at least one runnable example"
    assert len(body) > 1000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# no front matter\n", "must start with YAML front matter"),
        ("---\nname: [unclosed\n---\n", "not valid YAML"),
        ("---\n- a list\n---\n", "must be a YAML mapping"),
    ],
)
def test_bad_front_matter_is_named(text: str, message: str) -> None:
    with pytest.raises(SkillError, match=message):
        parse_front_matter(text)


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"name": "Bad_Name", "description": "d"}, "lowercase"),
        ({"name": "a" * 65, "description": "d"}, "at most 64"),
        ({"name": "-lead", "description": "d"}, "lowercase"),
        ({"name": "other", "description": "d"}, "must equal the folder name"),
        ({"name": "folder"}, "description must be a non-empty string"),
        ({"name": "folder", "description": "x" * 1025}, "the limit is 1024"),
    ],
)
def test_bad_metadata_is_named(meta: dict[str, str], message: str) -> None:
    folder = meta["name"] if meta["name"] in ("Bad_Name", "a" * 65, "-lead") else "folder"
    with pytest.raises(SkillError, match=message):
        validate_front_matter(meta, folder)


def test_skill_folders_ship_in_the_built_package(tmp_path: Path) -> None:
    """Hyphenated skill folders are data, not packages: check setuptools still ships every file."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copy(ROOT / "README.md", src)
    shutil.copytree(ROOT / "scillm", src / "scillm", ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py", "--build-lib", str(tmp_path / "lib")],
        cwd=src, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    for name, skill in SKILLS.items():
        for rel in skill.files():
            assert (tmp_path / "lib" / "scillm" / "skills" / name / rel).is_file(), f"{name}/{rel} not shipped"
