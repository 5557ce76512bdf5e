"""Plateau signals per session: the best aggregate of each round, kept across calls.

SQLite by default (`CODEWORLD_DB`, else a file under the user's cache dir);
Redis when `CODEWORLD_REDIS_URL` is set. Both sit behind `PlateauStore`, so
the autogenerate loop never knows which one it has.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from scillm.errors import ConfigError

_KEEP = 200


@runtime_checkable
class PlateauStore(Protocol):
    """Append-only history of scores per session id, newest last."""

    backend: str

    def record(self, session_id: str, value: float) -> None:
        """Append one score to the session's history."""
        ...

    def recent(self, session_id: str, limit: int = 10) -> list[float]:
        """The last `limit` scores of the session, oldest first."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def is_plateau(history: Sequence[float], current: float, window: int = 2, min_delta: float = 1e-3) -> bool:
    """True when `current` beats none of the last `window` scores by more than `min_delta`."""
    if window <= 0 or len(history) < window:
        return False
    return current <= max(history[-window:]) + min_delta


class SqlitePlateauStore:
    """Scores in one SQLite table; safe to share between threads of one process."""

    backend = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=10)
        with self._lock, self._conn:
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS plateau ("
                "id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, "
                "value REAL NOT NULL, ts REAL NOT NULL)"
            )
            self._conn.execute("CREATE INDEX IF NOT EXISTS plateau_session ON plateau(session_id, id)")

    def record(self, session_id: str, value: float) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO plateau(session_id, value, ts) VALUES (?, ?, ?)", (session_id, float(value), time.time())
            )

    def recent(self, session_id: str, limit: int = 10) -> list[float]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT value FROM plateau WHERE session_id = ? ORDER BY id DESC LIMIT ?", (session_id, limit)
            ).fetchall()
        return [float(r[0]) for r in reversed(rows)]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class RedisPlateauStore:
    """Scores in one Redis list per session, trimmed to the last few hundred."""

    backend = "redis"

    def __init__(self, url: str, prefix: str = "codeworld:plateau:") -> None:
        import redis  # noqa: PLC0415  optional dependency (the `redis` extra)

        self.url = url
        self.prefix = prefix
        self._client: Any = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    def record(self, session_id: str, value: float) -> None:
        key = self.prefix + session_id
        pipe = self._client.pipeline()
        pipe.rpush(key, repr(float(value)))
        pipe.ltrim(key, -_KEEP, -1)
        pipe.execute()

    def recent(self, session_id: str, limit: int = 10) -> list[float]:
        raw = self._client.lrange(self.prefix + session_id, -limit, -1)
        return [float(v) for v in raw]

    def close(self) -> None:
        self._client.close()


def default_db_path() -> Path:
    """`~/.cache/scillm/codeworld.sqlite3`, where the plateau history lives unless settings name a file."""
    return Path.home() / ".cache" / "scillm" / "codeworld.sqlite3"


def open_store(redis_url: str | None = None, db_path: str | Path | None = None) -> PlateauStore:
    """The configured store: Redis when a URL is given, else SQLite at `db_path` (default: the user's cache).

    `CodeworldSettings.from_env()` fills both from `CODEWORLD_REDIS_URL` and `CODEWORLD_DB`.

    Raises:
        ConfigError: Redis was asked for but the `redis` package is missing.
    """
    url = redis_url
    if url:
        try:
            return RedisPlateauStore(url)
        except ImportError as exc:
            raise ConfigError("CODEWORLD_REDIS_URL is set but `redis` is not installed: pip install 'scillm[redis]'") from exc
    return SqlitePlateauStore(Path(db_path).expanduser() if db_path else default_db_path())


__all__ = [
    "PlateauStore", "RedisPlateauStore", "SqlitePlateauStore", "default_db_path", "is_plateau",
    "open_store",
]
