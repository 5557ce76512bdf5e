"""The result cache around real checkers: Coq (coqtop) and Lean replayed from real transcripts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from scillm.integrations.certainly.cache import (
    CachingChecker,
    MemoryCache,
    SqliteCache,
    cache_key,
    normalize_proof,
    open_cache,
)
from scillm.integrations.certainly.checkers.base import Checker
from scillm.integrations.certainly.checkers.lean import LeanChecker, LeanConfig
from scillm.integrations.certainly.engine import CertainlyEngine
from scillm.integrations.certainly.models import CheckResult, Problem
from scillm.settings import CertainlySettings
from tests.support.lean_replay import logged_commands, replay_argv, replay_mounts

COQ = Problem(header="Require Import Arith.", theorem_name="two", statement="1 + 1 = 2")
LEAN = Problem(backend="lean", header="import Lean", theorem_name="t", statement="∀ a b : Nat, a + b = b + a")
LEAN_PROOF = "by\n  intro a b\n  exact Nat.add_comm a b"


def _coq():  # type: ignore[no-untyped-def]
    from scillm.integrations.certainly.checkers.coq import CoqChecker

    return CoqChecker(pool_size=1)


def _lean(tmp_path: Path, sessions: list[list[str]]) -> tuple[LeanChecker, Path]:
    argv, log = replay_argv(tmp_path / "replay", sessions)
    config = LeanConfig(project=tmp_path, repl_cmd=tuple(argv), pool_size=1)
    return LeanChecker(config, extra_mounts=replay_mounts(tmp_path / "replay")), log


@pytest.mark.needs_coq
async def test_repeated_coq_candidates_skip_the_prover() -> None:
    inner = _coq()
    checker = CachingChecker(inner, MemoryCache())
    assert isinstance(checker, Checker)
    try:
        first = await checker.check(COQ, "reflexivity.")
        uses = [s.uses for s in inner.pool.sessions()]
        again = await checker.check(COQ, "reflexivity.   \n\n")
        wrong = await checker.check(COQ, "exact I.")
        wrong_again = await checker.check(COQ, "exact I.")
        other = await checker.check(COQ.model_copy(update={"statement": "2 + 2 = 4"}), "reflexivity.")
    finally:
        await checker.aclose()
    assert first.status == "proved" and not first.cached
    assert again.status == "proved" and again.cached and again.ok
    assert again.model_dump(exclude={"cached"}) == first.model_dump(exclude={"cached"})
    assert wrong.status == "failed" and not wrong.cached
    assert wrong_again.cached and wrong_again.status == "failed"
    assert other.status == "proved" and not other.cached
    assert (checker.hits, checker.misses) == (2, 3)
    assert uses == [1]


@pytest.mark.needs_coq
async def test_identical_concurrent_checks_share_one_prover_call() -> None:
    inner = _coq()
    checker = CachingChecker(inner, MemoryCache())
    try:
        results = await asyncio.gather(*(checker.check(COQ, "simpl. reflexivity.") for _ in range(4)))
        uses = sum(s.uses for s in inner.pool.sessions())
    finally:
        await checker.aclose()
    assert [r.status for r in results] == ["proved"] * 4
    assert sorted(r.cached for r in results) == [False, True, True, True]
    assert (checker.hits, checker.misses) == (3, 1)
    assert uses == 1


@pytest.mark.needs_coq
async def test_sqlite_persists_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "results.sqlite"
    first = CachingChecker(_coq(), SqliteCache(path, key_path=tmp_path / "cache.key"))
    try:
        stored = await first.check(COQ, "reflexivity.")
        refused = await first.check(COQ, "admit.")
    finally:
        await first.aclose()
        first.cache.close()
    inner = _coq()
    second = CachingChecker(inner, SqliteCache(path, key_path=tmp_path / "cache.key"))
    try:
        hit = await second.check(COQ, "reflexivity.")
        refused_hit = await second.check(COQ, "admit.")
    finally:
        await second.aclose()
        second.cache.close()
    assert stored.status == "proved" and refused.status == "rejected"
    assert hit.cached and hit.status == "proved" and hit.ok
    assert refused_hit.cached and refused_hit.status == "rejected"
    assert inner.pool.stats()["started"] == 0


@pytest.mark.needs_shared
async def test_timeouts_are_not_cached_unless_asked(tmp_path: Path) -> None:
    plain_inner, plain_log = _lean(tmp_path / "plain", [["import_lean#0", "hang"], ["import_lean#0", "file_env#1"]])
    plain = CachingChecker(plain_inner, MemoryCache())
    kept_inner, _ = _lean(tmp_path / "kept", [["import_lean#0", "hang"]])
    kept = CachingChecker(kept_inner, MemoryCache(), cache_transient=True)
    try:
        hung = await plain.check(LEAN, LEAN_PROOF, timeout_ms=300, confirm=False)
        retried = await plain.check(LEAN, LEAN_PROOF, confirm=False)
        remembered = await plain.check(LEAN, LEAN_PROOF, confirm=False)
        kept_first = await kept.check(LEAN, LEAN_PROOF, timeout_ms=300, confirm=False)
        kept_again = await kept.check(LEAN, LEAN_PROOF, timeout_ms=300, confirm=False)
    finally:
        await plain.aclose()
        await kept.aclose()
    assert hung.status == "timeout" and not hung.cached
    assert retried.status == "proved" and not retried.cached
    assert remembered.cached and remembered.status == "proved"
    assert sum(1 for c in logged_commands(plain_log) if "env" in c) == 2
    assert kept_first.status == kept_again.status == "timeout" and kept_again.cached


@pytest.mark.needs_shared
async def test_confirmation_only_adds_guards(tmp_path: Path) -> None:
    inner, log = _lean(tmp_path, [["import_lean#0", "incomplete#0", "file_env#1", "file_env#1", "options#0"]])
    checker = CachingChecker(inner, MemoryCache())
    try:
        failed = await checker.check(LEAN, LEAN_PROOF, confirm=False)
        failed_confirmed = await checker.check(LEAN, LEAN_PROOF, confirm=True)
        passing = await checker.check(LEAN, "by simp [Nat.add_comm]", confirm=False)
        needs_confirm = await checker.check(LEAN, "by simp [Nat.add_comm]", confirm=True)
    finally:
        await checker.aclose()
    assert failed.status == "failed" and failed_confirmed.cached and failed_confirmed.status == "failed"
    assert passing.status == "proved" and not passing.cached
    assert not needs_confirm.cached, "an unconfirmed pass must not answer a confirmed request"
    assert needs_confirm.status == "env_unavailable", "without Lean the independent verdict cannot prove it"
    assert sum(1 for c in logged_commands(log) if "env" in c) == 3, "three search checks; the verdict runs apart"


def test_the_engine_cache_follows_certainly_cache_and_state_dir(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CERTAINLY_CACHE", raising=False)
    monkeypatch.setenv("CERTAINLY_STATE_DIR", str(tmp_path / "state"))
    assert isinstance(CertainlyEngine(CertainlySettings.from_env())._shared_cache(), MemoryCache)
    monkeypatch.setenv("CERTAINLY_CACHE", str(tmp_path / "env.sqlite"))
    engine = CertainlyEngine(CertainlySettings.from_env())
    cache = engine._shared_cache()
    assert isinstance(cache, SqliteCache) and cache.path == tmp_path / "env.sqlite"
    assert (tmp_path / "state" / "cache.key").stat().st_size >= 32, "the signing key lives in the state dir"
    engine.close()


def test_open_cache_reads_no_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTAINLY_CACHE", str(tmp_path / "env.sqlite"))
    assert isinstance(open_cache(), MemoryCache)
    cache = open_cache(tmp_path / "given.sqlite", key_dir=tmp_path / "keys")
    assert isinstance(cache, SqliteCache) and (tmp_path / "keys" / "cache.key").exists()
    cache.close()
    assert not (tmp_path / "env.sqlite").exists()


def test_memory_cache_is_a_bounded_lru() -> None:
    cache = MemoryCache(max_entries=2)
    results = {k: CheckResult(status="failed", time_ms=float(i)) for i, k in enumerate("abc")}
    cache.put("a", results["a"])
    cache.put("b", results["b"])
    assert cache.get("a") == results["a"]
    cache.put("c", results["c"])
    assert cache.get("b") is None and cache.get("a") is not None and len(cache) == 2
    with pytest.raises(ValueError):
        MemoryCache(max_entries=0)


def test_keys_cover_everything_that_changes_a_verdict() -> None:
    base = cache_key("coq", "8.16.1", COQ, "reflexivity.", confirmed=True)
    assert base == cache_key("coq", "8.16.1", COQ, "reflexivity.  \r\n\n", confirmed=True)
    variants = [
        cache_key("coq", "8.17.0", COQ, "reflexivity.", confirmed=True),
        cache_key("lean", "8.16.1", COQ, "reflexivity.", confirmed=True),
        cache_key("coq", "8.16.1", COQ.model_copy(update={"header": ""}), "reflexivity.", confirmed=True),
        cache_key("coq", "8.16.1", COQ.model_copy(update={"decls": "Definition x := 1."}), "reflexivity.",
                  confirmed=True),
        cache_key("coq", "8.16.1", COQ, "  reflexivity.", confirmed=True),
        cache_key("coq", "8.16.1", COQ, "reflexivity.", confirmed=False),
    ]
    assert len({base, *variants}) == len(variants) + 1
    assert normalize_proof("by\n  simp  \n\n") == "by\n  simp"


def test_proofs_that_differ_inside_a_string_literal_have_different_keys() -> None:
    """Blanks and line endings inside a string are what the prover reads: `"a  \n"` is not `"a\n"`."""
    good = 'assert (H : "a\n" = "a\n") by reflexivity.\nreflexivity.'
    bad = 'assert (H : "a  \n" = "a\n") by reflexivity.\nreflexivity.'
    crlf = 'assert (H : "a\r\n" = "a\n") by reflexivity.\nreflexivity.'
    keys = {cache_key("coq", "8.16.1", COQ, p, confirmed=True) for p in (good, bad, crlf)}
    assert len(keys) == 3


def _forge(path: Path, key: str, result: CheckResult) -> None:
    """Write a row the way an attacker with write access to the cache file would."""
    import sqlite3

    db = sqlite3.connect(str(path))
    columns = {row[1] for row in db.execute("PRAGMA table_info(check_results)")}
    if "mac" in columns:
        db.execute("INSERT OR REPLACE INTO check_results (key, result, mac) VALUES (?, ?, ?)",
                   (key, result.model_dump_json(), "0" * 64))
    else:
        db.execute("INSERT OR REPLACE INTO check_results (key, result) VALUES (?, ?)", (key, result.model_dump_json()))
    db.commit()
    db.close()


def _legacy_key(version: str | None, problem: Problem, proof: str, confirmed: bool) -> str:
    """The key format of earlier releases: anyone can compute it from the request."""
    import hashlib
    import json

    parts = {"checker": "coq", "version": version or "", "backend": problem.backend, "header": problem.header,
             "decls": problem.decls, "theorem_name": problem.theorem_name, "keyword": problem.keyword,
             "statement": problem.statement, "proof": normalize_proof(proof), "confirmed": confirmed}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@pytest.mark.needs_coq
async def test_forged_sqlite_row_with_a_predictable_key_is_ignored(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from scillm.integrations.certainly.checkers.coq import CoqChecker
    from scillm.integrations.certainly.engine import arun_items

    monkeypatch.setenv("CERTAINLY_STATE_DIR", str(tmp_path / "state"))
    settings = CertainlySettings.from_env()
    path = tmp_path / "forged.sqlite"
    db = sqlite3.connect(str(path))
    db.execute("CREATE TABLE check_results (key TEXT PRIMARY KEY, result TEXT NOT NULL)")
    db.commit()
    db.close()
    false = Problem(header="", theorem_name="certainly_goal", statement="1 = 2")
    forged = CheckResult(ok=True, status="proved", code="Theorem certainly_goal : 1 = 2. Admitted.")
    version = CoqChecker(pool_size=1).status().version
    for confirmed in (True, False):
        _forge(path, _legacy_key(version, false, "reflexivity.", confirmed), forged)
    payload = await arun_items([{"requirement_text": "1 = 2", "header": "", "tactics": ["reflexivity."]}],
                               settings=settings, cache=str(path), tactics_only=True)
    honest = await arun_items([{"requirement_text": "1 + 1 = 2", "header": "", "tactics": ["reflexivity."]}],
                              settings=settings, cache=str(path), tactics_only=True)
    assert payload["results"][0]["status"] != "proved", payload["results"][0]
    assert honest["results"][0]["status"] == "proved", honest["results"][0]


@pytest.mark.needs_coq
async def test_forged_rows_are_counted_and_the_check_runs_again(tmp_path: Path) -> None:
    path = tmp_path / "forged.sqlite"
    cache = SqliteCache(path, key_path=tmp_path / "cache.key")
    false = Problem(header="", theorem_name="certainly_goal", statement="1 = 2")
    inner = _coq()
    forged = CheckResult(ok=True, status="proved")
    for mode in ("warm", "verdict"):
        for confirmed in (True, False):
            _forge(path, cache_key("coq", inner.status().version, false, "reflexivity.", confirmed=confirmed,
                                   mode=mode, libraries=inner.library_fingerprint()), forged)
    checker = CachingChecker(inner, cache)
    try:
        direct = await checker.check(false, "reflexivity.")
    finally:
        await checker.aclose()
        cache.close()
    assert direct.status == "failed" and not direct.cached, direct
    assert cache.rejected_rows >= 1


@pytest.mark.needs_coq
async def test_authenticated_proved_row_is_reused_and_an_edited_one_is_not(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "signed.sqlite"
    cache = SqliteCache(path, key_path=tmp_path / "cache.key")
    checker = CachingChecker(_coq(), cache)
    try:
        first = await checker.check(COQ, "reflexivity.")
        again = await checker.check(COQ, "reflexivity.")
        db = sqlite3.connect(str(path))
        db.execute("UPDATE check_results SET result = replace(result, 'reflexivity', 'reflexivity ')")
        db.commit()
        db.close()
        edited = await checker.check(COQ, "reflexivity.")
    finally:
        await checker.aclose()
        cache.close()
    assert first.status == "proved" and again.cached and again.status == "proved"
    assert not edited.cached and edited.status == "proved" and cache.rejected_rows == 1
    assert oct((tmp_path / "cache.key").stat().st_mode & 0o777) == "0o600"


def test_keys_cover_mode_and_library_versions() -> None:
    base = cache_key("coq", "8.16.1", COQ, "reflexivity.", confirmed=True, mode="warm", libraries="a")
    assert base != cache_key("coq", "8.16.1", COQ, "reflexivity.", confirmed=True, mode="cold", libraries="a")
    assert base != cache_key("coq", "8.16.1", COQ, "reflexivity.", confirmed=True, mode="warm", libraries="b")
    assert base != cache_key("coq", "8.16.1", COQ, "reflexivity.", confirmed=True, mode="warm", libraries="a",
                             imports=("Coq.micromega.Lia",))


def test_keys_cover_the_checkers_verdict_policy(tmp_path: Path) -> None:
    """A lax checker's `native_decide` proof, cached, must not answer a strict checker sharing the cache file."""
    problem = Problem(backend="lean", header="import Mathlib", theorem_name="t", statement="2 ^ 64 % 7 = 2",
                      keyword="theorem")
    cache = open_cache(tmp_path / "runs.sqlite", key_dir=tmp_path)
    strict = CachingChecker(LeanChecker(LeanConfig(allow_native_decide=False)), cache)
    lax = CachingChecker(LeanChecker(LeanConfig(allow_native_decide=True)), cache)
    replayed = CachingChecker(LeanChecker(LeanConfig(replay_cmd=("lean4checker",))), cache)
    keys = {c._key(problem, "by native_decide", True) for c in (strict, lax, replayed)}
    assert len(keys) == 3
