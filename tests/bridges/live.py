"""A real bridge under uvicorn on 127.0.0.1 (free port), in a background thread, for tests and scripts."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

from scillm.bridges.settings import BridgeSettings


class LiveBridge:
    """`with LiveBridge(settings) as b: httpx.get(b.base_url + "/healthz")`."""

    def __init__(self, settings: BridgeSettings, **app_kwargs: Any) -> None:
        import uvicorn

        from scillm.bridges.app import create_app
        from scillm.bridges.serve import uvicorn_config

        self.settings = settings.model_copy(update={"host": "127.0.0.1", "port": 0})
        config = uvicorn_config(self.settings, create_app(self.settings, **app_kwargs), "error")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.base_url = ""

    def start(self) -> LiveBridge:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("bridge did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)

    def __enter__(self) -> LiveBridge:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
