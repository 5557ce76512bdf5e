"""Header and decls that could act on the host or the session are refused before any prover runs (real HTTP)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.bridges.conftest import StartBridge

pytestmark = pytest.mark.needs_coq


def _attacks(tmp: Path) -> list[tuple[str, dict[str, object]]]:
    out = tmp / "redirected"
    return [
        ("items.0.header", {"requirement_text": "True", "header": f'Time Redirect "{out}" Print nat.'}),
        ("items.0.header", {"requirement_text": "True", "header": f'Redirect "{out}" Print nat.'}),
        ("items.0.decls", {"requirement_text": "True", "decls": f'Timeout 5 Redirect "{out}" Print nat.'}),
        ("items.0.header", {"requirement_text": "True", "header": 'Time Cd "/".'}),
        ("items.0.header", {"requirement_text": "True", "header": 'Time Load "/etc/hostname".'}),
        ("items.0.decls", {"requirement_text": "True", "decls": 'Fail Fail Load "/etc/hostname".'}),
        ("items.0.decls", {"requirement_text": "True", "decls": "Succeed Axiom cheat : False."}),
        ("items.0.decls", {"requirement_text": "True", "decls": "#[local] Time Axiom cheat : False."}),
        ("items.0.", {"requirement_text": f'Time Redirect "{out}" Print nat.\nTheorem t : True.\nProof.\nAdmitted.'}),
        ("items.0.header", {"requirement_text": "True", "header": "Declare ML Module \"evil\"."}),
    ]


def test_host_touching_header_and_decls_are_refused_at_the_door(start_bridge: StartBridge, tmp_path: Path) -> None:
    base = start_bridge("certainly").base_url
    target = tmp_path / "host"
    target.mkdir()
    for loc, item in _attacks(target):
        r = httpx.post(f"{base}/bridge/complete", json={"items": [item]}, timeout=60)
        assert r.status_code == 422, (item, r.text)
        assert any(d["loc"].startswith(loc) for d in r.json()["error"]["details"]), (item, r.text)
        jobs = httpx.post(f"{base}/bridge/jobs", json={"items": [item]}, timeout=60)
        assert jobs.status_code == 422, (item, jobs.text)
    assert not any(target.iterdir()), "nothing may be written on the host"


def test_an_honest_header_still_proves(start_bridge: StartBridge) -> None:
    base = start_bridge("certainly").base_url
    item = {"requirement_text": "forall a b : nat, a + b = b + a", "header": "Require Import Arith.\nTime Check 1."}
    assert httpx.post(f"{base}/bridge/complete", json={"items": [item]}, timeout=60).status_code == 422
    honest = {"requirement_text": "forall a b : nat, a + b = b + a", "header": "Require Import Arith.",
              "decls": "Definition twice (n : nat) := n + n."}
    r = httpx.post(f"{base}/bridge/complete", json={"items": [honest]}, timeout=120)
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "proved", r.text
