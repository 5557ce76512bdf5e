"""coqchk on the library view: the same verdicts as on the whole installation, and a fallback when it misses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scillm.integrations.certainly.checkers.coq_session import find_coq
from scillm.integrations.certainly.checkers.verdict import VerdictEngine
from scillm.integrations.certainly.checkers.verdict_coqlib import VIEW_COQLIB, installed_coqlib, view_mounts
from scillm.integrations.certainly.models import Problem

REALS = "Require Import Reals.\nOpen Scope R_scope."


def _fake_coqlib(tmp_path: Path) -> str:
    for sub in ("theories/Init", "theories/Reals", "user-contrib/Coquelicot"):
        (tmp_path / sub).mkdir(parents=True)
    return str(tmp_path)


def test_view_holds_the_top_level_directories_of_the_loaded_libraries(tmp_path: Path) -> None:
    lib, empty = _fake_coqlib(tmp_path), str(tmp_path / "empty")
    got = view_mounts(lib, ["Coq.Init.Prelude", "Coq.Reals.Cauchy.ConstructiveCauchyReals", "Coq.Reals.Rdefinitions",
                            "Coquelicot.Hierarchy"], empty)
    assert got == ((f"{lib}/theories/Init", f"{VIEW_COQLIB}/theories/Init"),
                   (f"{lib}/theories/Reals", f"{VIEW_COQLIB}/theories/Reals"),
                   (f"{lib}/user-contrib/Coquelicot", f"{VIEW_COQLIB}/user-contrib/Coquelicot"),
                   (empty, "/coqlib/coq-core/plugins"))
    only_std = view_mounts(lib, ["Coq.Init.Prelude"], empty)
    assert only_std is not None and (empty, f"{VIEW_COQLIB}/user-contrib") in only_std


@pytest.mark.parametrize("names", [
    [],                                      # nothing loaded: no view
    ["Coq.Init.Prelude", "Coq.Nowhere.X"],   # a directory that is not installed
    ["Coq.Init.Prelude", "Mathcomp.ssrnat"],  # a package that is not installed
    ["Coq.Init.Prelude", "Coq.Init"],        # not a library name
    ["Coq.Init.Prelude", "../etc.passwd"],   # never a path
    ["Coq.Init.Prelude", "Coq..Init"],
])
def test_no_view_when_a_library_is_not_installed_where_its_name_says(tmp_path: Path, names: list[str]) -> None:
    assert view_mounts(_fake_coqlib(tmp_path), names, str(tmp_path / "empty")) is None


def test_a_linked_directory_is_not_mounted(tmp_path: Path) -> None:
    lib = _fake_coqlib(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "theories" / "Arith").symlink_to(tmp_path / "elsewhere")
    assert view_mounts(lib, ["Coq.Init.Prelude", "Coq.Arith.PeanoNat"], str(tmp_path / "empty")) is None


@pytest.fixture
def engine() -> Iterator[VerdictEngine]:
    e = VerdictEngine()
    yield e
    e.close()


@pytest.mark.needs_coq
@pytest.mark.needs_bwrap
def test_installed_coqlib_is_where_coqc_reads_its_libraries() -> None:
    binaries = find_coq()
    assert binaries is not None
    where = installed_coqlib(binaries.compile)
    assert where is not None and Path(where, "theories", "Init", "Prelude.vo").is_file()


# (header, decls, statement, proof): each verdict with the view must equal the one on the whole installation.
SAME = [
    (REALS, "", "forall x : R, x + 0 = x", "intros. ring."),
    ("Require Import Lia.", "", "forall n : nat, n + 1 = 1 + n", "intros. lia."),
    ("From Coquelicot Require Import Coquelicot.\n" + REALS, "", "forall x : R, x * 1 = x", "intros. ring."),
    ("", "", "forall P : Prop, P \\/ ~ P", "exact classic."),
    ("Require Import Lia.", "", "forall n : nat, n + 1 = n", "intros. lia."),
]


@pytest.mark.needs_coq
@pytest.mark.needs_bwrap
@pytest.mark.parametrize(("header", "decls", "statement", "proof"), SAME)
def test_the_view_gives_the_verdict_of_the_whole_installation(engine: VerdictEngine, monkeypatch: pytest.MonkeyPatch,
                                                              header: str, decls: str, statement: str,
                                                              proof: str) -> None:
    problem = Problem(header=header, decls=decls, statement=statement)
    viewed = engine.check(problem, proof)
    used = engine.stats["coqchk_view"]
    monkeypatch.setattr(engine, "_coqchk_view", lambda loaded, sandboxed: None)
    whole = engine.check(problem, proof)
    assert (viewed.status, viewed.axioms, viewed.message) == (whole.status, whole.axioms, whole.message)
    assert engine.stats["coqchk_view"] == used  # the second verdict did not use it
    if viewed.status == "proved":
        assert used >= 1 and engine.stats["coqchk_view_failed"] == 0


@pytest.mark.needs_coq
@pytest.mark.needs_bwrap
def test_weakened_kernel_checks_are_reported_on_the_view(engine: VerdictEngine,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from scillm.integrations.certainly.checkers import coq_candidate

    monkeypatch.setattr(coq_candidate, "check_proof_sentences", lambda sentences: None)
    v = engine.check(Problem(header=REALS, statement="False"),
                     "Unset Guard Checking. Fixpoint f (n : nat) : False := f n. exact (f 0).")
    assert v.status == "rejected" and "unsafe" in v.message, v
    assert engine.stats["coqchk_view"] >= 1 and engine.stats["coqchk_view_failed"] == 0


@pytest.mark.needs_coq
@pytest.mark.needs_bwrap
def test_a_library_only_the_decls_load_falls_back_to_the_whole_installation(engine: VerdictEngine) -> None:
    # The statement reads with the header alone: a library the decls import is judged by convertibility there.
    problem = Problem(header="Require Import Lia.", decls="Require Import Coq.Wellfounded.Wellfounded.\n"
                      "Definition two := 2.", statement="forall n : nat, n + 2 = 2 + n")
    v = engine.check(problem, "intros. lia.")
    assert v.status == "proved", v
    assert engine.stats["coqchk_view_failed"] == 1
