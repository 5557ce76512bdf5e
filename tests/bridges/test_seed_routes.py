"""The seeds' own clients work: `/bridge/complete`, seed-002 options, seed-003 `/prove` and `/healthz` (real HTTP)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.bridges.conftest import StartBridge

pytestmark = pytest.mark.needs_coq


@pytest.fixture(scope="module")
def base() -> Any:
    from scillm.bridges.settings import BridgeSettings
    from tests.bridges.live import LiveBridge

    with LiveBridge(BridgeSettings(engine="certainly", jobs_path=":memory:")) as bridge:
        yield bridge.base_url


def _prove(base: str, statement: str, **extra: Any) -> httpx.Response:
    body = {"job_id": "seed-1", "imports": [], "extra_prelude": "", "decls": "", "theorem_name": "seed_thm",
            "theorem_statement": statement,
            "budget": {"max_rounds": 2, "candidates_per_round": 8, "repairs_per_round": 1,
                       "timeout_ms_per_check": 5000, "max_total_checks": 24},
            "model": {"backend": "dummy", "model_name": None, "temperature": 0.0}, **extra}
    return httpx.post(f"{base}/prove", json=body, timeout=180)


def test_seed_001_client_posts_to_bridge_complete(base: str) -> None:
    body = {"messages": [{"role": "user", "content": "prove"}],
            "items": [{"requirement_text": "forall n : nat, n + 0 = n"}],
            "provider": {"name": "certainly", "args": {}}}
    r = httpx.post(f"{base}/bridge/complete", json=body, timeout=120)
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["status"] == "proved"
    assert httpx.post(f"{base}/bridge", json=body, timeout=120).status_code == 200


def test_seed_002_no_llm_option(base: str) -> None:
    body = {"items": [{"requirement_text": "forall n : nat, n + 0 = n"}], "options": {"no_llm": True}}
    r = httpx.post(f"{base}/bridge/complete", json=body, timeout=120)
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["status"] == "proved"


def test_seed_003_healthz(base: str) -> None:
    assert httpx.get(f"{base}/healthz").json()["ok"] is True


def test_trivial_theorem_is_proved_with_the_dummy_backend(base: str) -> None:
    r = _prove(base, "forall n : nat, n + 0 = n")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["job_id"] == "seed-1" and body["ok"] is True
    final = body["final_proof"]
    assert final["theorem_name"] == "seed_thm" and final["proof_block"]
    assert "Definition seed_thm_statement : Type := (forall n : nat, n + 0 = n)." in final["lean_file"]
    assert "Theorem seed_thm : seed_thm_statement." in final["lean_file"] and final["file"] == final["lean_file"]
    assert set(body["stats"]) == {"rounds_used", "checks_used", "time_ms_total", "cache_hits"}
    winner = [a for a in body["attempts"] if a["lean_ok"]]
    assert winner and winner[-1]["score"] == 1.0 and winner[-1]["candidate_id"].startswith("r1_c")


def test_simp_class_theorem_is_proved_with_the_dummy_backend(base: str) -> None:
    r = _prove(base, "forall (A : Type) (x : A) (l : list A), length (x :: l) = S (length l)")
    assert r.status_code == 200 and r.json()["ok"] is True, r.text


def test_a_harder_theorem_fails_with_structured_attempts(base: str) -> None:
    r = _prove(base, "forall n : nat, n + 1 = n")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is False and body["final_proof"] is None and body["attempts"]
    for attempt in body["attempts"]:
        assert set(attempt) == {"round", "candidate_id", "proof_block", "lean_ok", "error_class",
                                "message_excerpt", "score"}
        assert attempt["lean_ok"] is False and 0.0 <= attempt["score"] < 1.0
        assert attempt["candidate_id"] == f"r{attempt['round']}_c" + attempt["candidate_id"].split("_c")[1]
    assert any(a["error_class"] for a in body["attempts"])


def test_the_cache_prevents_rechecking_identical_candidates(base: str) -> None:
    first = _prove(base, "forall a b : nat, a * b = b * a + 0 + 0").json()
    proofs = [a["proof_block"] for a in first["attempts"]]
    assert len(proofs) == len(set(proofs)), "an identical candidate was checked twice within one job"
    again = _prove(base, "forall a b : nat, a * b = b * a + 0 + 0").json()
    assert again["ok"] == first["ok"] and again["stats"]["cache_hits"] >= 1


def test_other_backends_must_be_configured_on_the_server(base: str, start_bridge: StartBridge) -> None:
    r = _prove(base, "True", model={"backend": "openai", "model_name": "gpt-4o", "temperature": 0.2})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == "model.backend"
    assert _prove(base, "True", model={"backend": "nope"}).status_code == 422
    bad = _prove(base, "True", extra_prelude='Time Redirect "/tmp/seed" Print nat.')
    assert bad.status_code == 422
