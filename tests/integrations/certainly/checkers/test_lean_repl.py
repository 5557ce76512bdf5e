"""The REPL framing layer, driven by a real subprocess replaying real Lean REPL transcripts."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from scillm.integrations.certainly.checkers.faults import ReplFaultError, ReplTimeoutError
from scillm.integrations.certainly.checkers.lean_repl import (
    LeanRepl,
    ReplReply,
    parse_replies,
)
from tests.support.lean_replay import FIXTURES, logged_commands, replay_argv

pytestmark = pytest.mark.needs_shared


def _blocks(path: Path) -> list[str]:
    return [b for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()]


def _pairs() -> list[str]:
    if not FIXTURES.is_dir():
        return []
    names = []
    for out in sorted(FIXTURES.glob("*.expected.out")):
        name = out.name[: -len(".expected.out")]
        source = FIXTURES / f"{name}.in"
        if source.exists() and len(_blocks(source)) == len(_blocks(out)):
            names.append(name)
    return names


@pytest.mark.parametrize("name", _pairs())
def test_every_recorded_exchange_round_trips(tmp_path: Path, name: str) -> None:
    argv, log = replay_argv(tmp_path, [[name]], strict=True)
    commands = [json.loads(b, strict=False) for b in _blocks(FIXTURES / f"{name}.in")]
    expected = [ReplReply.model_validate(json.loads(b)) for b in _blocks(FIXTURES / f"{name}.expected.out")]
    repl = LeanRepl(argv)
    repl.start()
    try:
        got = [repl.send(command, timeout_s=20) for command in commands]
    finally:
        repl.close()
    assert got == expected
    assert logged_commands(log) == commands


def test_transcript_contents_are_parsed_into_fields() -> None:
    sorry = parse_replies((FIXTURES / "tactic_sorry.expected.out").read_text(encoding="utf-8"))[0]
    assert sorry.env == 0 and not sorry.is_error
    assert [(s.goal, s.pos.line, s.pos.column, s.proof_state) for s in sorry.sorries] == [("⊢ Nat", 1, 18, 0)]
    assert sorry.messages[0].severity == "warning" and sorry.messages[0].end_pos is not None
    unknown = parse_replies((FIXTURES / "unknown_environment.expected.out").read_text(encoding="utf-8"))[0]
    assert unknown.is_error and unknown.message == "Unknown environment." and unknown.env is None
    incomplete = parse_replies((FIXTURES / "incomplete.expected.out").read_text(encoding="utf-8"))[1]
    assert [m.data.splitlines()[0] for m in incomplete.messages] == ["unsolved goals", "unsolved goals"]


def test_env_ids_from_replies_are_the_ones_to_reuse(tmp_path: Path) -> None:
    argv, _ = replay_argv(tmp_path, [["dup_msg"]])
    repl = LeanRepl(argv)
    repl.start()
    try:
        first = repl.send({"cmd": "def f := 2"}, timeout_s=20)
        second = repl.send({"cmd": "#check f", "env": first.env}, timeout_s=20)
        stale = repl.send({"cmd": "#check g", "env": 7}, timeout_s=20)
    finally:
        repl.close()
    assert (first.env, second.env) == (0, 1)
    assert second.messages[0].data == "f : Nat"
    assert stale.is_error and stale.message == "Unknown environment."


def test_a_dead_repl_is_a_fault_not_a_reply(tmp_path: Path) -> None:
    argv, _ = replay_argv(tmp_path, [["import_lean#0", "exit"]])
    repl = LeanRepl(argv)
    repl.start()
    try:
        assert repl.send({"cmd": "import Lean"}, timeout_s=20).env == 0
        with pytest.raises(ReplFaultError):
            repl.send({"cmd": "def f := 1", "env": 0}, timeout_s=20)
        assert not repl.alive()
        with pytest.raises(ReplFaultError, match="not running"):
            repl.send({"cmd": "def g := 1", "env": 0}, timeout_s=20)
    finally:
        repl.close()


def test_a_silent_repl_is_killed_at_the_deadline(tmp_path: Path) -> None:
    argv, _ = replay_argv(tmp_path, [["import_lean#0", "hang"]])
    repl = LeanRepl(argv)
    repl.start()
    try:
        repl.send({"cmd": "import Lean"}, timeout_s=20)
        pid = repl.pid
        assert pid is not None
        t0 = time.monotonic()
        with pytest.raises(ReplTimeoutError):
            repl.send({"cmd": "def f := 1", "env": 0}, timeout_s=0.5)
        assert time.monotonic() - t0 < 10
        assert not repl.alive()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    finally:
        repl.close()


def test_a_missing_binary_is_a_fault(tmp_path: Path) -> None:
    repl = LeanRepl([str(tmp_path / "no-such-repl")])
    with pytest.raises(ReplFaultError, match="cannot start"):
        repl.start()
