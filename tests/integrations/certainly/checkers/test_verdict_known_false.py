"""A trusted library's axiom that is false is refused by name; the library's other axioms stay trusted.

Sint63's `asr_spec` says `to_Z (x >> p) = to_Z x / 2 ^ to_Z p` for every
shift, but the primitive gives 0 for `(-1) >> 63`, where the axiom says -1:
tactics alone then prove `False` with no axiom of their own (rocq#22462).
Real coqc/coqchk.
"""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.trusted import known_false, trusted_axiom
from scillm.integrations.certainly.checkers.trusted_axioms import KNOWN_FALSE, TRUSTED_AXIOMS
from scillm.integrations.certainly.checkers.verdict import independent_verdict
from scillm.integrations.certainly.models import Problem

ASR = "Coq.Numbers.Cyclic.Int63.Sint63.asr_spec"
BOOM = "pose proof (Sint63.asr_spec (-1)%sint63 63%sint63) as H. cbv in H. discriminate H."
FULL_BOOM = ("pose proof (Coq.Numbers.Cyclic.Int63.Sint63.asr_spec (Uint63.of_Z (-1)%Z) (Uint63.of_Z 63%Z)) as H. "
             "cbv in H. discriminate H.")


@pytest.mark.needs_coq
@pytest.mark.needs_bwrap
@pytest.mark.parametrize(("header", "statement", "proof"), [
    ("Require Import Sint63.", "False", BOOM),
    ("Require Import Sint63.", "1 = 2", "exfalso. " + BOOM),
    ("Require Import Lia.\nFrom Coq Require Import Sint63.", "forall n : nat, n + 1 = n", "intros n. exfalso. " + BOOM),
    ("Require Import ZArith Lia.\nRequire Import Coq.micromega.ZifySint63.", "1 = 2", "exfalso. " + FULL_BOOM),
    ("Require Import Sint63.", "~ True", "intros _. assert (H := Sint63.asr_spec (-1)%sint63 63%sint63). "
     "vm_compute in H. discriminate H."),
])
def test_a_proof_resting_on_the_false_asr_spec_is_not_proved(header: str, statement: str, proof: str) -> None:
    v = independent_verdict(Problem(header=header, statement=statement), proof)
    assert v.status == "rejected" and "asr_spec" in v.message and "false" in v.message, v


@pytest.mark.needs_coq
@pytest.mark.needs_bwrap
@pytest.mark.parametrize(("statement", "proof", "axiom"), [
    ("(to_Z (5 mod 3) = Z.rem (to_Z 5) (to_Z 3))%sint63", "apply Sint63.mod_spec.",
     "Coq.Numbers.Cyclic.Int63.Sint63.mod_spec"),
    ("(to_Z 3 < to_Z 5)%Z", "apply Sint63.ltb_spec. reflexivity.", "Coq.Numbers.Cyclic.Int63.Sint63.ltb_spec"),
])
def test_the_other_axioms_of_sint63_stay_trusted(statement: str, proof: str, axiom: str) -> None:
    v = independent_verdict(Problem(header="Require Import Sint63 ZArith.", statement=statement), proof)
    assert v.status == "proved" and axiom in v.axioms, v


def test_the_allow_list_is_read_axiom_by_axiom() -> None:
    loaded = {"Coq.Numbers.Cyclic.Int63.Sint63", "Coq.Reals.Rdefinitions", "Stdlib.Numbers.Cyclic.Int63.Sint63"}
    assert not trusted_axiom(ASR, loaded)
    assert not trusted_axiom("Stdlib.Numbers.Cyclic.Int63.Sint63.asr_spec", loaded)
    assert known_false("Stdlib.Numbers.Cyclic.Int63.Sint63.asr_spec") == KNOWN_FALSE[ASR]
    assert trusted_axiom("Coq.Numbers.Cyclic.Int63.Sint63.div_spec", loaded)
    assert trusted_axiom("Coq.Reals.Rdefinitions.RbaseSymbolsImpl.R", loaded)
    assert not trusted_axiom("Coq.Numbers.Cyclic.Int63.Sint63.new_spec", loaded)  # added by a later release
    for name in KNOWN_FALSE:
        library, _, relative = name.rpartition(".")
        assert relative not in TRUSTED_AXIOMS.get(library, frozenset())
