"""The skills installer: copies, idempotence, local edits, uninstall, bad input (API and CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scillm.errors import SkillError
from scillm.skills import bundled_skills, install, skill_state, uninstall
from scillm.skills.installer import MANIFEST_NAME

NAMES = sorted(bundled_skills())


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scillm.skills", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_three_skills_are_bundled() -> None:
    assert {"certainly-prover", "scillm-completions", "codeworld-evaluator"} <= set(NAMES)


def test_install_all_copies_regular_files_and_writes_manifest(tmp_path: Path) -> None:
    changes = install(target=tmp_path)
    assert [c.name for c in changes] == NAMES
    assert {c.action for c in changes} == {"installed"}
    for name, skill in bundled_skills().items():
        for rel in skill.files():
            installed = tmp_path / name / rel
            assert installed.is_file() and not installed.is_symlink()
            assert installed.read_bytes() == (skill.root / rel).read_bytes()
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    assert set(manifest["skills"]) == set(NAMES)


def test_rerun_is_idempotent_and_says_unchanged(tmp_path: Path) -> None:
    install(target=tmp_path)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file() and p.name != MANIFEST_NAME}
    changes = install(target=tmp_path)
    assert {c.action for c in changes} == {"unchanged"}
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file() and p.name != MANIFEST_NAME}
    assert before == after


def test_local_edit_is_left_alone_and_reported_then_forced(tmp_path: Path) -> None:
    install(["certainly-prover"], target=tmp_path)
    skill_md = tmp_path / "certainly-prover" / "SKILL.md"
    skill_md.write_text(skill_md.read_text() + "\nmy note\n")
    assert skill_state(bundled_skills()["certainly-prover"], tmp_path) == "modified"

    (change,) = install(["certainly-prover"], target=tmp_path)
    assert change.action == "skipped" and change.files == ("SKILL.md",)
    assert "--force" in change.describe()
    assert skill_md.read_text().endswith("my note\n")

    (change,) = install(["certainly-prover"], target=tmp_path, force=True)
    assert change.action == "overwritten"
    assert skill_md.read_bytes() == (bundled_skills()["certainly-prover"].root / "SKILL.md").read_bytes()
    assert skill_state(bundled_skills()["certainly-prover"], tmp_path) == "installed"


def test_deleted_installed_file_counts_as_local_edit(tmp_path: Path) -> None:
    install(["scillm-completions"], target=tmp_path)
    (tmp_path / "scillm-completions" / "SKILL.md").unlink()
    (change,) = install(["scillm-completions"], target=tmp_path)
    assert change.action == "skipped"
    (change,) = install(["scillm-completions"], target=tmp_path, force=True)
    assert change.action == "overwritten"
    assert (tmp_path / "scillm-completions" / "SKILL.md").is_file()


def test_upgrade_of_unedited_skill_updates_only_changed_files(tmp_path: Path) -> None:
    install(["codeworld-evaluator"], target=tmp_path)
    manifest_path = tmp_path / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    # Simulate an install made by an older scillm: old file content and its recorded hash.
    skill_md = tmp_path / "codeworld-evaluator" / "SKILL.md"
    skill_md.write_text("old version\n")
    import hashlib

    manifest["skills"]["codeworld-evaluator"]["files"]["SKILL.md"] = hashlib.sha256(b"old version\n").hexdigest()
    manifest["skills"]["codeworld-evaluator"]["files"]["retired.txt"] = hashlib.sha256(b"gone\n").hexdigest()
    (tmp_path / "codeworld-evaluator" / "retired.txt").write_text("gone\n")
    manifest_path.write_text(json.dumps(manifest))
    assert skill_state(bundled_skills()["codeworld-evaluator"], tmp_path) == "outdated"

    (change,) = install(["codeworld-evaluator"], target=tmp_path)
    assert change.action == "updated"
    assert set(change.files) == {"SKILL.md", "retired.txt"}
    assert not (tmp_path / "codeworld-evaluator" / "retired.txt").exists()
    assert skill_state(bundled_skills()["codeworld-evaluator"], tmp_path) == "installed"


def test_unmanaged_existing_folder_is_not_clobbered(tmp_path: Path) -> None:
    (tmp_path / "certainly-prover").mkdir()
    (tmp_path / "certainly-prover" / "SKILL.md").write_text("someone else's skill\n")
    (change,) = install(["certainly-prover"], target=tmp_path)
    assert change.action == "skipped"
    assert (tmp_path / "certainly-prover" / "SKILL.md").read_text() == "someone else's skill\n"


def test_uninstall_removes_files_but_keeps_user_additions(tmp_path: Path) -> None:
    install(target=tmp_path)
    (tmp_path / "certainly-prover" / "notes.txt").write_text("mine\n")
    (change,) = uninstall(["certainly-prover"], target=tmp_path)
    assert change.action == "removed"
    assert sorted(p.name for p in (tmp_path / "certainly-prover").iterdir()) == ["notes.txt"]
    (change,) = uninstall(["scillm-completions"], target=tmp_path)
    assert change.action == "removed" and not (tmp_path / "scillm-completions").exists()
    assert skill_state(bundled_skills()["scillm-completions"], tmp_path) == "not installed"
    (change,) = uninstall(["scillm-completions"], target=tmp_path)
    assert change.action == "absent"


def test_uninstall_of_edited_skill_needs_force(tmp_path: Path) -> None:
    install(["codeworld-evaluator"], target=tmp_path)
    (tmp_path / "codeworld-evaluator" / "SKILL.md").write_text("edited\n")
    (change,) = uninstall(["codeworld-evaluator"], target=tmp_path)
    assert change.action == "skipped" and (tmp_path / "codeworld-evaluator" / "SKILL.md").exists()
    (change,) = uninstall(["codeworld-evaluator"], target=tmp_path, force=True)
    assert change.action == "removed" and not (tmp_path / "codeworld-evaluator").exists()


def test_unknown_name_raises_before_writing(tmp_path: Path) -> None:
    with pytest.raises(SkillError, match="unknown skill.*no-such-skill.*available: certainly-prover"):
        install(["certainly-prover", "no-such-skill"], target=tmp_path / "t")
    assert not (tmp_path / "t").exists()
    with pytest.raises(SkillError, match="unknown skill"):
        uninstall(["no-such-skill"], target=tmp_path)


def test_unwritable_target_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(SkillError, match="cannot create skills target"):
        install(target=blocker / "skills")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permission bits")
def test_read_only_target_raises(tmp_path: Path) -> None:
    target = tmp_path / "ro"
    target.mkdir(mode=0o500)
    with pytest.raises(SkillError, match="not writable"):
        install(target=target)


def test_corrupt_manifest_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(SkillError, match="corrupt"):
        install(target=tmp_path)


def test_cli_list_install_uninstall(tmp_path: Path) -> None:
    listed = _cli("list", "--target", "agent", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    for name in NAMES:
        assert any(line.startswith(name) and "not installed" in line for line in listed.stdout.splitlines())

    first = _cli("install", "--all", "--target", "agent", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert all(f"installed {n}" in first.stdout for n in NAMES)
    again = _cli("install", "--all", "--target", "agent", cwd=tmp_path)
    assert all(f"unchanged {n}" in again.stdout for n in NAMES)

    listed = _cli("list", "--target", "agent", cwd=tmp_path)
    assert all(
        any(line.startswith(n) and " installed " in line for line in listed.stdout.splitlines()) for n in NAMES
    )
    removed = _cli("uninstall", "codeworld-evaluator", "--target", "agent", cwd=tmp_path)
    assert removed.returncode == 0 and "removed codeworld-evaluator" in removed.stdout
    assert not (tmp_path / "agent" / "codeworld-evaluator").exists()


def test_cli_default_target_is_dot_skills(tmp_path: Path) -> None:
    proc = _cli("install", "scillm-completions", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / ".skills" / "scillm-completions" / "SKILL.md").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("install", "nope"), "unknown skill(s): nope"),
        (("install",), "name the skills to install, or pass --all"),
        (("install", "--all", "--target", "blocker/sub"), "cannot create skills target"),
        (("uninstall", "nope"), "unknown skill(s): nope"),
    ],
)
def test_cli_bad_input_exits_non_zero_with_message_on_stderr(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder")
    proc = _cli(*args, cwd=tmp_path)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert proc.stdout == ""


def test_scillm_skills_subcommand_is_the_same_command(tmp_path: Path) -> None:
    def scillm(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "scillm.cli", "skills", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    proc = scillm("install", "certainly-prover", "--target", ".claude/skills")
    assert proc.returncode == 0, proc.stderr
    assert "installed certainly-prover" in proc.stdout
    assert (tmp_path / ".claude" / "skills" / "certainly-prover" / "SKILL.md").is_file()
    assert "unchanged certainly-prover" in scillm("install", "certainly-prover", "--target", ".claude/skills").stdout
    bad = scillm("install", "nope")
    assert bad.returncode == 1 and "unknown skill(s): nope" in bad.stderr
