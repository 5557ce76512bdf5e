"""Copy bundled skills into a target folder, idempotently, without clobbering local edits.

Skills are copied (never linked) so an agent's skill folder keeps working
after scillm is upgraded or removed. A manifest in the target
(`.scillm-skills.json`) records the sha256 of every file at install time;
a later install compares the installed files against it to tell an
upgrade (safe to overwrite) from a local edit (left alone unless `force`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from scillm import __version__
from scillm.errors import SkillError
from scillm.skills.catalog import Skill, bundled_skills, file_hash, resolve

DEFAULT_TARGET = Path(".skills")
MANIFEST_NAME = ".scillm-skills.json"
_MANIFEST_VERSION = 1

Action = Literal["installed", "updated", "unchanged", "overwritten", "skipped", "removed", "absent"]
State = Literal["not installed", "installed", "outdated", "modified"]


@dataclass(frozen=True)
class SkillChange:
    """What one install or uninstall did to one skill, for the user to read."""

    name: str
    action: Action
    files: tuple[str, ...] = ()
    detail: str = ""

    def describe(self) -> str:
        """One human line, e.g. `updated certainly-prover: SKILL.md`."""
        text = f"{self.action} {self.name}"
        if self.files:
            text += ": " + ", ".join(self.files)
        if self.detail:
            text += f" ({self.detail})"
        return text


@dataclass
class _Manifest:
    """Installed skills and the hashes of their files at install time."""

    path: Path
    skills: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, target: Path) -> _Manifest:
        path = target / MANIFEST_NAME
        if not path.exists():
            return cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            skills = {str(k): dict(v["files"]) for k, v in raw["skills"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SkillError(
                f"{path} is unreadable or corrupt ({exc}); delete it and run install --force"
            ) from exc
        return cls(path, skills)

    def save(self) -> None:
        body: dict[str, Any] = {
            "version": _MANIFEST_VERSION,
            "scillm_version": __version__,
            "skills": {name: {"files": files} for name, files in sorted(self.skills.items())},
        }
        _write_text(self.path, json.dumps(body, indent=2, sort_keys=True) + "\n")


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _copy_file(src: Path, dest: Path) -> None:
    """Copy bytes and mode via a temporary file, so a crash never leaves half a file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        shutil.copymode(src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _local_edits(skill_dir: Path, recorded: dict[str, str]) -> list[str]:
    """Files recorded at install time that were since changed or deleted."""
    return [rel for rel, digest in sorted(recorded.items()) if not _matches(skill_dir / rel, digest)]


def _prepare_target(target: Path) -> None:
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SkillError(f"cannot create skills target {target}: {exc.strerror or exc}") from exc
    if not os.access(target, os.W_OK | os.X_OK):
        raise SkillError(f"skills target {target} is not writable; choose another --target")


def _remove_empty_dirs(root: Path) -> None:
    for path in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(path.iterdir()):
            path.rmdir()


def skill_state(skill: Skill, target: Path = DEFAULT_TARGET) -> State:
    """Whether `skill` is installed at `target`, and if so whether it is current or edited."""
    manifest = _Manifest.load(target) if target.is_dir() else _Manifest(target / MANIFEST_NAME)
    recorded = manifest.skills.get(skill.name)
    if recorded is None:
        return "not installed"
    if _local_edits(target / skill.name, recorded):
        return "modified"
    return "installed" if recorded == skill.files() else "outdated"


def _install_one(skill: Skill, target: Path, manifest: _Manifest, force: bool) -> SkillChange:
    dest = target / skill.name
    source = skill.files()
    recorded = manifest.skills.get(skill.name)
    fresh = not dest.exists()
    if recorded is None:
        # A folder scillm did not write is the user's: adopt it only where it equals the bundle.
        edits = [] if fresh else [rel for rel, digest in sorted(source.items()) if not _matches(dest / rel, digest)]
    else:
        edits = _local_edits(dest, recorded)
    if edits and not force:
        return SkillChange(
            skill.name, "skipped", tuple(edits), "modified locally; left alone, pass --force to overwrite"
        )
    changed = [rel for rel, digest in sorted(source.items()) if not _matches(dest / rel, digest)]
    stale = sorted(set(recorded or {}) - set(source))
    for rel in changed:
        _copy_file(skill.root / rel, dest / rel)
    for rel in stale:
        (dest / rel).unlink(missing_ok=True)
    if stale:
        _remove_empty_dirs(dest)
    manifest.skills[skill.name] = source
    if fresh:
        return SkillChange(skill.name, "installed", tuple(changed))
    if edits:
        return SkillChange(skill.name, "overwritten", tuple(changed + stale), "local edits replaced")
    if changed or stale:
        return SkillChange(skill.name, "updated", tuple(changed + stale))
    return SkillChange(skill.name, "unchanged")


def _matches(path: Path, digest: str) -> bool:
    return path.is_file() and file_hash(path) == digest


def install(
    names: list[str] | None = None, *, target: Path | str = DEFAULT_TARGET, force: bool = False
) -> list[SkillChange]:
    """Copy the named bundled skills (all when `names` is None) into `target`.

    Re-running is idempotent: unchanged skills report `unchanged`; a skill
    whose installed files were edited is `skipped` unless `force=True`.
    Raises SkillError for an unknown name or a target that cannot be written.
    """

    skills = list(bundled_skills().values()) if names is None else resolve(names)
    target = Path(target)
    _prepare_target(target)
    manifest = _Manifest.load(target)
    changes = []
    try:
        try:
            for skill in skills:
                changes.append(_install_one(skill, target, manifest, force))
        finally:
            manifest.save()  # record what was copied, even when a later skill failed
    except OSError as exc:
        raise SkillError(f"cannot write skills into {target}: {exc.strerror or exc}") from exc
    return changes


def uninstall(names: list[str], *, target: Path | str = DEFAULT_TARGET, force: bool = False) -> list[SkillChange]:
    """Remove installed skills from `target`; locally edited ones need `force=True`.

    Files the user added inside a skill folder are kept unless `force=True`.
    """
    target = Path(target)
    manifest = _Manifest.load(target) if target.is_dir() else _Manifest(target / MANIFEST_NAME)
    known = set(bundled_skills()) | set(manifest.skills)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SkillError(f"unknown skill(s): {', '.join(unknown)}; available: {', '.join(sorted(known))}")
    changes = []
    try:
        try:
            for name in dict.fromkeys(names):
                changes.append(_uninstall_one(name, target, manifest, force))
        finally:
            if target.is_dir():
                manifest.save()
    except OSError as exc:
        raise SkillError(f"cannot remove skills from {target}: {exc.strerror or exc}") from exc
    return changes


def _uninstall_one(name: str, target: Path, manifest: _Manifest, force: bool) -> SkillChange:
    dest = target / name
    recorded = manifest.skills.get(name)
    if recorded is None:
        return SkillChange(name, "absent", detail=f"not installed by scillm at {target}")
    edits = _local_edits(dest, recorded)
    if edits and not force:
        return SkillChange(name, "skipped", tuple(edits), "modified locally; pass --force to remove")
    if force and dest.exists():
        shutil.rmtree(dest)
    else:
        for rel in recorded:
            (dest / rel).unlink(missing_ok=True)
        if dest.exists():
            _remove_empty_dirs(dest)
            if not any(dest.iterdir()):
                dest.rmdir()
    del manifest.skills[name]
    kept = "" if not dest.exists() else f"kept files you added in {dest}"
    return SkillChange(name, "removed", tuple(sorted(recorded)), kept)


__all__ = ["DEFAULT_TARGET", "MANIFEST_NAME", "SkillChange", "install", "skill_state", "uninstall"]
