"""Real bridges under uvicorn on 127.0.0.1 (free ports) for the bridge tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scillm.bridges.engines import load_engine
from scillm.bridges.settings import BridgeSettings
from tests.bridges.live import LiveBridge

StartBridge = Callable[..., LiveBridge]


@pytest.fixture
def start_bridge(tmp_path: Path) -> Iterator[StartBridge]:
    """`start_bridge("codeworld", max_concurrent=1, ...)` -> a started LiveBridge, closed after the test."""
    started: list[LiveBridge] = []

    def _start(engine: str = "certainly", *, engine_loader: Callable[[str], Any] | None = None,
               **overrides: Any) -> LiveBridge:
        overrides.setdefault("jobs_path", str(tmp_path / f"jobs-{len(started)}.sqlite3"))
        settings = BridgeSettings.model_validate({"engine": engine, **overrides})
        bridge = LiveBridge(settings, engine_loader=engine_loader or load_engine).start()
        started.append(bridge)
        return bridge

    yield _start
    for bridge in started:
        bridge.close()


def not_built(name: str) -> Any:
    """The real loader asked for an engine this version does not have."""
    return load_engine(f"{name}-not-built")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server (no persistence) on a free 127.0.0.1 port; skipped when redis is absent."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not on PATH (apt-get install redis-server)")
    pytest.importorskip("redis", reason="the redis client is not installed (pip install 'scillm[redis]')")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
