"""`scillm doctor`: the LiteLLM row (version, declared range, a real registered call) and --strict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import litellm
import pytest

from scillm import cli, doctor


def _doctor(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = cli.main(["doctor", "--json", *argv])
    return code, json.loads(capsys.readouterr().out)


def _row(report: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["name"] == "litellm")


def test_litellm_row_reports_version_range_and_a_working_registration(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.metadata

    _, report = _doctor(capsys)
    row = _row(report)
    assert row["status"] == "ok", row
    assert importlib.metadata.version("litellm") in row["detail"]
    assert doctor.litellm_range() is not None and doctor.litellm_range() in row["detail"]
    assert "providers registered and answering" in row["detail"]


def test_litellm_outside_the_range_names_the_fix(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "litellm_range", lambda: ">=999.0")
    code, report = _doctor(capsys, "--strict")
    row = _row(report)
    assert row["status"] == "missing" and "outside scillm's supported range >=999.0" in row["detail"]
    assert "pip install 'litellm>=999.0'" in row["detail"]
    assert code == 1 and "litellm" in report["missing"]


def test_broken_provider_dispatch_is_reported_with_the_fix(capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown_provider(**kwargs: Any) -> Any:
        raise litellm.BadRequestError(message="LLM Provider NOT provided", model=kwargs["model"], llm_provider="")

    monkeypatch.setattr(litellm, "completion", unknown_provider)
    code, report = _doctor(capsys, "--strict")
    row = _row(report)
    assert row["status"] == "missing"
    assert "provider registration does not work" in row["detail"] and "LLM Provider NOT provided" in row["detail"]
    assert "fix: install a release" in row["detail"]
    assert code == 1


def test_strict_fails_when_nothing_usable_is_found(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from scillm.integrations.certainly.checkers.coq_session import find_coq

    config = tmp_path / "readiness.yml"
    config.write_text("checks:\n"
                      "  - {name: litellm, component: litellm, kind: litellm}\n"
                      "  - {name: coq, component: certainly, kind: certainly_backend, backend: coq}\n"
                      "  - {name: lean, component: certainly, kind: certainly_backend, backend: lean, optional: true}\n",
                      encoding="utf-8")
    monkeypatch.delenv("READINESS_EXPECT", raising=False)
    monkeypatch.delenv("CERTAINLY_LEAN_PROJECT", raising=False)
    find_coq.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    try:
        code, report = _doctor(capsys, "--strict", "--config", str(config))
    finally:
        monkeypatch.undo()
        find_coq.cache_clear()
    assert report["components"]["certainly"] == "missing"
    assert report["missing"] == ["any engine (certainly or codeworld)"]
    assert code == 1
    assert cli.main(["doctor", "--config", str(config)]) == 0
