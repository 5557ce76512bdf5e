"""Launching bridges: `python -m scillm.bridges.certainly`, `scillm bridge`, the exposure warning."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from scillm.bridges.serve import exposure_warning
from scillm.bridges.settings import BridgeSettings

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_and_probe(args: list[str], port: int) -> dict[str, object]:
    proc = subprocess.Popen([sys.executable, *args, "--port", str(port)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
            try:
                body: dict[str, object] = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
                return body
            except httpx.TransportError:
                assert time.monotonic() < deadline, "bridge did not answer within 60 s"
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_python_m_certainly_serves_the_certainly_engine() -> None:
    body = _serve_and_probe(["-m", "scillm.bridges.certainly"], _free_port())
    assert body["engine"] == "certainly" and body["engine_loaded"] is True


def test_cli_bridge_subcommand_serves_codeworld() -> None:
    body = _serve_and_probe(["-m", "scillm.cli", "bridge", "codeworld"], _free_port())
    assert body["engine"] == "codeworld" and body["engine_loaded"] is True


@pytest.mark.parametrize(
    ("host", "token", "warns"),
    [("127.0.0.1", None, False), ("localhost", None, False), ("0.0.0.0", None, True),
     ("0.0.0.0", "t", False), ("10.1.2.3", None, True)],
)
def test_exposure_warning_only_for_reachable_bridges_without_token(host: str, token: str | None, warns: bool) -> None:
    warning = exposure_warning(BridgeSettings(engine="certainly", host=host, token=token))
    assert (warning is not None) == warns
    if warning:
        assert "SCILLM_BRIDGE_TOKEN" in warning and host in warning


def test_settings_from_env_take_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCILLM_BRIDGE_TOKEN", "abc")
    settings = BridgeSettings.from_env("codeworld", max_concurrent=2)
    assert settings.token == "abc" and settings.port == 8887 and settings.max_concurrent == 2


def test_import_scillm_and_the_client_stay_free_of_web_servers() -> None:
    code = ("import sys, scillm, scillm.bridges.client, scillm.bridges.schema, scillm.llms.fallback, scillm.doctor; "
            "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette', 'litellm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
