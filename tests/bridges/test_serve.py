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
from tests.bridges.conftest import StartBridge

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
    code = ("import sys, scillm, scillm.remote.client, scillm.remote.schema, scillm.llms.fallback, scillm.doctor; "
            "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette', 'litellm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_non_loopback_without_token_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SCILLM_BRIDGE_TOKEN"}
    out = subprocess.run([sys.executable, "-m", "scillm.bridges.certainly", "--host", "0.0.0.0",
                          "--port", str(_free_port())], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "refusing to start" in out.stderr and "--insecure-no-token" in out.stderr


def test_insecure_no_token_starts_anyway_with_a_warning() -> None:
    from scillm.bridges.serve import refusal

    assert refusal(BridgeSettings(engine="certainly", host="0.0.0.0")) is not None
    assert refusal(BridgeSettings(engine="certainly", host="0.0.0.0", insecure_no_token=True)) is None
    assert refusal(BridgeSettings(engine="certainly", host="0.0.0.0", token="t")) is None
    assert refusal(BridgeSettings(engine="certainly", host="127.0.0.1")) is None


def test_healthz_without_token_shows_readiness_only(start_bridge: StartBridge) -> None:
    base = start_bridge("certainly", token="s3cret").base_url
    anonymous = httpx.get(f"{base}/healthz")
    assert set(anonymous.json()) == {"ok", "ready", "status"}
    assert "/" not in anonymous.text
    assert httpx.get(f"{base}/healthz", headers={"Authorization": "Bearer wrong"}).status_code == 401
    full = httpx.get(f"{base}/healthz", headers={"Authorization": "BEARER s3cret"}).json()
    assert full["ok"] is True and "health" in full and "pool" in full
