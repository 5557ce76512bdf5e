"""The stepwise best-first search on small real problems, against a real coqtop."""

from __future__ import annotations

import time

import pytest

from scillm.integrations.certainly.checkers.coq_session import find_coq
from scillm.integrations.certainly.models import Problem
from scillm.integrations.certainly.search import (
    LibraryStepProposer,
    best_first_search,
    installed_coq_libraries,
    search_imports,
)
from scillm.integrations.certainly.search.best_first import SearchConfig, SearchResult
from scillm.integrations.certainly.search.goals import GoalState
from scillm.integrations.certainly.search.libraries import with_imports
from scillm.integrations.certainly.search.residues import NAT_COMPUTE_IN_Z
from scillm.integrations.certainly.search.stepper import ProofStepper

REALS = "Require Import Reals.\nOpen Scope R_scope."
ZARITH = "Require Import ZArith.\nOpen Scope Z_scope."

pytestmark = pytest.mark.needs_coq


def _problem(statement: str, header: str = "", decls: str = "") -> Problem:
    return Problem(header=header, decls=decls, statement=statement, theorem_name="t")


async def _search(problem: Problem, seconds: float = 30.0, **kw: object) -> SearchResult:
    return await best_first_search(problem, kw.pop("proposers", [LibraryStepProposer()]),  # type: ignore[arg-type]
                                   deadline=time.monotonic() + seconds, imports=search_imports(problem), **kw)


@pytest.mark.parametrize(
    ("statement", "header", "needle"),
    [
        ("forall x : R, 0 < x -> x + 1 > 1", REALS, "lra"),
        ("exists n : nat, n * n = 49", "", "exists (7%nat)"),
        ("forall n : nat, n < 4 -> n * n <> 5", "", ""),
        ("forall x : Z, (x * x) mod 4 <> 2", ZARITH, ""),
        ("forall x y : R, Rabs (x - y) = Rabs (y - x)", REALS, "Rcase_abs"),
        ("forall f : nat -> nat, (forall n, f (S n) = f n + 2) -> f 0 = 1 -> f 3 = 7", "", ""),
        # Residues: each variable under `mod` written as m * q + r, r split or substituted, then lia in Z.
        ("forall x y : nat, x mod 19 = 4 -> y mod 19 = 7 -> ((x + 1) ^ 2 * (y + 5) ^ 3) mod 19 = 13", "",
         "Nat.div_mod x 19"),
        ("forall a : Z, a ^ 2 mod 4 = 0 \\/ a ^ 2 mod 4 = 1", ZARITH, "Z.div_mod a 4"),
        ("forall n : nat, n mod 7 = 5 -> (5 * n) mod 7 = 4", "", ""),
    ],
)
async def test_search_proves_small_problems_stepwise(statement: str, header: str, needle: str) -> None:
    # Generous step limits: on a loaded machine a step that takes 1 s alone may take several.
    found = await _search(_problem(statement, header), 120.0,
                          config=SearchConfig(step_timeout_s=8.0, heavy_timeout_s=16.0))
    assert found.status == "proved", found
    assert found.proof is not None and needle in found.proof
    assert found.proof == "\n".join(found.steps)
    assert found.imports and "Coq.micromega.Lia" in found.imports


async def test_states_are_deduplicated_and_backtracking_needs_no_restart() -> None:
    found = await _search(_problem("forall n : nat, n < 4 -> n * n <> 5"))
    assert found.status == "proved"
    assert found.attempts > found.states >= 2


async def test_a_rejected_script_does_not_stop_the_search() -> None:
    seen: list[str] = []

    async def verify(proof: str) -> bool:
        seen.append(proof)
        return len(seen) > 1

    found = await _search(_problem("forall x : R, 0 < x -> x + 1 > 1", REALS), verify=verify)
    assert found.status == "proved" and found.rejected_scripts == 1
    assert len(seen) == 2 and seen[0] != seen[1] and found.proof == seen[1]


class _Hostile:
    """A step proposer (an LLM, say) that only proposes cheats and junk."""

    name = "hostile"

    async def next_tactics(self, problem: Problem, state: GoalState, path: tuple[str, ...], n: int) -> list[str]:
        return ["admit.", "Admitted.", "idtac. Axiom cheat : False.", "exact_no_check I.", "Abort.",
                "(* unterminated", "Timeout 1 exact I.", "exact cheat."]


async def test_hostile_steps_never_prove_anything() -> None:
    found = await _search(_problem("False"), 10.0, proposers=[_Hostile()])
    assert found.status == "failed" and found.proof is None


class _Stepwise:
    """A proposer that only knows the next step for the state in front of it, as an LLM would."""

    name = "stepwise"

    async def next_tactics(self, problem: Problem, state: GoalState, path: tuple[str, ...], n: int) -> list[str]:
        if state.conclusion.startswith("forall"):
            return ["intros n."]
        if "n + 0" in state.conclusion:
            return ["rewrite Nat.add_0_r.", "lia."]
        return ["reflexivity."]


async def test_a_stepwise_proposer_drives_the_search() -> None:
    found = await _search(_problem("forall n : nat, n + 0 = n"), proposers=[_Stepwise()])
    assert found.status == "proved"
    assert found.steps[0] == "intros n." and len(found.steps) >= 2


async def test_the_deadline_is_honoured() -> None:
    start = time.monotonic()
    found = await _search(_problem("forall x y : R, x * y <= x * x + y * y - 1", REALS), 4.0)
    elapsed = time.monotonic() - start
    assert found.status in ("timeout", "failed")
    assert elapsed <= 4.0 * 1.05 + 0.3


async def test_a_problem_that_does_not_load_is_an_error() -> None:
    found = await _search(_problem("True", header="Require Import ScillmNoSuchLibrary_7f3a.Absent."), 10.0)
    assert found.status == "error" and "ScillmNoSuchLibrary_7f3a" in (found.message or "")


@pytest.mark.skipif(not installed_coq_libraries().get("libcoq-coquelicot"),
                    reason="needs Debian libcoq-coquelicot (apt-get install libcoq-coquelicot)")
async def test_complex_equalities_split_into_parts() -> None:
    header = "Require Import Reals.\nRequire Import Coquelicot.Coquelicot.\nOpen Scope C_scope."
    found = await _search(_problem("forall a b : C, a + b = b + a", header))
    assert found.status == "proved", found


@pytest.mark.skipif(not installed_coq_libraries().get("coinor-csdp"),
                    reason="needs Debian coinor-csdp (apt-get install coinor-csdp) for psatz")
async def test_psatz_closes_a_nonlinear_real_inequality() -> None:
    found = await _search(_problem("forall a b : R, 2 * a * b <= a * a + b * b", REALS))
    assert found.status == "proved", found


def test_nat_arithmetic_is_computed_in_z_without_unfolding_huge_numerals() -> None:
    # `99 ^ 99` in unary nat cannot be built; the closer must cast to Z by syntactic matching only.
    bins = find_coq()
    assert bins is not None
    stepper = ProofStepper(with_imports(_problem("(19 ^ 19 + 99 ^ 99) mod 10 = 8"),
                                        search_imports(_problem("True"))), bins)
    try:
        stepper.open(60.0)
        done = stepper.try_step((), NAT_COMPUTE_IN_Z, 20.0, time.monotonic() + 60.0)
        assert done.state is not None and done.state.solved, done
    finally:
        stepper.close()
