"""Fixtures for the codeworld tests: a real redis-server on a free port."""

from tests.support.redis_server import redis_url  # noqa: F401  (a fixture, used by name)
