"""Lean's batch runs (cold checker, verdict modules, kernel replay) go through the prover sandbox.

Lean is not installed here, so the "Lean" below is `/bin/sh` standing in for
`lake env lean --json`: what is exercised is the real bubblewrap launch that
a Lean run gets (mounts, working directory, environment, cancellation
tracking), not Lean itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scillm.integrations.certainly.checkers.lean_cold import run_cold, run_module
from scillm.integrations.certainly.checkers.lean_sandbox import lean_launch
from scillm.integrations.certainly.checkers.lean_session import LeanConfig

pytestmark = [pytest.mark.needs_bwrap]

_MESSAGE = json.dumps({"severity": "info", "pos": {"line": 1, "column": 0}, "endPos": None, "data": "ran",
                       "fileName": "x"})


def test_lean_launch_mounts_the_project_read_only_and_the_scratch_writable(tmp_path: Path) -> None:
    project, scratch = tmp_path / "proj", tmp_path / "scratch"
    project.mkdir()
    scratch.mkdir()
    cmd = lean_launch(LeanConfig(project=project), ["/bin/sh", "-c", "true"], str(scratch), {"LEAN_PATH": "/x"})
    argv = cmd.argv
    assert cmd.sandboxed and cmd.env == {} and "--clearenv" in argv and "--unshare-all" in argv
    i = argv.index("--ro-bind", argv.index(str(project)) - 1)
    assert argv[i: i + 3] == ["--ro-bind", str(project), str(project)]
    j = argv.index("--bind")
    assert argv[j: j + 3] == ["--bind", str(scratch), str(scratch)]
    assert argv[argv.index("--chdir") + 1] == str(project)
    assert argv[argv.index("LEAN_PATH") + 1] == "/x"


def test_cold_lean_run_cannot_write_the_project_or_the_host(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    host = Path("/tmp") / f"scillm_lean_escape_{tmp_path.name}"
    script = (f'echo x > "$PWD/escaped" 2>/dev/null; echo x > {host} 2>/dev/null; '
              f'test -n "$SECRET_TOKEN" && echo leaked; echo \'{_MESSAGE}\'')
    config = LeanConfig(project=project, lean_cmd=("/bin/sh", "-c", script))
    outcome = run_cold(config, "theorem t : True := trivial", None, 30)
    assert outcome.status == "ran" and [m.data for m in outcome.messages] == ["ran"], outcome
    assert not (project / "escaped").exists() and not host.exists()


def test_verdict_module_is_written_in_the_scratch_dir_only(tmp_path: Path) -> None:
    project, root = tmp_path / "proj", tmp_path / "root"
    project.mkdir()
    root.mkdir()
    script = 'echo built > "$4"; echo x > "$PWD/escaped"'
    config = LeanConfig(project=project, lean_cmd=("/bin/sh", "-c", script, "sh"))
    outcome = run_module(config, str(root), "Candidate", "theorem t : True := trivial", 30, olean=True)
    assert outcome.status in ("ran", "crashed"), outcome
    assert not (project / "escaped").exists()
    assert (root / "Candidate.olean").read_text().strip() == "built"


def test_a_missing_lean_binary_is_env_unavailable(tmp_path: Path) -> None:
    config = LeanConfig(project=tmp_path, lean_cmd=(str(tmp_path / "no-lean"),))
    assert run_cold(config, "theorem t : True := trivial", None, 30).status == "env_unavailable"
