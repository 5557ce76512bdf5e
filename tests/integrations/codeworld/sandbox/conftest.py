"""Sandboxes under each isolating backend, with a secret planted in the test process's environment."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest

from scillm.integrations.codeworld.sandbox import Limits, Sandbox, get_sandbox, probe_backend

SECRET_ENV = "CODEWORLD_TEST_SECRET"
TEST_LIMITS = Limits(wall_ms=1000, cpu_s=1, memory_mb=256, tmpfs_mb=4, max_output_bytes=200_000)

ISOLATING = [
    pytest.param("bwrap", marks=pytest.mark.needs_bwrap, id="bwrap"),
    pytest.param("unshare", id="unshare"),
]


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh secret in this process's environment, as an API key would be."""
    value = "sk-test-" + secrets.token_hex(16)
    monkeypatch.setenv(SECRET_ENV, value)
    return value


@pytest.fixture(params=ISOLATING)
async def sandbox(request: pytest.FixtureRequest, secret: str) -> AsyncIterator[Sandbox]:
    """One warm worker under an isolating backend; skipped, naming why, where it cannot work here."""
    reason = probe_backend(request.param)
    if reason is not None:
        pytest.skip(f"{request.param} sandbox unavailable: {reason}")
    sb = get_sandbox(backend=request.param, limits=TEST_LIMITS, workers=1)
    try:
        yield sb
    finally:
        await sb.aclose()
