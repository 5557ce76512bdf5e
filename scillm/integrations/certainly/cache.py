"""Content-addressed proof-check results, so a repeated candidate never reaches the prover twice.

API (stable; the proving loop wraps its checker once)::

    from scillm.integrations.certainly.cache import CachingChecker, open_cache

    checker = CachingChecker(CoqChecker(...))            # in memory
    checker = CachingChecker(inner, open_cache("runs.sqlite", key_dir=state))  # SQLite, rows signed
    result = await checker.check(problem, proof)          # result.cached is True on a hit
    checker.hits, checker.misses                          # counters

`CachingChecker` implements the `Checker` protocol around any checker.
The key is a SHA-256 of (checker name, checker mode (warm, cold, verdict),
prover version, a fingerprint of the installed prover libraries, backend,
header, decls, theorem name, keyword, statement, normalized proof, the
search's imports, confirmed-or-not). A confirmed `proved` comes only from the
inner checker's final verdict (for Coq, the independent verdict).

Rows of a SQLite cache are authenticated: each carries an HMAC-SHA256 of its
key and payload under a per-installation secret kept outside the cache file
(`<state dir>/cache.key`, mode 0600; the state dir is the engine's
`CertainlySettings.state_dir` (CERTAINLY_STATE_DIR), else `~/.local/state/scillm`). A row whose HMAC is missing or wrong (forged,
edited, or written by another installation) is ignored, logged, and counted
in `SqliteCache.rejected_rows`; the check then runs again.
Identical checks running at the same time share one prover call.
`proved`, `failed` and `rejected` verdicts are stored; `timeout`, `crashed`
and `env_unavailable` are not unless `cache_transient=True`, since they say
more about the machine than about the proof. A verdict from an unconfirmed
check that is not `proved` also answers a confirmed request, because
confirmation only adds guards.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

from scillm.integrations.certainly.checkers.base import Checker
from scillm.integrations.certainly.models import BackendStatus, CheckResult, CheckStatus, Problem

_DURABLE: frozenset[CheckStatus] = frozenset({"proved", "failed", "rejected"})
_log = logging.getLogger("scillm.certainly.cache")


class ResultCache(Protocol):
    """Where verdicts are kept, keyed by `cache_key`."""

    def get(self, key: str) -> CheckResult | None:
        """The stored verdict, or None."""
        ...

    def put(self, key: str, result: CheckResult) -> None:
        """Store (or replace) a verdict."""
        ...

    def close(self) -> None:
        """Release storage handles."""
        ...


def normalize_proof(proof: str) -> str:
    """The proof without the blanks that end it; nothing inside changes, since a blank or line ending inside a
    string literal is part of what Coq or Lean reads (`"a  \n"` is not `"a\n"`)."""
    return proof.rstrip()


def cache_key(checker: str, version: str | None, problem: Problem, proof: str, *, confirmed: bool,
              mode: str = "", libraries: str = "", imports: tuple[str, ...] = (), policy: str = "") -> str:
    """SHA-256 over everything that can change a verdict (`policy`: the checker's verdict-changing config)."""
    parts = {
        "checker": checker,
        "mode": mode,
        "policy": policy,
        "version": version or "",
        "libraries": libraries,
        "imports": list(imports),
        "backend": problem.backend,
        "header": problem.header,
        "decls": problem.decls,
        "theorem_name": problem.theorem_name,
        "keyword": problem.keyword,
        "statement": problem.statement,
        "proof": normalize_proof(proof),
        "confirmed": confirmed,
    }
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return hashlib.sha256(blob).hexdigest()


class MemoryCache:
    """Bounded LRU in this process (thread-safe: one cache may serve several event loops)."""

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._data: OrderedDict[str, CheckResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> CheckResult | None:
        with self._lock:
            result = self._data.get(key)
            if result is not None:
                self._data.move_to_end(key)
            return result

    def put(self, key: str, result: CheckResult) -> None:
        with self._lock:
            self._data[key] = result
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def close(self) -> None:
        with self._lock:
            self._data.clear()


def state_dir(configured: str | Path | None = None) -> Path:
    """Where per-installation secrets live: `configured` (`CertainlySettings.state_dir`), else ~/.local/state/scillm."""
    return Path(configured).expanduser() if configured else Path.home() / ".local" / "state" / "scillm"


def installation_key(path: str | Path | None = None) -> bytes:
    """The secret that signs cache rows, created once with mode 0600."""
    target = Path(path) if path is not None else state_dir() / "cache.key"
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = target.read_bytes()
        if len(key) < 32:
            raise ValueError(f"{target} holds no usable cache key; delete it to make a new one") from None
        return key
    with os.fdopen(fd, "wb") as fh:
        fh.write(os.urandom(32))
    return target.read_bytes()


class SqliteCache:
    """A SQLite file shared across runs and processes (WAL mode), every row authenticated."""

    def __init__(self, path: str | Path, *, key_path: str | Path | None = None) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._secret = installation_key(key_path)
        self.rejected_rows = 0
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30.0)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS check_results (key TEXT PRIMARY KEY, result TEXT NOT NULL)"
            )
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(check_results)")}
            if "mac" not in columns:
                self._db.execute("ALTER TABLE check_results ADD COLUMN mac TEXT")
            self._db.commit()

    def _mac(self, key: str, payload: str) -> str:
        return hmac.new(self._secret, f"{key}\x00{payload}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()

    def get(self, key: str) -> CheckResult | None:
        with self._lock:
            row = self._db.execute("SELECT result, mac FROM check_results WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        payload, mac = row
        if not isinstance(mac, str) or not hmac.compare_digest(mac, self._mac(key, payload)):
            with self._lock:
                self.rejected_rows += 1
            _log.warning("ignored an unauthenticated row in %s (key %s…): forged, edited or from another "
                         "installation", self.path, key[:12])
            return None
        return CheckResult.model_validate_json(payload)

    def put(self, key: str, result: CheckResult) -> None:
        payload = result.model_dump_json()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO check_results (key, result, mac) VALUES (?, ?, ?)",
                (key, payload, self._mac(key, payload)),
            )
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM check_results").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_cache(path: str | Path | None = None, *, key_dir: str | Path | None = None,
               max_entries: int = 10_000) -> ResultCache:
    """SQLite at `path` (`CertainlySettings.cache_path`), its rows signed with the key in `key_dir`
    (`CertainlySettings.state_dir`); without a path, a bounded in-memory LRU."""
    if path:
        return SqliteCache(path, key_path=state_dir(key_dir) / "cache.key" if key_dir else None)
    return MemoryCache(max_entries)


class CachingChecker:
    """A `Checker` that answers repeated candidates from a `ResultCache`."""

    def __init__(self, inner: Checker, cache: ResultCache | None = None, *, cache_transient: bool = False) -> None:
        self.inner = inner
        self.cache: ResultCache = cache if cache is not None else open_cache()
        self._owns_cache = cache is None
        self.cache_transient = cache_transient
        self.name = inner.name
        self.hits = 0
        self.misses = 0
        self._version: str | None = None
        self._version_known = False
        self._inflight: dict[str, asyncio.Future[CheckResult]] = {}

    def _prover_version(self) -> str | None:
        if not self._version_known:
            self._version = self.inner.status().version
            self._version_known = True
        return self._version

    def _key(self, problem: Problem, proof: str, confirmed: bool, imports: tuple[str, ...] = (),
             mode: str | None = None) -> str:
        info = getattr(self.inner, "info", None)
        fingerprint = getattr(self.inner, "library_fingerprint", None)
        policy = getattr(self.inner, "verdict_policy", None)
        return cache_key(self.name, self._prover_version(), problem, proof, confirmed=confirmed,
                         mode=mode if mode is not None else str(getattr(info, "mode", "") or ""),
                         libraries=fingerprint() if callable(fingerprint) else "", imports=imports,
                         policy=str(policy()) if callable(policy) else "")

    def _lookup(self, problem: Problem, proof: str, confirmed: bool) -> CheckResult | None:
        hit = self.cache.get(self._key(problem, proof, confirmed))
        if hit is None and confirmed:
            weaker = self.cache.get(self._key(problem, proof, False))
            if weaker is not None and weaker.status != "proved":
                hit = weaker
        if hit is None and not confirmed:
            hit = self.cache.get(self._key(problem, proof, True))
        return hit

    def _store(self, problem: Problem, proof: str, confirmed: bool, result: CheckResult) -> None:
        if result.status in _DURABLE or self.cache_transient:
            self.cache.put(self._key(problem, proof, confirmed), result.model_copy(update={"cached": False}))

    async def check(
        self, problem: Problem, proof: str, *, timeout_ms: int | None = None, confirm: bool = True
    ) -> CheckResult:
        """The cached verdict (`cached=True`) or the inner checker's, stored on the way out."""
        hit = self._lookup(problem, proof, confirm)
        if hit is not None:
            self.hits += 1
            return hit.model_copy(update={"cached": True})
        key = self._key(problem, proof, confirm)
        running = self._inflight.get(key)
        if running is not None:
            shared = await self._join(running)
            if shared is not None:
                self.hits += 1
                return shared.model_copy(update={"cached": True})
        self.misses += 1
        future: asyncio.Future[CheckResult] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await self.inner.check(problem, proof, timeout_ms=timeout_ms, confirm=confirm)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        finally:
            if self._inflight.get(key) is future:
                del self._inflight[key]
        future.set_result(result)
        self._store(problem, proof, confirm, result)
        return result

    @staticmethod
    async def _join(running: asyncio.Future[CheckResult]) -> CheckResult | None:
        """The verdict of an identical check already running, or None when that one failed or was cancelled."""
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            if not running.cancelled():
                raise
            return None
        except Exception:  # noqa: BLE001  the joined check's own caller gets its error; this one checks again
            return None

    async def confirm(self, problem: Problem, proof: str) -> CheckResult:
        """Confirmed verdicts are cached under their own key."""
        hit = self.cache.get(self._key(problem, proof, True))
        if hit is not None:
            self.hits += 1
            return hit.model_copy(update={"cached": True})
        self.misses += 1
        result = await self.inner.confirm(problem, proof)
        self._store(problem, proof, True, result)
        return result

    async def verify(self, problem: Problem, proof: str, imports: tuple[str, ...] = ()) -> CheckResult:
        """The inner checker's independent verdict (with the search's imports), cached under the verdict mode."""
        inner_verify = getattr(self.inner, "verify", None)
        if not callable(inner_verify):
            return await self.confirm(problem, proof)
        key = self._key(problem, proof, True, imports, mode="verdict")
        hit = self.cache.get(key)
        if hit is not None:
            self.hits += 1
            return hit.model_copy(update={"cached": True})
        self.misses += 1
        result: CheckResult = await inner_verify(problem, proof, imports)
        if result.status in _DURABLE or self.cache_transient:
            self.cache.put(key, result.model_copy(update={"cached": False}))
        return result

    def status(self) -> BackendStatus:
        return self.inner.status()

    async def aclose(self) -> None:
        """Close the inner checker, then the cache when this wrapper opened it."""
        try:
            await self.inner.aclose()
        finally:
            if self._owns_cache:
                self.cache.close()


__all__ = [
    "CachingChecker",
    "MemoryCache",
    "ResultCache",
    "SqliteCache",
    "cache_key",
    "installation_key",
    "normalize_proof",
    "open_cache",
    "state_dir",
]
