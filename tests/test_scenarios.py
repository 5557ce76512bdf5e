"""Every user-story scenario runs end to end (`scenarios/run_all.py`); SKIPs must name their reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_run_all_scenarios_pass_or_skip_with_reason() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scenarios" / "run_all.py")], capture_output=True,
                          text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    summary = proc.stdout.split("=== scenario summary", 1)[1]
    rows = [line for line in summary.splitlines() if line[:4] in ("PASS", "SKIP", "FAIL")]
    scripts = [p for p in (ROOT / "scenarios").glob("*.py") if p.stem not in ("run_all", "support")]
    assert len(rows) == len(scripts) == 8
    for row in rows:
        assert row.startswith("PASS") or "SKIP: " in row, row


def test_run_all_fails_when_a_scenario_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(ROOT / "scenarios"))
    try:
        import run_all
    finally:
        sys.path.remove(str(ROOT / "scenarios"))
    broken = tmp_path / "broken.py"
    broken.write_text("raise SystemExit(3)\n")
    skipping = tmp_path / "skipping.py"
    skipping.write_text("print('SKIP: no key')\n")
    monkeypatch.setattr(run_all, "HERE", tmp_path)
    assert run_all.main(["skipping"]) == 0
    assert run_all.main(["skipping", "broken"]) == 1
