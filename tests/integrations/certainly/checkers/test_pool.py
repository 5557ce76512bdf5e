"""SessionPool over real coqtop sessions: reuse by header, LRU eviction, recycling, RSS cap, spares."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from scillm.integrations.certainly.checkers.coq_session import CoqSession, find_coq
from scillm.integrations.certainly.checkers.factory import get_checker
from scillm.integrations.certainly.checkers.pool import (
    PoolBusyError,
    PoolConfig,
    SessionPool,
    default_pool_size,
)
from scillm.integrations.certainly.checkers.session import Session
from scillm.settings import CertainlySettings

pytestmark = pytest.mark.needs_coq

BARE = ""
BOOL = "Require Import Bool."


def factory() -> Callable[[str], CoqSession]:
    binaries = find_coq()
    assert binaries is not None
    return lambda key: CoqSession(key, binaries, default_timeout_s=10)


def test_coq_session_follows_the_session_protocol() -> None:
    binaries = find_coq()
    assert binaries is not None
    assert isinstance(CoqSession(BARE, binaries), Session)


def test_reuse_by_header_and_lru_eviction() -> None:
    pool = SessionPool(factory(), PoolConfig(size=1))
    try:
        with pool.lease(BARE) as a:
            pass
        with pool.lease(BARE) as again:
            assert again is a
        with pool.lease(BOOL) as b:
            assert b.key == BOOL and b is not a
        assert not a.healthy()  # evicted to make room
        assert pool.stats()["started"] == 2 and pool.stats()["retired"] == 1
    finally:
        pool.close()


def test_busy_pool_waits_then_raises() -> None:
    pool = SessionPool(factory(), PoolConfig(size=1))
    try:
        with pool.lease(BARE), pytest.raises(PoolBusyError):
            pool.acquire(BOOL, wait_s=0.2)
    finally:
        pool.close()


def test_recycle_after_n_uses_with_a_spare_started() -> None:
    pool = SessionPool(factory(), PoolConfig(size=2, recycle_after=2))
    try:
        with pool.lease(BARE) as first:
            pass
        with pool.lease(BARE) as second:
            assert second is first
        assert not first.healthy()
        pool.wait_idle()
        with pool.lease(BARE) as third:
            assert third is not first and third.healthy()
        assert pool.stats()["started"] == 2
    finally:
        pool.close()


def test_rss_cap_retires_a_session() -> None:
    pool = SessionPool(factory(), PoolConfig(size=1, max_rss_bytes=1 << 20))
    try:
        with pool.lease(BARE) as s:
            assert (s.rss_bytes() or 0) > 1 << 20
        assert not s.healthy()
        assert pool.stats()["retired"] == 1
    finally:
        pool.close()


def test_prewarm_and_unhealthy_idle_session_is_replaced() -> None:
    pool = SessionPool(factory(), PoolConfig(size=2))
    try:
        pool.prewarm(BARE, 2)
        pool.wait_idle()
        assert pool.stats()["idle"] == 2
        for s in pool.sessions():
            s.close()
        with pool.lease(BARE) as fresh:
            assert fresh.healthy()
    finally:
        pool.close()
    assert all(not s.healthy() for s in pool.sessions()) or not pool.sessions()


def test_the_pool_size_comes_from_the_settings_never_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTAINLY_POOL_SIZE", "3")
    assert default_pool_size() == max(1, os.cpu_count() or 1)
    assert CertainlySettings.from_env().pool_size == 3
    checker = get_checker("coq", settings=CertainlySettings.from_env())
    try:
        assert checker.pool.size == 3
    finally:
        checker.close()
