"""Shared test setup: marker-driven skips that name what is missing.

Markers (`--strict-markers`): needs_coq, needs_lean, needs_bwrap, needs_redis,
needs_shared. A test carrying one is skipped, with the reason, when the
binary or the `../shared` folder is absent. Fixtures for real servers
(the OpenAI-compatible test server, bridges) live in `tests/support/`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

pytest_plugins = ["tests.support.fixtures"]


def _bwrap_works() -> bool:
    from tests.support.probes import bwrap_works

    return bwrap_works()


_REQUIREMENTS = {
    "needs_coq": (lambda: shutil.which("coqtop") is not None and shutil.which("coqc") is not None,
                  "coqtop/coqc not on PATH (apt-get install coq)"),
    "needs_lean": (lambda: shutil.which("lean") is not None and shutil.which("lake") is not None,
                   "lean/lake not on PATH (Lean cannot be installed on this machine)"),
    "needs_bwrap": (_bwrap_works, "bubblewrap missing or not permitted here (apt-get install bubblewrap)"),
    "needs_redis": (lambda: shutil.which("redis-server") is not None,
                    "redis-server not on PATH (apt-get install redis-server)"),
    "needs_shared": (lambda: SHARED.is_dir(), f"{SHARED} is absent (fresh clone without ../shared)"),
}

_cache: dict[str, bool] = {}


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, (probe, reason) in _REQUIREMENTS.items():
        if item.get_closest_marker(marker) is None:
            continue
        if marker not in _cache:
            _cache[marker] = bool(probe())
        if not _cache[marker]:
            pytest.skip(f"{marker}: {reason}")
