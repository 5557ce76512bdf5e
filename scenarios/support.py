"""What the scenario scripts share: SKIP/fail reporting and a bridge started in its own process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def skip(reason: str) -> None:
    """Print `SKIP: <reason>` and exit 0: a prerequisite is missing, nothing was faked."""
    print(f"SKIP: {reason}")
    raise SystemExit(0)


def fail(reason: str) -> None:
    print(f"FAIL: {reason}")
    raise SystemExit(1)


def need_coq() -> None:
    if shutil.which("coqtop") is None or shutil.which("coqc") is None:
        skip("coqtop/coqc not on PATH (apt-get install coq)")


def need_sandbox() -> None:
    from scillm.integrations.codeworld.sandbox import available_backends

    reasons = available_backends()
    if reasons.get("bwrap") is not None and reasons.get("unshare") is not None:
        skip(f"no isolating sandbox here: {reasons}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def bridge_process(engine: str) -> Iterator[str]:
    """`python -m scillm.bridges.<engine>` on a free loopback port; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", f"scillm.bridges.{engine}", "--port", str(port)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                fail(f"the {engine} bridge exited with code {proc.returncode}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).json().get("ready"):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                fail(f"the {engine} bridge at {base} was not ready within 60 s")
            time.sleep(0.1)
        print(f"started {engine} bridge at {base} (pid {proc.pid})")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)
