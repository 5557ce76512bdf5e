"""Tactic families measured on miniF2F, each on a small honest statement only that family proves."""

from __future__ import annotations

import time

import pytest

from scillm.integrations.certainly.engine import arun_items
from scillm.integrations.certainly.models import Problem
from scillm.integrations.certainly.proposers.portfolio import coq_scripts
from scillm.integrations.certainly.search import (
    LibraryStepProposer,
    best_first_search,
    installed_coq_libraries,
    search_imports,
)
from scillm.integrations.certainly.search.best_first import SearchConfig, SearchResult
from scillm.integrations.certainly.search.divisibility import divisibility_steps
from scillm.integrations.certainly.search.goals import parse_goals
from scillm.integrations.certainly.search.import_guard import fallbacks
from scillm.integrations.certainly.search.modpow import (
    BIG_NAT_AS_ATOMS,
    MOD_POW_IN_Z,
    ZPOW_IMPORT,
    big_nat_closers,
    list_unfold_steps,
    modpow_scripts,
    power_mod_text,
)
from scillm.integrations.certainly.search.tactics import closers, shape_of, tactics_for

REALS = "Require Import Reals.\nOpen Scope R_scope."


def _state(hyps: str, concl: str) -> str:
    return f"1 goal (ID 3)\n  \n{hyps}  ============================\n  {concl}\n"


def _problem(statement: str, header: str = "", decls: str = "") -> Problem:
    return Problem(header=header, decls=decls, statement=statement, theorem_name="t")


async def _search(problem: Problem, seconds: float = 120.0) -> SearchResult:
    return await best_first_search(problem, [LibraryStepProposer()], deadline=time.monotonic() + seconds,
                                   imports=search_imports(problem),
                                   config=SearchConfig(step_timeout_s=8.0, heavy_timeout_s=16.0))


@pytest.mark.needs_coq
@pytest.mark.skipif(not installed_coq_libraries().get("coinor-csdp"),
                    reason="needs Debian coinor-csdp (apt-get install coinor-csdp) for psatz")
async def test_psatz_runs_csdp_inside_the_prover_sandbox() -> None:
    # 9 * (a - 2 z)^2 >= 0: no square of a variable, sum or difference gives it to nra; psatz finds it,
    # but only when csdp's temporary files can be written (the sandbox's root is read-only).
    found = await _search(_problem("forall z a : R, 36 * (a * z) - 9 * a^2 <= 36 * z^2", REALS))
    assert found.status == "proved", found
    assert found.proof is not None and "psatz" in found.proof


def test_power_mod_goals_get_the_modular_exponentiation_closer_first() -> None:
    state = parse_goals(_state("", "(1999 ^ 2000) mod 5 = 1"))
    assert state is not None
    shape = shape_of(_problem("(1999 ^ 2000) mod 5 = 1"), state)
    assert shape.power_mod and closers(shape)[0] == MOD_POW_IN_Z
    # Casts by syntactic matching, mod spread once per sum, every power replaced by Zpow_mod.
    assert "rewrite (Nat2Z.inj_pow a b)" in MOD_POW_IN_Z and "lazymatch a with Z.modulo _ _ => fail" in MOD_POW_IN_Z
    assert "rewrite <- (Zpow_facts.Zpow_mod_correct a b n)" in MOD_POW_IN_Z
    assert MOD_POW_IN_Z.endswith("vm_compute; reflexivity.")
    plain = parse_goals(_state("", "x + 1 = 2"))
    assert plain is not None and not shape_of(_problem("x + 1 = 2"), plain).power_mod
    assert power_mod_text("(19^19 + 99^99) mod 10 = 8") and not power_mod_text("2 ^ 10 = 1024")


def test_the_modular_exponentiation_import_is_trusted_and_wanted() -> None:
    wanted = search_imports(_problem("True"))
    assert ZPOW_IMPORT in wanted
    # A statement that ZArith (or Zpow_facts) shadows still gets every other import it had before.
    assert fallbacks(wanted)[2] == tuple(m for m in wanted if m not in ("Coq.ZArith.ZArith", ZPOW_IMPORT))


def test_sums_over_lists_are_unfolded_then_rewritten_and_computed() -> None:
    state = parse_goals(_state("  v : nat -> nat\n  H : forall n : nat, v n = 2 * n - 1\n",
                               "list_sum (map v (seq 1 100)) mod 7 = 4"))
    assert state is not None
    steps = list_unfold_steps(state)
    unfold = "cbn [seq map fold_right fold_left list_sum repeat app rev]"
    assert steps[0] == "rewrite (map_ext _ _ H); vm_compute; reflexivity."
    assert unfold + "." in steps
    assert f"{unfold}; rewrite ?H; vm_compute; reflexivity." in steps
    assert f"{unfold}; {MOD_POW_IN_Z}" in steps
    none = parse_goals(_state("", "x mod 7 = 4"))
    assert none is not None and list_unfold_steps(none) == []


@pytest.mark.needs_coq
@pytest.mark.parametrize(
    ("statement", "header", "needle"),
    [
        ("(1999 ^ 2000) mod 5 = 1", "", "Zpow_mod_correct"),
        ("(fold_right plus 0 (map (fun k => 11 ^ k) (seq 1 9))) mod 100 = 59", "Require Import List.",
         "Zpow_mod_correct"),
        ("forall v : nat -> nat, (forall n, v n = 2 * n + 1) -> list_sum (map v (seq 1 60)) mod 7 = 3",
         "Require Import List.", "map_ext"),
    ],
)
async def test_big_modular_powers_are_computed_by_modular_exponentiation(statement: str, header: str,
                                                                         needle: str) -> None:
    # Old closers cast to Z and vm_compute 1999 ^ 2000 itself (tens of seconds) or build unary nat (out of memory).
    found = await _search(_problem(statement, header), 60.0)
    assert found.status == "proved", found
    assert found.proof is not None and needle in found.proof


@pytest.mark.needs_coq
async def test_a_huge_unary_numeral_statement_is_proved_end_to_end() -> None:
    # The independent verdict must read such a statement without normalising it (cbv would build 1999 ^ 2000
    # in unary nat and run out of memory); the portfolio's modular exponentiation then proves it.
    text = "Require Import Nat.\n\nTheorem t :\n  (1999 ^ 2000) mod 5 = 1.\nProof.\nAdmitted.\n"
    payload = await arun_items([{"id": "t", "requirement_text": text, "backend": "coq"}],
                               options={"max_seconds": 60.0, "cache": False, "explain_failures": False},
                               request_timeout=None)
    result = payload["results"][0]
    assert result["status"] == "proved", result
    assert "Zpow_mod_correct" in result["proof"]


def test_divisibility_goals_are_restated_modulo_the_divisor() -> None:
    witness = parse_goals(_state("  n : nat\n", "exists k : nat, n ^ 3 + 2 * n = 3 * k"))
    assert witness is not None
    assert divisibility_steps(witness) == [
        "exists ((n ^ 3 + 2 * n) / 3)%nat; enough (((n ^ 3 + 2 * n) mod 3)%nat = 0%nat) by "
        "(pose proof (Nat.div_mod (n ^ 3 + 2 * n) 3 ltac:(lia)); lia)."]
    flipped = parse_goals(_state("  x : Z\n", "exists m : Z, x * (x + 1) = m * 2"))
    assert flipped is not None and divisibility_steps(flipped)[0].startswith("exists ((x * (x + 1)) / 2)%Z;")
    divide = parse_goals(_state("  n : nat\n", "Nat.divide 7 (n ^ 7 - n)"))
    assert divide is not None and divisibility_steps(divide) == ["apply Nat.mod_divide; try lia."]
    other = parse_goals(_state("  n : nat\n", "exists k : nat, n = k + 1"))
    assert other is not None and divisibility_steps(other) == []


@pytest.mark.needs_coq
async def test_a_divisibility_witness_comes_from_the_residues() -> None:
    # No small constant is a witness for every n; E / 3 is, once E mod 3 = 0 is shown residue by residue.
    found = await _search(_problem("forall n : nat, exists k : nat, n ^ 3 + 2 * n = 3 * k"), 90.0)
    assert found.status == "proved", found
    assert found.proof is not None and "Nat.div_mod (n ^ 3 + 2 * n) 3" in found.proof


def test_large_nat_numerals_are_named_with_their_value_for_lia() -> None:
    big = parse_goals(_state("  n : nat\n  H : 123 * n + 17 = Nat.of_num_uint (Decimal.D3 (Decimal.D9 Decimal.Nil))\n",
                             "n = 321"))
    assert big is not None and big_nat_closers(big) == [BIG_NAT_AS_ATOMS + "lia.", BIG_NAT_AS_ATOMS + "nia."]
    assert "assert (Z.of_nat x = v) by (vm_compute; reflexivity); clearbody x" in BIG_NAT_AS_ATOMS
    small = parse_goals(_state("  n : nat\n", "n = 321"))
    assert small is not None and big_nat_closers(small) == []


@pytest.mark.needs_coq
async def test_a_linear_fact_with_a_large_nat_numeral_is_decided() -> None:
    # Coq keeps 39500 : nat as Nat.of_num_uint (digits); lia alone cannot find a witness.
    found = await _search(_problem("forall n : nat, 123 * n + 17 = 39500 -> n = 321"), 60.0)
    assert found.status == "proved", found
    assert found.proof is not None and "Nat.of_num_uint" in found.proof


def test_psatz_is_offered_at_the_root_states_only() -> None:
    state = parse_goals(_state("  a, c : R\n", "2 * a * (2 + c) <= a ^ 2 + c ^ 2 + 4 * (1 + c)"))
    assert state is not None
    problem = _problem("forall a c : R, 2 * a * (2 + c) <= a^2 + c^2 + 4 * (1 + c)", REALS)
    if shape_of(problem, state).csdp:
        assert "psatz R 2." in tactics_for(problem, state, 1)
    assert "psatz R 2." not in tactics_for(problem, state, 2)


def test_the_portfolio_leads_with_modular_exponentiation_for_power_mod_statements() -> None:
    assert modpow_scripts("(1999 ^ 2000) mod 5 = 1") == ["intros; " + MOD_POW_IN_Z]
    listed = modpow_scripts("(fold_right plus 0 (map (fun k => 11 ^ k) (seq 1 9))) mod 100 = 59")
    assert len(listed) == 1 and listed[0].startswith("intros; cbn [seq map") and listed[0].endswith(MOD_POW_IN_Z)
    assert modpow_scripts("forall x : R, x ^ 2 >= 0") == []
    problem = _problem("(1999 ^ 2000) mod 5 = 1", "")
    assert coq_scripts(problem, search_imports(problem))[0] == "intros; " + MOD_POW_IN_Z
