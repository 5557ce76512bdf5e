"""The bundled skills: discovery and Agent Skills front-matter validation.

A skill is a folder next to this module holding `SKILL.md` (YAML front
matter with `name` and `description`, then Markdown) and optional files
such as `scripts/`. The folder name is the skill name.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scillm.errors import SkillError

SKILLS_DIR = Path(__file__).resolve().parent
SKILL_FILE = "SKILL.md"
MAX_NAME_CHARS = 64
MAX_DESCRIPTION_CHARS = 1024

_NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_FRONT_RE = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(\n|\Z)", re.DOTALL)
_SKIP_PARTS = {"__pycache__"}


@dataclass(frozen=True)
class Skill:
    """One bundled skill: its validated metadata and where its files live."""

    name: str
    description: str
    root: Path

    @property
    def summary(self) -> str:
        """The first sentence of the description, for one-line listings."""
        first = re.split(r"(?<=[.!?])\s", self.description.strip(), maxsplit=1)[0]
        return first if len(first) <= 100 else first[:97] + "..."

    def files(self) -> dict[str, str]:
        """Relative POSIX path -> sha256 of every file the skill ships."""
        return tree_hashes(self.root)


def tree_hashes(root: Path) -> dict[str, str]:
    """Hash every regular file under `root`, keyed by relative POSIX path."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in _SKIP_PARTS or part.endswith(".pyc") for part in rel.parts):
            continue
        if path.is_file() and not path.is_symlink():
            out[rel.as_posix()] = file_hash(path)
    return out


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parse_front_matter(text: str) -> dict[str, Any]:
    """The YAML mapping between the leading `---` fences of a SKILL.md."""

    match = _FRONT_RE.match(text)
    if match is None:
        raise SkillError("SKILL.md must start with YAML front matter between '---' lines")
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise SkillError(f"SKILL.md front matter is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SkillError("SKILL.md front matter must be a YAML mapping with name and description")
    return data


def validate_front_matter(meta: dict[str, Any], folder: str) -> tuple[str, str]:
    """Check the Agent Skills rules and return (name, description)."""
    name = meta.get("name")
    description = meta.get("description")
    if not isinstance(name, str) or not _NAME_RE.match(name) or len(name) > MAX_NAME_CHARS:
        raise SkillError(
            f"skill {folder!r}: name must be lowercase letters, digits and single hyphens, "
            f"at most {MAX_NAME_CHARS} characters (got {name!r})"
        )
    if name != folder:
        raise SkillError(f"skill {folder!r}: front-matter name {name!r} must equal the folder name")
    if not isinstance(description, str) or not description.strip():
        raise SkillError(f"skill {folder!r}: description must be a non-empty string")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise SkillError(
            f"skill {folder!r}: description has {len(description)} characters; "
            f"the limit is {MAX_DESCRIPTION_CHARS}"
        )
    return name, description.strip()


def load_skill(root: Path) -> Skill:
    """Read and validate one skill folder."""
    text = (root / SKILL_FILE).read_text(encoding="utf-8")
    name, description = validate_front_matter(parse_front_matter(text), root.name)
    return Skill(name=name, description=description, root=root)


def bundled_skills() -> dict[str, Skill]:
    """Every skill shipped inside the package, by name."""
    return {
        path.parent.name: load_skill(path.parent)
        for path in sorted(SKILLS_DIR.glob(f"*/{SKILL_FILE}"))
    }


def resolve(names: list[str]) -> list[Skill]:
    """The bundled skills with these names, or a SkillError naming the unknown ones."""
    available = bundled_skills()
    unknown = [n for n in names if n not in available]
    if unknown:
        raise SkillError(
            f"unknown skill(s): {', '.join(unknown)}; available: {', '.join(sorted(available)) or 'none'}"
        )
    return [available[n] for n in dict.fromkeys(names)]


__all__ = [
    "MAX_DESCRIPTION_CHARS",
    "MAX_NAME_CHARS",
    "Skill",
    "bundled_skills",
    "load_skill",
    "parse_front_matter",
    "resolve",
    "validate_front_matter",
]
