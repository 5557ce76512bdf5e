"""`scillm doctor` runs real checks: provers, sandbox, a live bridge, an LLM preflight."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scillm import cli
from scillm.bridges.settings import BridgeSettings
from tests.bridges.live import LiveBridge

ROOT = Path(__file__).resolve().parent.parent


def _doctor(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = cli.main(["doctor", "--json", *argv])
    return code, json.loads(capsys.readouterr().out)


def _check(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["name"] == name)


def test_packaged_readiness_matches_the_repo_file() -> None:
    assert (ROOT / "readiness.yml").read_text() == (ROOT / "scillm" / "readiness.yml").read_text()


@pytest.mark.needs_coq
def test_coq_found_with_version_and_strict_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _doctor(capsys, "--strict", "--expect", "certainly")
    coq = _check(report, "coq")
    assert coq["status"] == "ok" and "8." in coq["detail"]
    assert report["components"]["certainly"] == "direct"
    assert code == 0


def test_strict_fails_when_an_expected_component_is_missing(capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHUTES_API_BASE", "CHUTES_API_KEY", "SCILLM_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("READINESS_EXPECT", "llm")
    code, report = _doctor(capsys, "--strict")
    assert _check(report, "llm-preflight")["status"] == "skipped"
    assert report["missing"] == ["llm"]
    assert code == 1
    assert cli.main(["doctor"]) == 0
    assert "missing: llm" in capsys.readouterr().out


def test_table_lists_every_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name in ("coq", "lean", "sandbox", "certainly-bridge", "codeworld-bridge", "llm-preflight"):
        assert name in out
    assert "components:" in out


@pytest.mark.needs_coq
def test_live_bridge_makes_a_component_ready_over_http(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "readiness.yml"
    config.write_text(
        "checks:\n"
        "  - {name: prover, component: certainly, kind: binary, binary: no-such-prover-xyz}\n"
        "  - {name: certainly-bridge, component: certainly, kind: bridge, engine: certainly, optional: true}\n"
    )
    code, report = _doctor(capsys, "--config", str(config), "--strict", "--expect", "certainly")
    assert report["components"]["certainly"] == "missing" and code == 1
    with LiveBridge(BridgeSettings(engine="certainly")) as bridge:
        monkeypatch.setenv("CERTAINLY_BRIDGE_BASE", bridge.base_url)
        code, report = _doctor(capsys, "--config", str(config), "--strict", "--expect", "certainly")
    bridge_check = _check(report, "certainly-bridge")
    assert bridge_check["status"] == "ok" and bridge.base_url in bridge_check["detail"]
    assert _check(report, "prover")["status"] == "missing"
    assert report["components"]["certainly"] == "bridge"
    assert code == 0


def test_llm_preflight_against_a_loopback_server(llm_server: Any, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    llm_server.models = ["tiny-model"]
    monkeypatch.setenv("CHUTES_API_BASE", llm_server.base_url)
    monkeypatch.setenv("CHUTES_API_KEY", llm_server.api_key)
    monkeypatch.setenv("CHUTES_MODEL_ID", "tiny-model")
    code, report = _doctor(capsys, "--strict", "--expect", "llm")
    assert _check(report, "llm-preflight")["status"] == "ok", report
    assert code == 0
    monkeypatch.setenv("CHUTES_API_KEY", "wrong-key")
    code, report = _doctor(capsys, "--strict", "--expect", "llm")
    assert _check(report, "llm-preflight")["status"] == "missing"
    assert "auth" in _check(report, "llm-preflight")["detail"]
    assert code == 1


def test_malformed_readiness_file_is_a_clear_error(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from scillm.doctor import load_readiness

    bad = tmp_path / "r.yml"
    bad.write_text("checks:\n  - {name: x, component: y, kind: telepathy}\n")
    with pytest.raises(ValidationError, match="kind"):
        load_readiness(bad)
