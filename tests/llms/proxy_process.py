"""Start the real LiteLLM Proxy (`litellm --config`) on loopback for tests and docs, and stop it."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path


def proxy_missing() -> str | None:
    """Why the LiteLLM Proxy cannot start here (a missing module), or None."""
    proc = subprocess.run([sys.executable, "-c", "import litellm.proxy.proxy_server"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    if proc.returncode == 0:
        return None
    last = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
    return f"the LiteLLM Proxy cannot start here ({last}); pip install 'scillm[proxy]'"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Proxy:
    """`litellm --config <file>` in its own process group; `base_url` and `key` once ready."""

    def __init__(self, config: Path, env: dict[str, str] | None = None, timeout_s: float = 180) -> None:
        self.port = _free_port()
        self.key = "sk-" + secrets.token_hex(32)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.output: list[str] = []
        litellm_cli = Path(sys.executable).with_name("litellm")
        self._proc = subprocess.Popen(
            [str(litellm_cli), "--config", str(config), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
            env={**os.environ, **(env or {}), "LITELLM_MASTER_KEY": self.key, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
        )
        ready = threading.Event()
        threading.Thread(target=self._drain, args=(ready,), daemon=True).start()
        timer = threading.Timer(timeout_s, ready.set)
        timer.start()
        ready.wait()
        timer.cancel()
        if self._proc.poll() is not None or not any("Uvicorn running" in line for line in self.output):
            self.close()
            raise RuntimeError("the LiteLLM Proxy did not start:\n" + "".join(self.output[-40:]))

    def _drain(self, ready: threading.Event) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self.output.append(line)
            if "Uvicorn running" in line:
                ready.set()
        ready.set()

    def close(self) -> None:
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()


__all__ = ["Proxy", "proxy_missing"]
