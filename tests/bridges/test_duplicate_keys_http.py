"""A JSON body with a key twice in one object is refused with a 422 naming the key, on every JSON route.

A proxy that reads the first of two equal keys and a server that keeps the
last would see two different requests; so no route picks one (real HTTP).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from scillm.bridges.early import WORK_PATHS
from tests.bridges.conftest import StartBridge, not_built
from tests.bridges.test_check_server import _Served

JSON = {"Content-Type": "application/json"}

# (the key given twice, a body holding it twice at some depth)
_ITEM = b'{"requirement_text": "1 = 2", "requirement_text": "True"}'
BODIES: list[tuple[str, bytes]] = [
    ("items", b'{"items": ["1 = 2"], "items": ["True"]}'),
    ("requirement_text", b'{"items": [' + _ITEM + b"]}"),
    ("statement", b'{"items": [{"statement": "1 = 2", "statement": "True"}]}'),
    ("backend", b'{"items": ["True"], "provider": {"args": {"backend": "coq", "backend": "lean"}}}'),
    ("max_seconds", b'{"items": ["True"], "options": {"max_seconds": 1, "max_seconds": 2}}'),
    ("k", b'{"items": [{"requirement_text": "True", "metadata": {"a": [{"k": 1, "k": 2}]}}]}'),
    ("theorem_statement", b'{"theorem_statement": "1 = 2", "theorem_statement": "True"}'),
]


def _refused(r: httpx.Response, key: str) -> None:
    assert r.status_code == 422, r.text[:300]
    error = r.json()["error"]
    assert error["type"] == "duplicate_key", error
    assert repr(key) in error["message"] and any(repr(key) in d["msg"] for d in error["details"]), error


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.mark.parametrize("engine", sorted(WORK_PATHS))
def test_every_bridge_route_refuses_a_duplicate_key(http: httpx.Client, start_bridge: StartBridge,
                                                    engine: str) -> None:
    base = start_bridge(engine, engine_loader=not_built).base_url
    for route in sorted(WORK_PATHS[engine]):
        for key, raw in BODIES:
            _refused(http.post(f"{base}{route}", content=raw, headers=JSON), key)


def test_the_same_bodies_without_the_duplicate_pass_the_parser(http: httpx.Client, start_bridge: StartBridge) -> None:
    base = start_bridge("certainly", engine_loader=not_built).base_url
    r = http.post(f"{base}/bridge", content=b'{"items": [{"requirement_text": "True"}]}', headers=JSON)
    assert r.status_code == 501, r.text[:300]


class _Unused:
    """A checker the refused bodies must never reach."""

    name = "unused"

    async def check(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a refused body reached the checker")

    async def confirm(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a refused body reached the checker")

    def status(self) -> Any:
        from scillm.integrations.certainly.models import BackendStatus

        return BackendStatus(name="unused", available=True)

    async def aclose(self) -> None:
        return None


def test_the_check_server_refuses_a_duplicate_key(http: httpx.Client) -> None:
    from scillm.bridges.check_server import create_check_app

    service = _Served(create_check_app(_Unused(), token=""))  # type: ignore[arg-type]
    try:
        for key, raw in [("stmt", b'{"stmt": "1 = 2", "stmt": "True", "proof": "auto."}'),
                         ("proof", b'{"stmt": "True", "proof": "exact I.", "proof": "admit."}'),
                         ("x", b'{"stmt": "True", "proof": "exact I.", "imports": [], "extra": {"x": 1, "x": 1}}')]:
            _refused(http.post(f"{service.base_url}/check", content=raw, headers=JSON), key)
    finally:
        service.close()
