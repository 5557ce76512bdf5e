"""Standby verdict provers (started by the prefetch) give the cold verdict's answers, each serves one verdict, and
none of them can be reached from the candidate's sandbox."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from scillm.integrations.certainly.checkers.session import tracking_provers
from scillm.integrations.certainly.checkers.verdict import VerdictEngine
from scillm.integrations.certainly.checkers.verdict_standby import Pair
from scillm.integrations.certainly.loop import Budget, prove_problem
from scillm.integrations.certainly.models import Problem
from scillm.integrations.certainly.proposers.portfolio import PortfolioProposer

pytestmark = [pytest.mark.needs_coq, pytest.mark.needs_bwrap]

LIA = "Require Import Lia."
GOOD_NAT = "intros n. induction n as [|n IH]; simpl; [reflexivity | rewrite IH; reflexivity]."


@pytest.fixture
def engine() -> Iterator[VerdictEngine]:
    e = VerdictEngine()
    yield e
    e.close()


def _ready(engine: VerdictEngine, problem: Problem) -> Pair:
    """Prefetch `problem` and wait until its pair has read its heads (no sleep: the prefetch future, then the pipe)."""
    assert engine.prefetch(problem) is True
    assert engine.prefetched(problem, 120) is True
    key = engine._key(problem)
    assert key is not None and engine.prefetcher is not None
    pair = engine.prefetcher._pairs[key]
    while not (pair.candidate.ready() and pair.verify.ready()):
        assert pair.candidate.proc.poll() is None and pair.verify.proc.poll() is None
        os.sched_yield()
    return pair


# (header, statement, proof, imports, status): honest proofs and cheats that reach the fresh coqc runs.
CASES = [
    (LIA, "forall n : nat, n + 1 = 1 + n", "intros. lia.", (), "proved"),
    ("Require Import Reals.\nOpen Scope R_scope.", "forall x : R, x + 0 = x", "intros. ring.", (), "proved"),
    ("", "forall n : nat, n + 0 = n", GOOD_NAT, (), "proved"),
    ("", "forall P : Prop, P \\/ ~ P", "exact classic.", ("Coq.Logic.Classical",), "proved"),
    # a helper only the search session had: the fresh run does not know it
    ("", "1 = 2", "exact certainly_helper.", (), "failed"),
    # a proof that needs an import nobody granted
    ("", "forall P : Prop, P \\/ ~ P", "exact classic.", (), "failed"),
    # an import off the trusted list
    ("", "True", "exact I.", ("Coq.Init.Nowhere",), "rejected"),
    # the statement in nat, the proof for Z: the theorem's type is the problem's constant
    ("Require Import ZArith.", "forall n : nat, n - n = 0", "intros. lia.", ("Coq.micromega.Lia",), "proved"),
    ("Require Import ZArith.", "forall n : nat, n - 1 + 1 = n", "intros. lia.", ("Coq.micromega.Lia",), "failed"),
]


@pytest.mark.parametrize(("header", "statement", "proof", "imports", "status"), CASES)
def test_a_verdict_on_standby_provers_is_the_cold_verdict(engine: VerdictEngine, header: str, statement: str,
                                                          proof: str, imports: tuple[str, ...], status: str) -> None:
    problem = Problem(header=header, statement=statement)
    cold = engine.check(problem, proof, imports)
    _ready(engine, problem)
    used = engine.stats["standby_used"]
    warm = engine.check(problem, proof, imports)
    assert (cold.status, warm.status) == (status, status), (cold, warm)
    assert warm.axioms == cold.axioms
    if status != "rejected":  # a refused import never reaches a prover
        assert engine.stats["standby_used"] + engine.stats["standby_failed"] > used
        assert engine.stats["standby_unusable"] == 0


def test_a_standby_run_that_fails_is_run_again_cold(engine: VerdictEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    from scillm.integrations.certainly.checkers.verdict_standby import Standby

    real = Standby.finish

    def broken(self: Standby, tail: list[str], main: str, lines: list[str], deadline: object) -> object:
        return real(self, ["Not a sentence Coq knows.", *tail], main, lines, deadline)  # type: ignore[arg-type]

    problem = Problem(header=LIA, statement="forall n : nat, n + 3 = 3 + n")
    _ready(engine, problem)
    monkeypatch.setattr(Standby, "finish", broken)  # the standby's own input breaks, not the proof
    v = engine.check(problem, "intros. lia.")
    assert v.status == "proved", v
    assert engine.stats["standby_failed"] == 2 and engine.stats["standby_used"] == 0


# With the proof filter switched off, so this vernacular reaches the standby coqc: what refuses it is construction
# (the theorem's type is the problem's constant, Verify.v, coqchk and the axiom policy), not the filter.
UNFILTERED = [
    ("1 = 2", "Axiom cheat : 1 = 2. exact cheat."),
    ("False", "Admitted. Lemma x : True. exact I."),
    ("forall n : nat, n + 1 = n", "Abort. Theorem certainly_goal : True. exact I."),
    ("False", "Unset Guard Checking. Fixpoint f (n : nat) : False := f n. exact (f 0)."),
]


@pytest.mark.parametrize(("statement", "proof"), UNFILTERED)
def test_vernacular_past_the_filter_is_not_proved_on_standby_provers(engine: VerdictEngine,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     statement: str, proof: str) -> None:
    from scillm.integrations.certainly.checkers import coq_candidate

    problem = Problem(statement=statement)
    _ready(engine, problem)
    monkeypatch.setattr(coq_candidate, "check_proof_sentences", lambda sentences: None)
    v = engine.check(problem, proof)
    assert v.status in ("failed", "rejected"), v
    assert engine.stats["standby_used"] + engine.stats["standby_failed"] >= 1  # it reached the standby coqc


# Coq 8.16 accepts any definition for a `Primitive` field of a module type (rocq#18503, fixed in 8.19), and coqchk
# does not list the fields of an interactively sealed module. Abandoning the verdict's theorem and restating the
# statement under the theorem's name must still never be proved: the verdict's theorem has a name the proof
# cannot know.
PRIMITIVE_SEAL = """Abort.
Require Coq.Numbers.Cyclic.Int63.PrimInt63.
Module B.
Import Coq.Numbers.Cyclic.Int63.PrimInt63.
Local Open Scope int63_scope.
Module Type T.
  Primitive bar := #int63_sub.
  Axiom bar_land : bar = PrimInt63.land.
End T.
Module N : T.
  Definition bar := PrimInt63.land.
  Definition bar_land : bar = PrimInt63.land := eq_refl.
End N.
Module F (X : T).
  Definition foo : X.bar 1 1 = 0 := eq_refl.
End F.
Module A := F N.
Lemma bad : False.
Proof.
  assert (H : PrimInt63.land 1 1 = 0) by (rewrite <- N.bar_land; exact A.foo).
  assert (H2 : PrimInt63.eqb (PrimInt63.land 1 1) 1 = PrimInt63.eqb 0 1) by (rewrite H; reflexivity).
  vm_compute in H2. discriminate H2.
Qed.
End B.
Theorem {name} : {statement}.
Proof.
  exfalso. exact B.bad."""
UINT63 = "Require Import Coq.Numbers.Cyclic.Int63.Uint63."


@pytest.mark.parametrize("standby", [False, True], ids=["cold", "standby"])
@pytest.mark.parametrize("statement", ["False", "forall n : nat, n + 1 = n"])
def test_a_proof_that_abandons_the_theorem_and_restates_it_is_not_proved(
        engine: VerdictEngine, monkeypatch: pytest.MonkeyPatch, standby: bool, statement: str) -> None:
    from scillm.integrations.certainly.checkers import coq_candidate

    problem = Problem(header=UINT63, statement=statement)
    if standby:
        _ready(engine, problem)
    monkeypatch.setattr(coq_candidate, "check_proof_sentences", lambda sentences: None)
    for restated in (problem.theorem_name, "scillm_statement"):
        v = engine.check(problem, PRIMITIVE_SEAL.format(name=problem.theorem_name,
                                                        statement=statement if restated != "scillm_statement"
                                                        else "scillm_statement"))
        assert v.status in ("failed", "rejected"), v
    monkeypatch.undo()
    honest = engine.check(Problem(header=UINT63, statement="forall n : nat, n + 0 = n"), GOOD_NAT)
    assert honest.status == "proved", honest


def test_each_pair_serves_one_verdict_and_is_then_gone(engine: VerdictEngine) -> None:
    problem = Problem(header=LIA, statement="forall n : nat, 2 * n = n + n")
    pair = _ready(engine, problem)
    assert engine.prefetch(problem) is False  # ready already: never two pairs for one problem
    assert engine.check(problem, "intros. lia.").status == "proved"
    assert pair.candidate.proc.poll() is not None and pair.verify.proc.poll() is not None
    assert not any(os.path.exists(d) for d in pair.dirs)
    used = engine.stats["standby_used"]
    assert engine.check(problem, "intros. lia.").status == "proved"  # the next verdict runs cold
    assert engine.stats["standby_used"] == used
    assert engine.prefetch(problem) is True  # and the next search gets a fresh pair


def test_the_candidate_sandbox_sees_neither_the_verify_prover_nor_its_own_fifo_as_writable(
        engine: VerdictEngine) -> None:
    pair = _ready(engine, Problem(header=LIA, statement="forall n : nat, n = n"))
    cand, ver = pair.candidate.proc.args, pair.verify.proc.args
    assert isinstance(cand, list) and isinstance(ver, list)
    verify_fifo_dir = next(d for d in pair.dirs[2:] if d in ver)
    assert not any(pair.verify_dir in str(a) or verify_fifo_dir in str(a) for a in cand)
    cand_fifo_dir = next(d for d in pair.dirs[2:] if d in cand)
    assert cand[cand.index(cand_fifo_dir) - 1] == "--ro-bind"
    assert ver[ver.index(pair.scratch) - 1] == "--ro-bind"  # the Verify prover reads the candidate, never writes it
    assert cand[cand.index("-l") + 1].startswith("/")  # absolute: `Load` would search the load path for a name


def test_a_cancelled_request_kills_its_standby_and_the_verdict_runs_cold(engine: VerdictEngine) -> None:
    problem = Problem(header=LIA, statement="forall n : nat, n + 2 = 2 + n")
    with tracking_provers() as in_flight:
        pair = _ready(engine, problem)
        in_flight.kill_all()
    assert pair.candidate.proc.wait(10) is not None and pair.verify.proc.wait(10) is not None
    assert engine.check(problem, "intros. lia.").status == "proved"
    assert engine.stats["standby_unusable"] >= 1 and engine.stats["standby_used"] == 0


def test_release_and_close_stop_every_standby_and_remove_their_directories(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    engine = VerdictEngine()
    a, b = Problem(statement="forall n : nat, n = n"), Problem(header=LIA, statement="forall n : nat, n <= n + 1")
    pa, pb = _ready(engine, a), _ready(engine, b)
    engine.release(a)
    assert pa.candidate.proc.poll() is not None and not any(os.path.exists(d) for d in pa.dirs)
    engine.close()
    assert pb.verify.proc.poll() is not None and not any(os.path.exists(d) for d in pb.dirs)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("scillm-")]


async def test_a_search_that_ends_without_a_verdict_releases_its_standby() -> None:
    from scillm.integrations.certainly.checkers import get_checker
    from scillm.integrations.certainly.checkers.verdict import default_engine

    checker = get_checker("coq")
    try:
        problem = Problem(header=LIA, statement="forall n : nat, n * n = n + 7")
        budget = Budget(max_rounds=1, candidates_per_round=2, check_concurrency=1, max_seconds=20, search=False)
        out = await prove_problem(problem, PortfolioProposer(), checker, budget)
        assert out.status == "failed"
        key = default_engine()._key(problem)
        prefetcher = default_engine().prefetcher
        assert key is not None and prefetcher is not None
        prefetcher.wait(key, 120)
        assert prefetcher.take(key) is None
    finally:
        checker.close()  # type: ignore[attr-defined]
