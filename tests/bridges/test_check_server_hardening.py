"""The check server holds the bridges' rules: auth, size and time limits, error shape, no docs, full verdicts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from scillm.integrations.certainly.checkers.coq import CoqChecker
from scillm.integrations.certainly.checkers.coq_session import CoqBinaries, find_coq
from scillm.integrations.certainly.checkers.remote import CheckRequest, RemoteChecker
from scillm.integrations.certainly.models import CheckResult, Problem
from tests.bridges.test_check_server import _Served

pytestmark = pytest.mark.needs_coq

PROBLEM = Problem(header="Require Import Arith.", theorem_name="plus_comm_h", statement="forall n m : nat, n + m = m + n")


class _Recording:
    """The real Coq checker, remembering the `confirm` each check was run with."""

    def __init__(self) -> None:
        from scillm.integrations.certainly.checkers.coq import CoqChecker

        self.inner = CoqChecker(pool_size=1)
        self.name = self.inner.name
        self.confirms: list[bool] = []

    async def check(self, problem: Problem, proof: str, *, timeout_ms: int | None = None,
                    confirm: bool = True) -> CheckResult:
        self.confirms.append(confirm)
        return await self.inner.check(problem, proof, timeout_ms=timeout_ms, confirm=confirm)

    async def confirm(self, problem: Problem, proof: str) -> CheckResult:
        return await self.check(problem, proof)

    def status(self) -> Any:
        return self.inner.status()

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[_Served, _Recording]]:
    from scillm.bridges.check_server import create_check_app

    checker = _Recording()
    service = _Served(create_check_app(checker, token="s3cret", close_checker=True, body_timeout_s=2.0))  # type: ignore[arg-type]
    yield service, checker
    service.close()


def _body(**changes: Any) -> dict[str, Any]:
    body = CheckRequest.from_problem(PROBLEM, "intros n m. apply Nat.add_comm.", timeout_ms=5000, confirm=True)
    return {**body.model_dump(mode="json"), **changes}


def test_bearer_is_case_insensitive_and_wrong_forms_are_401(served: tuple[_Served, _Recording]) -> None:
    base = served[0].base_url
    for scheme in ("Bearer", "bearer", "BEARER"):
        r = httpx.post(f"{base}/check", json=_body(), headers={"Authorization": f"{scheme} s3cret"})
        assert r.status_code == 200 and r.json()["ok"] is True, r.text
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret"},
                   {"Authorization": "s3cret"}, {"Authorization": "Bearer"}):
        r = httpx.post(f"{base}/check", json=_body(), headers=header)
        assert r.status_code == 401 and r.json()["error"]["type"] == "unauthorized", header


def test_client_cannot_switch_off_the_full_verdict(served: tuple[_Served, _Recording]) -> None:
    base, checker = served[0].base_url, served[1]
    checker.confirms.clear()
    r = httpx.post(f"{base}/check", json=_body(confirm=False), headers={"Authorization": "Bearer s3cret"})
    assert r.status_code == 200 and r.json()["ok"] is True
    assert checker.confirms == [True]


def test_size_limit_error_shape_and_no_docs(served: tuple[_Served, _Recording]) -> None:
    base = served[0].base_url
    auth = {"Authorization": "Bearer s3cret", "Content-Type": "application/json"}
    huge = b'{"stmt": "True", "proof": "' + b"a" * (50 * 1024 * 1024) + b'"}'
    r = httpx.post(f"{base}/check", content=huge, headers=auth, timeout=60)
    assert r.status_code == 413 and r.json()["error"]["type"] == "too_large"
    for path in ("/docs", "/redoc", "/nope"):
        r = httpx.get(f"{base}{path}")
        assert r.status_code == 404 and set(r.json()) == {"error"}
    assert httpx.get(f"{base}/openapi.json").status_code == 401
    assert httpx.get(f"{base}/check").status_code == 405
    r = httpx.post(f"{base}/check", content=b'{"stmt": "True", "proof": "exact I.", "timeout_ms": NaN}', headers=auth)
    assert r.status_code == 422 and set(r.json()) == {"error"}
    bad = httpx.post(f"{base}/check", json={"proof": "x"}, headers={"Authorization": "Bearer s3cret"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["loc"] == "stmt"
    assert httpx.get(f"{base}/healthz", headers={"Host": "evil.example"}).status_code == 421
    anonymous = httpx.get(f"{base}/healthz").json()
    assert set(anonymous) == {"ok"}


async def test_an_axiom_is_refused_even_when_the_client_asks_for_no_confirmation(
        served: tuple[_Served, _Recording]) -> None:
    remote = RemoteChecker(served[0].base_url, token="s3cret")
    cheat = PROBLEM.model_copy(update={"decls": "Axiom cheat : forall n m : nat, n + m = m + n."})
    try:
        result = await remote.check(cheat, "exact cheat.", confirm=False)
    finally:
        await remote.aclose()
    assert not result.ok and result.status == "rejected" and result.error_class == "forbidden"


async def test_a_prover_that_breaks_its_protocol_is_crashed_never_failed_or_proved() -> None:
    from scillm.bridges.check_server import create_check_app

    real = find_coq()
    assert real is not None
    not_coq = CoqBinaries(top=("cat",), compile=real.compile, version=real.version, major=real.major)
    service = _Served(create_check_app(CoqChecker(pool_size=1, binaries=not_coq), token="s3cret", close_checker=True))
    remote = RemoteChecker(service.base_url, token="s3cret")
    try:
        raw = httpx.post(f"{service.base_url}/check", json=_body(), headers={"Authorization": "Bearer s3cret"})
        result = await remote.check(PROBLEM, "intros n m. apply Nat.add_comm.")
    finally:
        await remote.aclose()
        service.close()
    assert raw.status_code == 200 and raw.json()["ok"] is False and raw.json()["status"] == "crashed"
    assert (result.ok, result.status) == (False, "crashed")
