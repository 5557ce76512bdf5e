"""The warm Lean REPL is started inside the prover sandbox, like coqtop and the cold Lean runs.

Lean is not installed here, so the "REPL" is `/bin/sh` speaking the REPL's
framing (a blank line ends a command, `{"env": 0}` answers it) after trying to
escape: what is exercised is the real bubblewrap launch a REPL session gets
(read-only project, private writable scratch, cleared environment, no host
HOME), not Lean itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scillm.integrations.certainly.checkers import prover_sandbox as sandbox
from scillm.integrations.certainly.checkers.lean import LeanChecker
from scillm.integrations.certainly.checkers.lean_sandbox import ExtraMounts
from scillm.integrations.certainly.checkers.lean_session import LeanConfig, LeanSession
from scillm.integrations.certainly.models import Problem
from tests.support.lean_replay import logged_commands, replay_argv, replay_mounts

PROBLEM = Problem(backend="lean", header="import Lean\nopen Nat", theorem_name="add_comm'",
                  statement="∀ a b : Nat, a + b = b + a")
PROOF = "by\n  intro a b\n  rw [Nat.add_comm]"
_ANSWER = ('while IFS= read -r line; do [ -n "$line" ] && continue; '
           'env; echo "pwd=$PWD"; printf \'{"env": 0}\\n\\n\'; done')


@pytest.mark.needs_bwrap
def test_the_repl_cannot_write_the_project_or_the_host_nor_see_the_server_env(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    host = Path("/tmp") / f"scillm_lean_repl_escape_{os.getpid()}_{tmp_path.name}"
    monkeypatch.setenv("SECRET_TOKEN", "server-secret")
    script = f'touch "$PWD/escaped" 2>/dev/null; touch {host} 2>/dev/null; {_ANSWER}'
    session = LeanSession("import Lean", LeanConfig(project=project, repl_cmd=("/bin/sh", "-c", script)))
    try:
        session.start()
        reply = session.command("theorem t : True := trivial", 30)
    finally:
        session.close()
    assert reply.env == 0 and session.env_id == 0
    assert not (project / "escaped").exists() and not host.exists()
    assert "server-secret" not in reply.noise and "SECRET_TOKEN" not in reply.noise
    home = os.path.expanduser("~")
    assert f"HOME={home}\n" not in reply.noise + "\n"
    assert f"pwd={project}" in reply.noise


def _fake_elan(root: Path) -> Path:
    (root / "toolchains").mkdir(parents=True)
    (root / "bin").mkdir()
    lake = root / "bin" / "lake"
    lake.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    lake.chmod(0o755)
    return lake


def _pair(argv: list[str], flag: str, host: str) -> int:
    """Index of `flag host host` in argv (a bind of `host` at its own path)."""
    for i in range(len(argv) - 2):
        if argv[i: i + 3] == [flag, host, host]:
            return i
    raise AssertionError(f"{flag} {host} missing from {argv}")


@pytest.mark.needs_bwrap
def test_repl_argv_mounts_project_and_toolchain_read_only_scratch_and_journal_writable(
        tmp_path: Path) -> None:
    project, journal, shared = tmp_path / "proj", tmp_path / "proj" / "journal", tmp_path / "fixtures"
    project.mkdir()
    journal.mkdir()
    shared.mkdir()
    lake = _fake_elan(tmp_path / "elan")
    extra = ExtraMounts(readonly=(str(shared),), journal=str(journal))
    session = LeanSession("", LeanConfig(project=project, repl_cmd=(str(lake), "env", "repl")), extra)
    session.start()
    try:
        repl = session._repl
        assert repl is not None
        argv, scratch = repl.argv, session._dir
        assert scratch is not None and Path(scratch).is_dir()
    finally:
        session.close()
    assert not Path(scratch).exists(), "the scratch dir outlived the session"
    assert Path(argv[0]).name == "bwrap" and "--unshare-all" in argv and "--share-net" not in argv
    assert "--clearenv" in argv and "--die-with-parent" in argv
    elan = str(tmp_path / "elan")
    assert _pair(argv, "--ro-bind", str(project)) < _pair(argv, "--bind", str(journal))
    _pair(argv, "--ro-bind", elan)
    _pair(argv, "--ro-bind", str(shared))
    _pair(argv, "--bind", scratch)
    binds = [argv[i + 1] for i, a in enumerate(argv) if a == "--bind"]
    assert sorted(binds) == sorted([str(journal), scratch]), binds
    homes = [argv[i + 2] for i, a in enumerate(argv) if a == "--setenv" and argv[i + 1] == "HOME"]
    assert homes[-1] == scratch and os.path.expanduser("~") not in homes
    assert argv[argv.index("--chdir") + 1] == str(project)
    assert argv[argv.index("ELAN_HOME") + 1] == elan
    assert argv[-3:] == [str(lake), "env", "repl"]


@pytest.mark.needs_shared
async def test_without_bubblewrap_the_repl_is_env_unavailable_unless_the_server_allows_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "probe", lambda: "bwrap not on PATH")
    monkeypatch.delenv("CERTAINLY_UNSANDBOXED_PROVERS", raising=False)
    workdir = tmp_path / "replay"
    argv, log = replay_argv(workdir, [["import_lean#0", "file_env#1"]])
    config = LeanConfig(project=tmp_path, repl_cmd=tuple(argv), pool_size=1)
    for fallback in (True, False):
        refused = LeanChecker(config.model_copy(update={"fallback_cold": fallback}),
                              extra_mounts=replay_mounts(workdir))
        try:
            result = await refused.check(PROBLEM, PROOF, confirm=False)
        finally:
            await refused.aclose()
        assert result.status == "env_unavailable" and not result.ok, result
        assert "sandbox" in result.messages[0].text
    assert logged_commands(log) == [], "a REPL was started without the sandbox"
    allowed = LeanChecker(config, extra_mounts=replay_mounts(workdir))
    try:
        with sandbox.allowing_unsandboxed(True):
            result = await allowed.check(PROBLEM, PROOF, confirm=False)
    finally:
        await allowed.aclose()
    assert result.status == "proved" and result.checker is not None and result.checker.mode == "warm", result
    assert [c["cmd"] for c in logged_commands(log)][0] == "import Lean"
