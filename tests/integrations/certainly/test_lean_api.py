"""Lean through the public API: `certainly_prove(items=[...], backend="lean")` with the REPL replayed.

`lake` on PATH is a two-line launcher: `lake env repl` starts the replay
stand-in inside the prover sandbox (the engine is handed a Lean checker with
the mounts the stand-in needs) (replies real Lean printed, so every search check comes back clean);
`lake env lean` fails as it would where Lean is absent. Attacks written in the
header, decls, statement or proof must come back `rejected` and never reach
the REPL; the honest control passes the search check but, with no Lean for the
independent verdict, must not be `proved` either.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

import scillm
from scillm.integrations.certainly import engine
from scillm.integrations.certainly.checkers.lean import LeanChecker, LeanConfig
from scillm.settings import CertainlySettings
from tests.support.lean_replay import logged_commands, replay_argv, replay_mounts

pytestmark = pytest.mark.needs_shared

ATTACKS: list[dict[str, Any]] = [
    {"header": "import Lean\nset_option debug.skipKernelTC true"},
    {"header": "import Lean\nset_option «debug».«skipKernelTC» true"},
    {"decls": 'notation "two" => 3'},
    {"decls": "instance (priority := high) : Add Nat := ⟨fun a _ => a⟩"},
    {"decls": "run_cmd pure ()"},
    {"tactics": ["by decide\nopen Nat in\nsimproc cheat (_) := fun _ => pure .continue"]},
    {"tactics": ["by\n  set_option «debug».«skipKernelTC» true in\n  decide"]},
    {"tactics": ["by run_tac Lean.Elab.Tactic.evalTactic (← `(tactic| decide))"]},
    {"tactics": ['by\n  have := r#"a"b"#\n  admit -- "']},
]


def _item(extra: dict[str, Any]) -> dict[str, Any]:
    return {"requirement_text": "theorem goal : 1 + 1 = 2 := by", "backend": "lean", "header": "import Lean",
            "tactics": ["by decide"], **extra}


@pytest.fixture
def replayed_lean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    argv, log = replay_argv(tmp_path / "replay", [["import_lean#0", *["file_env#1"] * 20]])
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    lake = bin_dir / "lake"
    launch = " ".join(f"'{a}'" for a in argv)
    lake.write_text(f'#!/bin/sh\nif [ "$1 $2" = "env repl" ]; then exec {launch}; fi\n'
                    'echo "lean is not installed here" >&2\nexit 127\n', encoding="utf-8")
    lake.chmod(lake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("CERTAINLY_LEAN_PROJECT", str(tmp_path))
    settings = CertainlySettings.from_env()
    lean = LeanChecker(LeanConfig.from_settings(settings), extra_mounts=replay_mounts(tmp_path / "replay"))
    fresh = engine.CertainlyEngine(settings, checkers={"lean": lean})
    monkeypatch.setattr(engine, "_default", fresh)
    yield log
    fresh.close()
    lean.close()


def _prove(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = scillm.certainly_prove(items=items, backend="lean",
                                      options={"cache": False, "tactics_only": True})
    results: list[dict[str, Any]] = response.additional_kwargs["certainly"]["results"]
    return results


def test_attacks_through_the_public_api_are_rejected_before_lean(replayed_lean: Path) -> None:
    results = _prove([_item(a) for a in ATTACKS])
    assert [r["status"] for r in results] == ["rejected"] * len(ATTACKS), [r.get("explanation") for r in results]
    assert logged_commands(replayed_lean) == []


def test_the_honest_control_passes_the_search_but_is_not_proved_without_lean(replayed_lean: Path) -> None:
    (result,) = _prove([_item({})])
    assert result["status"] not in ("proved", "rejected"), result
    assert "lean" in str(result.get("explanation") or result.get("attempts")).lower()
    commands = logged_commands(replayed_lean)
    assert commands[0] == {"cmd": "import Lean"}
    assert commands[1]["cmd"] == "theorem goal : 1 + 1 = 2 := by decide"
