"""Agent skills bundled with scillm, and the installer that copies them into an agent's skill folder.

Skills are plain folders (`<name>/SKILL.md` plus optional `scripts/`) in the
Agent Skills format; `python -m scillm.skills install --all --target DIR`
copies them, and `scillm skills ...` is the same command.
"""

from __future__ import annotations

from scillm.skills.catalog import Skill, bundled_skills
from scillm.skills.installer import DEFAULT_TARGET, SkillChange, install, skill_state, uninstall

__all__ = ["DEFAULT_TARGET", "Skill", "SkillChange", "bundled_skills", "install", "skill_state", "uninstall"]
