"""Property-based requests from `/openapi.json` against live servers (bounded examples): never a server error.

schemathesis generates bodies from the documented request models; each
answer must be below 500 and, when it is an error, in the documented shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the dev extra")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from scillm.bridges.settings import BridgeSettings  # noqa: E402
from scillm.integrations.certainly.options import RequestCaps  # noqa: E402
from tests.bridges.live import LiveBridge  # noqa: E402

pytestmark = pytest.mark.needs_coq

_CAPS = RequestCaps(max_rounds=1, candidates_per_round=2, repairs_per_round=0, timeout_ms_per_check=2000,
                    max_total_checks=2, max_seconds=5, concurrency=2)


@pytest.fixture(scope="module")
def bridge_schema() -> Iterator[Any]:
    settings_ = BridgeSettings(engine="certainly", jobs_path=":memory:", caps=_CAPS, default_max_seconds=10,
                               max_items=4, max_item_seconds=10)
    with LiveBridge(settings_) as bridge:
        yield schemathesis.openapi.from_url(f"{bridge.base_url}/openapi.json")


@pytest.fixture(scope="module")
def check_schema() -> Iterator[Any]:
    from scillm.bridges.check_server import create_check_app
    from scillm.integrations.certainly.checkers.coq import CoqChecker
    from tests.bridges.test_check_server import _Served

    service = _Served(create_check_app(CoqChecker(pool_size=1, timeout_ms=2000), token="", close_checker=True))
    try:
        yield schemathesis.openapi.from_url(f"{service.base_url}/openapi.json")
    finally:
        service.close()


def _assert_no_server_error(case: Any) -> None:
    response = case.call(timeout=60)
    assert response.status_code < 500, (case.path, case.body, response.text[:500])
    kind = response.headers.get("content-type") or ""
    kind = kind[0] if isinstance(kind, list) else kind
    if response.status_code >= 400 and kind.startswith("application/json"):
        body = response.json()
        assert set(body) <= {"error", "summary", "results", "statistics", "run_manifest"} and "error" in body


_BOUNDED = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                    database=None)


def _fuzz(schema: Any) -> int:
    """Run every documented operation under bounded examples; the number of operations exercised."""
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        @given(case=operation.as_strategy())
        @_BOUNDED
        def run(case: Any) -> None:
            _assert_no_server_error(case)

        run()
    return len(operations)


def test_bridge_never_answers_a_server_error(bridge_schema: Any) -> None:
    assert _fuzz(bridge_schema) >= 5


def test_check_server_never_answers_a_server_error(check_schema: Any) -> None:
    assert _fuzz(check_schema) >= 2
