"""Plateau store on SQLite and on a real redis-server, and the plateau rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from scillm.integrations.codeworld.settings import CodeworldSettings
from scillm.integrations.codeworld.store import (
    PlateauStore,
    RedisPlateauStore,
    SqlitePlateauStore,
    is_plateau,
    open_store,
)


def _exercise(store: PlateauStore) -> None:
    assert store.recent("s1") == []
    for v in (0.2, 0.5, 0.5):
        store.record("s1", v)
    store.record("s2", 0.9)
    assert store.recent("s1") == [0.2, 0.5, 0.5]
    assert store.recent("s1", limit=2) == [0.5, 0.5]
    assert store.recent("s2") == [0.9]


def test_sqlite_store_persists_across_instances(tmp_path: Path) -> None:
    db = tmp_path / "cw.sqlite3"
    store = SqlitePlateauStore(db)
    _exercise(store)
    store.close()
    again = SqlitePlateauStore(db)
    assert again.recent("s1") == [0.2, 0.5, 0.5]
    again.close()


def test_open_store_defaults_to_sqlite_at_codeworld_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CODEWORLD_REDIS_URL", raising=False)
    monkeypatch.setenv("CODEWORLD_DB", str(tmp_path / "x" / "db.sqlite3"))
    settings = CodeworldSettings.from_env()
    store = open_store(settings.redis_url, settings.db_path)
    assert store.backend == "sqlite"
    store.record("s", 1.0)
    store.close()
    assert (tmp_path / "x" / "db.sqlite3").exists()


@pytest.mark.needs_redis
def test_redis_store_on_real_server(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEWORLD_REDIS_URL", redis_url)
    store = open_store(CodeworldSettings.from_env().redis_url)
    assert isinstance(store, RedisPlateauStore)
    _exercise(store)
    store.close()
    again = RedisPlateauStore(redis_url)
    assert again.recent("s1") == [0.2, 0.5, 0.5]
    again.close()


def test_plateau_rule() -> None:
    assert not is_plateau([], 0.5)
    assert not is_plateau([0.5], 0.5)
    assert is_plateau([0.5, 0.5], 0.5)
    assert not is_plateau([0.4, 0.5], 0.7)
    assert is_plateau([0.9, 0.4, 0.5], 0.5005, window=2)
