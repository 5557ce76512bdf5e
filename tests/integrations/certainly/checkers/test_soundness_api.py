"""Attacks on the Coq front line, through the public API with real Coq; each paired with an honest proof.

Every item goes through `scillm.certainly_prove` exactly as a client would send
it (statement, header, decls, proof as item `tactics`). The attacks hide
vernacular from the filters (Coq's own sentence rules, command prefixes,
plurals), write files from a header, or rebind what the statement's words
mean. None may come back `proved`; its honest twin must.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import scillm

pytestmark = pytest.mark.needs_coq

# A notation that makes an axiom's printed type read as Coq's "no axioms" phrase.
HIDE = "Notation \"'Closed' 'under' 'the' 'global' 'context'\" := False."
HIDDEN_AXIOM = "Axiom cheat : Closed under the global context."

# (case, attack item, honest item)
CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("ellipsis-ends-a-sentence",
     {"requirement_text": "False", "tactics": [f"idtac... {HIDE} idtac... {HIDDEN_AXIOM} exact cheat."]},
     {"requirement_text": "forall n : nat, n + 0 = n", "tactics": ["intros... lia."]}),
    ("four-dots",
     {"requirement_text": "False", "tactics": [f"idtac.... {HIDE} idtac.... {HIDDEN_AXIOM} exact cheat."]},
     {"requirement_text": "forall n : nat, n + 0 = n", "tactics": ["intros n. lia."]}),
    ("comment-glued-to-a-dot",
     {"requirement_text": "False", "tactics": [f"idtac.(* x. {HIDE} {HIDDEN_AXIOM} exact cheat. *) ."]},
     {"requirement_text": "True", "tactics": ["idtac. (* x. *) exact I."]}),
    ("selector-brace-all",
     {"requirement_text": "False", "tactics": [f"all: {{ idtac... {HIDE} idtac... {HIDDEN_AXIOM} exact cheat. }}"]},
     {"requirement_text": "True /\\ True", "tactics": ["split. 1: { exact I. } 1 (* c *) : { exact I. } all: idtac."]}),
    ("conjectures-plural-in-decls",
     {"requirement_text": "False", "decls": f"{HIDE}\nConjectures cheat : Closed under the global context.",
      "tactics": ["exact cheat."]},
     {"requirement_text": "False -> False", "decls": "Definition id_false (h : False) : False := h.",
      "tactics": ["exact id_false."]}),
    ("timeout-prefix-in-decls",
     {"requirement_text": "False", "decls": f"{HIDE}\nTimeout 5 {HIDDEN_AXIOM}", "tactics": ["exact cheat."]},
     {"requirement_text": "True", "decls": "Definition t := I.", "tactics": ["exact t."]}),
    ("attribute-and-prefix-in-decls",
     {"requirement_text": "False", "decls": f"{HIDE}\n#[local] Time Timeout 9 {HIDDEN_AXIOM}",
      "tactics": ["exact cheat."]},
     {"requirement_text": "True", "decls": "#[universes(polymorphic)] Definition t := I.", "tactics": ["exact t."]}),
    ("declare-instance-in-decls",
     {"requirement_text": "False",
      "decls": "Class Cheat := { cheat_proof : False }.\n"
               "Notation \"'Closed' 'under' 'the' 'global' 'context'\" := Cheat.\n"
               "Declare Instance c : Closed under the global context.", "tactics": ["exact cheat_proof."]},
     {"requirement_text": "True", "decls": "Class Easy := { easy_proof : True }.\n#[export] Instance e : Easy := {| easy_proof := I |}.",
      "tactics": ["exact easy_proof."]}),
    ("notation-rebinds-False",
     {"requirement_text": "False", "decls": "Notation False := True.", "tactics": ["exact I."]},
     {"requirement_text": "True", "decls": "Notation my_true := True.", "tactics": ["exact I."]}),
    ("definition-shadows-False",
     {"requirement_text": "False", "decls": "Definition False := True.", "tactics": ["exact I."]},
     {"requirement_text": "True", "decls": "Definition my_true := True.", "tactics": ["exact I."]}),
    ("notation-rebinds-plus",
     {"requirement_text": "1 + 1 = 1", "decls": "Notation \"x + y\" := (x).", "tactics": ["reflexivity."]},
     {"requirement_text": "1 + 1 = 2", "decls": "Notation \"x +++ y\" := (x + y) (at level 50).",
      "tactics": ["reflexivity."]}),
]


@pytest.fixture(scope="module")
def results() -> list[dict[str, Any]]:
    items = []
    for case, attack, honest in CASES:
        items.append({"id": f"{case}:attack", **attack})
        items.append({"id": f"{case}:honest", **honest})
    response = scillm.certainly_prove(items=items, backend="coq",
                                      options={"tactics_only": True, "max_rounds": 1, "cache": False})
    out: list[dict[str, Any]] = response.additional_kwargs["certainly"]["results"]
    assert [r["item_id"] for r in out] == [i["id"] for i in items]
    return out


@pytest.mark.parametrize("k", range(len(CASES)), ids=[c[0] for c in CASES])
def test_attack_is_not_proved_and_honest_twin_is(results: list[dict[str, Any]], k: int) -> None:
    attack, honest = results[2 * k], results[2 * k + 1]
    assert attack["status"] != "proved", attack
    assert attack["status"] in ("rejected", "failed", "error"), attack
    assert honest["status"] == "proved", honest


def _prove_one(item: dict[str, Any]) -> dict[str, Any]:
    response = scillm.certainly_prove(items=[item], backend="coq",
                                      options={"tactics_only": True, "max_rounds": 1, "cache": False})
    result: dict[str, Any] = response.additional_kwargs["certainly"]["results"][0]
    return result


@pytest.mark.parametrize("header", [
    'Time Redirect "{out}" Print nat.',
    'Redirect "{out}" Print nat.',
    'Timeout 3 Redirect "{out}" Print nat.',
    '#[local] Time Redirect "{out}" Print nat.',
])
def test_header_cannot_write_a_host_file(tmp_path: Path, header: str) -> None:
    out = tmp_path / "written"
    attack = _prove_one({"requirement_text": "True", "header": header.format(out=out), "tactics": ["exact I."]})
    assert attack["status"] != "proved", attack
    assert not list(tmp_path.iterdir()), "the header wrote a file on the host"
    honest = _prove_one({"requirement_text": "True", "header": "Require Import Arith.", "tactics": ["exact I."]})
    assert honest["status"] == "proved", honest


def test_header_cannot_load_a_host_file(tmp_path: Path) -> None:
    evil = tmp_path / "evil.v"
    evil.write_text(f"{HIDE}\n{HIDDEN_AXIOM}\n")
    attack = _prove_one({"requirement_text": "False", "header": f'Time Load "{evil.with_suffix("")}".',
                         "tactics": ["exact cheat."]})
    assert attack["status"] != "proved", attack
    honest = _prove_one({"requirement_text": "forall n : nat, n + 0 = n",
                         "header": "From Coq Require Import Lia.", "tactics": ["intros; lia."]})
    assert honest["status"] == "proved", honest
