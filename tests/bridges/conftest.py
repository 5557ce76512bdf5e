"""Real bridges under uvicorn on 127.0.0.1 (free ports) for the bridge tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scillm.bridges.engines import load_engine
from scillm.bridges.settings import BridgeSettings
from tests.bridges.live import LiveBridge
from tests.support.redis_server import redis_url  # noqa: F401  (a fixture, used by name)

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
