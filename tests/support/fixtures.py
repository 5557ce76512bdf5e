"""Pytest fixtures shared across the suite (registered by tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.llm_server import LLMServer


@pytest.fixture(scope="session")
def _llm_server_session() -> Iterator[LLMServer]:
    with LLMServer(api_key="test-key") as server:
        yield server


@pytest.fixture
def llm_server(_llm_server_session: LLMServer) -> Iterator[LLMServer]:
    """The OpenAI-compatible test server (`tests/support/llm_server.py`), reset for each test.

    `llm_server.base_url` ends in `/v1`; `llm_server.api_key` is accepted as Bearer or
    x-api-key (set `llm_server.auth` to restrict); `llm_server.script([...])` queues replies;
    `llm_server.requests` logs what arrived.
    """
    _llm_server_session.reset()
    yield _llm_server_session
    _llm_server_session.reset()
