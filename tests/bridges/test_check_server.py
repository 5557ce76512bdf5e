"""`POST /check` served by uvicorn on 127.0.0.1 around the real Coq checker, driven by `RemoteChecker`."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from scillm.integrations.certainly.checkers.base import Checker
from scillm.integrations.certainly.checkers.remote import CheckRequest, RemoteChecker
from scillm.integrations.certainly.models import Problem

pytestmark = pytest.mark.needs_coq

PROBLEM = Problem(header="Require Import Arith.", theorem_name="plus_comm_remote",
                  statement="forall n m : nat, n + m = m + n")


class _Served:
    """An ASGI app under uvicorn in a thread, on a free loopback port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="on",
                                timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("check server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture(scope="module")
def served() -> Iterator[_Served]:
    from scillm.bridges.check_server import create_check_app
    from scillm.integrations.certainly.checkers.coq import CoqChecker

    service = _Served(create_check_app(CoqChecker(pool_size=1), token="s3cret", close_checker=True))
    yield service
    service.close()


async def test_remote_verdicts_match_the_coq_checker(served: _Served) -> None:
    remote = RemoteChecker(served.base_url, token="s3cret")
    assert isinstance(remote, Checker)
    try:
        good = await remote.check(PROBLEM, "intros n m. apply Nat.add_comm.")
        wrong = await remote.check(PROBLEM, "intros n m. reflexivity.")
        cheat = await remote.check(PROBLEM, "intros n m. admit.")
        axiom = await remote.check(PROBLEM.model_copy(update={"decls": "Axiom cheat : False."}),
                                   "exfalso. exact cheat.")
    finally:
        await remote.aclose()
    assert good.ok and good.status == "proved" and good.checker is not None
    assert good.checker.name == "remote:coq" and good.checker.mode == "remote" and good.checker.version
    assert (wrong.ok, wrong.status) == (False, "failed") and wrong.messages
    assert (cheat.status, cheat.error_class) == ("rejected", "forbidden")
    assert (axiom.status, axiom.error_class) == ("rejected", "forbidden")


async def test_remote_status_comes_from_healthz(served: _Served) -> None:
    status = RemoteChecker(served.base_url, token="s3cret").status()
    assert status.available and status.name == "remote:coq" and status.version
    locked_out = RemoteChecker(served.base_url, token="wrong").status()
    assert not locked_out.available and "401" in (locked_out.reason or "")


def test_malformed_and_unauthorized_requests(served: _Served) -> None:
    auth = {"Authorization": "Bearer s3cret"}
    body = CheckRequest.from_problem(PROBLEM, "auto.", timeout_ms=5000, confirm=True).model_dump(mode="json")
    missing = {k: v for k, v in body.items() if k != "stmt"}
    assert httpx.post(f"{served.base_url}/check", json=missing, headers=auth).status_code == 422
    assert httpx.post(f"{served.base_url}/check", json={**body, "timeout_ms": -5}, headers=auth).status_code == 422
    as_json = {**auth, "Content-Type": "application/json"}
    assert httpx.post(f"{served.base_url}/check", content=b"{not json", headers=as_json).status_code == 400
    assert httpx.post(f"{served.base_url}/check", content=b"{}", headers=auth).status_code == 415
    assert httpx.post(f"{served.base_url}/check", json=body).status_code == 401
    plain = {"imports": ["Require Import Arith."], "stmt": "2 + 2 = 4", "proof": "reflexivity.",
             "theorem_name": "four"}
    reply = httpx.post(f"{served.base_url}/check", json=plain, headers=auth)
    assert reply.status_code == 200 and reply.json()["ok"] is True and reply.json()["status"] == "proved"


async def test_network_failures_are_never_proved(served: _Served) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    nobody = RemoteChecker(f"http://127.0.0.1:{closed_port}")
    impatient = RemoteChecker(served.base_url, token="s3cret", grace_s=0.0)
    locked_out = RemoteChecker(served.base_url, token="wrong")
    try:
        unreachable = await nobody.check(PROBLEM, "intros n m. apply Nat.add_comm.")
        late = await impatient.check(PROBLEM, "intros n m. apply Nat.add_comm.", timeout_ms=1)
        refused = await locked_out.check(PROBLEM, "intros n m. apply Nat.add_comm.")
    finally:
        for checker in (nobody, impatient, locked_out):
            await checker.aclose()
    assert (unreachable.status, unreachable.ok) == ("env_unavailable", False)
    assert (late.status, late.ok) == ("timeout", False)
    assert (refused.status, refused.ok) == ("env_unavailable", False)
    assert not nobody.status().available
