"""Prover scratch directories go away with their owner, also when nobody calls close().

Warm sessions (`scillm-coq-*`) and the verdict's compiled problems
(`scillm-verdict-*`) live in temporary directories; a checker or engine that
is dropped without `close()` (a test, a server that exits) must not leave
them behind, and its coqtop must not outlive it.
"""

from __future__ import annotations

import gc
import os
import select
import tempfile
from pathlib import Path

import pytest

from scillm.integrations.certainly.checkers.coq import CoqChecker
from scillm.integrations.certainly.checkers.verdict import VerdictEngine
from scillm.integrations.certainly.models import Problem

pytestmark = [pytest.mark.needs_coq, pytest.mark.needs_bwrap]


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point `tempfile` at a directory of this test only, so leftovers are counted exactly."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _scillm_dirs(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith("scillm-"))


def _exits_within(pidfd: int, seconds: float) -> bool:
    """True when the process behind `pidfd` exits within `seconds` (a pidfd turns readable at exit)."""
    ready, _, _ = select.select([pidfd], [], [], seconds)
    return bool(ready)


def test_dropped_warm_checker_leaves_no_directory_and_no_coqtop(private_tmp: Path) -> None:
    chk = CoqChecker(pool_size=1)
    assert chk.check_sync(Problem(statement="True"), "exact I.", confirm=False).ok
    assert any(name.startswith("scillm-coq-") for name in _scillm_dirs(private_tmp))
    pid = chk.pool.sessions()[0].prover_pid()
    assert pid is not None
    pidfd = os.pidfd_open(pid)
    try:
        assert not _exits_within(pidfd, 0)
        del chk
        gc.collect()
        assert _scillm_dirs(private_tmp) == []
        assert _exits_within(pidfd, 10)  # coqtop dies with its sandbox (--die-with-parent)
    finally:
        os.close(pidfd)


def test_dropped_verdict_engine_leaves_no_directory(private_tmp: Path) -> None:
    engine = VerdictEngine()
    assert engine.check(Problem(statement="True"), "exact I.").status == "proved"
    assert any(name.startswith("scillm-verdict-") for name in _scillm_dirs(private_tmp))
    del engine
    gc.collect()
    assert _scillm_dirs(private_tmp) == []


def test_close_removes_the_directories_at_once(private_tmp: Path) -> None:
    chk = CoqChecker(pool_size=1)
    engine = VerdictEngine()
    try:
        assert chk.check_sync(Problem(statement="True"), "exact I.", confirm=False).ok
        assert engine.check(Problem(statement="True"), "exact I.").status == "proved"
    finally:
        chk.close()
        engine.close()
    assert _scillm_dirs(private_tmp) == []
