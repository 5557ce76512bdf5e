"""The independent verdict on real coqc/coqchk: what it proves, what it refuses, and how it fails closed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scillm.integrations.certainly.checkers import get_checker, verdict_text
from scillm.integrations.certainly.checkers.coq_session import CoqSession, find_coq
from scillm.integrations.certainly.checkers.verdict import independent_verdict
from scillm.integrations.certainly.checkers.verdict_policy import policy
from scillm.integrations.certainly.models import Problem

pytestmark = [pytest.mark.needs_coq, pytest.mark.needs_bwrap]

GOOD_NAT = "intros n. induction n as [|n IH]; simpl; [reflexivity | rewrite IH; reflexivity]."
_PHRASE = "Notation \"'Closed' 'under' 'the' 'global' 'context'\" := (1 = 2)."
# Tactic sentences to the client lexer of earlier releases, vernacular to coqtop: the verdict must not care.
LEXER_GAPS = [
    ("axiom-after-ellipsis", "1 = 2", "idtac... Axiom cheat : 1 = 2. exact cheat."),
    ("phrase-typed-axiom", "1 = 2", f"idtac... {_PHRASE} idtac... Axiom cheat : Closed under the global context. "
                                    "exact cheat."),
    ("abort-then-true", "forall n : nat, n + 1 = n", "idtac... Abort. Theorem certainly_goal : True. exact I."),
    ("qed-then-admitted", "False", "idtac... Admitted. Lemma x : True. exact I."),
    ("guard-off", "False", "idtac... Unset Guard Checking. idtac... Fixpoint f (n : nat) : False := f n. "
                           "exact (f 0)."),
    ("universe-off", "False", "idtac... Unset Universe Checking. exact I."),
]


@pytest.mark.parametrize(("case", "statement", "proof"), LEXER_GAPS, ids=[c[0] for c in LEXER_GAPS])
def test_vernacular_slipped_into_a_proof_is_never_proved(case: str, statement: str, proof: str) -> None:
    v = independent_verdict(Problem(statement=statement), proof)
    assert v.status != "proved", (case, v)
    honest = independent_verdict(Problem(statement="forall n : nat, n + 0 = n"), GOOD_NAT)
    assert honest.status == "proved" and honest.axioms == (), honest


def test_axioms_are_listed_fully_qualified_and_checked_against_the_header() -> None:
    reals = independent_verdict(Problem(header="Require Import Reals.\nOpen Scope R_scope.",
                                        statement="forall x : R, x + 0 = x"), "intros. ring.")
    assert reals.status == "proved", reals
    assert "Coq.Reals.ClassicalDedekindReals.sig_forall_dec" in reals.axioms
    sneaky = independent_verdict(Problem(decls="Require Import Classical.", statement="forall P : Prop, P \\/ ~ P"),
                                 "exact classic.")
    assert sneaky.status == "rejected" and "Coq.Logic.Classical_Prop.classic" in sneaky.message
    trusted = independent_verdict(Problem(statement="forall P : Prop, P \\/ ~ P"), "exact classic.",
                                  ("Coq.Logic.Classical",))
    assert trusted.status == "proved" and trusted.axioms == ("Coq.Logic.Classical_Prop.classic",)
    untrusted = independent_verdict(Problem(statement="True"), "exact I.", ("Coq.Init.Nowhere",))
    assert untrusted.status == "rejected"


@pytest.mark.parametrize(("statement", "proof"), [("False", "exact proof_admitted."),
                                                   ("1 = 2", "exact (False_ind _ proof_admitted)."),
                                                   ("forall n : nat, n + 1 = n", "case proof_admitted.")])
def test_an_axiom_of_a_trusted_package_is_trusted_only_when_it_is_on_the_list(statement: str, proof: str) -> None:
    admit = "From Coq Require Import Compat.AdmitAxiom."  # Coq's own `Axiom proof_admitted : False.`
    v = independent_verdict(Problem(header=admit, statement=statement), proof)
    assert v.status == "rejected" and "proof_admitted" in v.message, v
    honest = independent_verdict(Problem(header=admit + "\nRequire Import Classical.",
                                         statement="forall P : Prop, P \\/ ~ P"), "exact classic.")
    assert honest.status == "proved" and honest.axioms == ("Coq.Logic.Classical_Prop.classic",), honest


def test_every_axiom_the_installed_libraries_declare_is_on_the_list_or_refused_by_name(tmp_path: Path) -> None:
    """The allow-list covers the trusted packages: an axiom a package update adds fails this test until reviewed."""
    from scillm.integrations.certainly.checkers.trusted import TRUSTED_ROOTS, trusted_axiom
    from scillm.integrations.certainly.checkers.trusted_axioms import KNOWN_FALSE

    where = Path(subprocess.run(["coqc", "-where"], capture_output=True, text=True, check=True).stdout.strip())
    modules = sorted(m for m in (("Coq." if sub == "theories" else "") + str(vo.relative_to(where / sub).with_suffix(
        "")).replace("/", ".") for sub in ("theories", "user-contrib") for vo in (where / sub).rglob("*.vo"))
        if m.split(".", 1)[0] in TRUSTED_ROOTS)
    (tmp_path / "All.v").write_text('Set Warnings "-all".\n' + "".join(f"Require {m}.\n" for m in modules))
    subprocess.run(["coqc", "-q", "-Q", ".", "AX", "All.v"], cwd=tmp_path, check=True, capture_output=True,
                   timeout=600)
    out = subprocess.run(["coqchk", "-silent", "-o", "-Q", ".", "AX", "-norec", "AX.All"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    summary = verdict_text.parse_coqchk(out.stdout + out.stderr)
    assert summary is not None and len(summary.axioms) > 100, out.stdout[-500:]
    refused = sorted(a for a in summary.axioms if not trusted_axiom(a, modules))
    assert all(a.startswith(("Coq.Compat.AdmitAxiom.", "Coq.extraction.ExtrOcamlIntConv.")) or a in KNOWN_FALSE
               for a in refused), refused
    assert "Coq.Compat.AdmitAxiom.proof_admitted" in refused
    assert "Coq.Numbers.Cyclic.Int63.Sint63.asr_spec" in refused


def test_decls_that_change_the_statement_are_refused_and_definitions_are_not() -> None:
    for decls, stmt, proof in [("Notation False := True.", "False", "exact I."),
                               ("Definition False := True.", "False", "exact I."),
                               ('Notation "x + y" := (x).', "forall n : nat, n + 1 = n", "reflexivity."),
                               ("Definition False := True. Definition k := 0.", "k = 0 /\\ False",
                                "split; [reflexivity | exact I].")]:
        assert independent_verdict(Problem(decls=decls, statement=stmt), proof).status == "rejected", decls
    gauss = Problem(decls="Fixpoint sum_to (n : nat) : nat := match n with 0 => 0 | S k => n + sum_to k end.",
                    statement="sum_to 3 = 6")
    assert independent_verdict(gauss, "reflexivity.").status == "proved"
    two = Problem(decls="Definition two := 2.", statement="two + two = 4")
    assert independent_verdict(two, "reflexivity.").status == "proved"


NODUP_HEADER = "From Coq Require Import List Arith.\nImport ListNotations."
NODUP_SHADOW = "Definition NoDup (l : list nat) : Prop := True."


@pytest.mark.parametrize(("decls", "statement"), [
    # the decls shadow Problem.v's own probe and make its answer print like `true`
    (NODUP_SHADOW + "\nModule X.\nDefinition scillm_plain : option Type := @None Type.\nEnd X.\nImport X.\n"
                    "Notation truex := false.", "NoDup [1; 1]"),
    ("Notation \"'ℕ'\" := nat.\n" + NODUP_SHADOW + "\nNotation truex := false.", "forall n : ℕ, NoDup [n; n]"),
    ("Notation \"'ℕ'\" := nat.\n" + NODUP_SHADOW + "\nNotation true := false.", "forall n : ℕ, NoDup [n; n]"),
    (NODUP_SHADOW + "\nModule X.\nDefinition scillm_plain : option Type := @None Type.\n"
                    "Definition scillm_statement : Type := True.\nEnd X.\nImport X.", "NoDup [1; 1]"),
])
def test_decls_cannot_fake_the_problem_checks_that_keep_the_statements_meaning(decls: str, statement: str) -> None:
    v = independent_verdict(Problem(header=NODUP_HEADER, decls=decls, statement=statement), "intros; exact I.")
    assert v.status == "rejected", v
    honest = independent_verdict(Problem(header=NODUP_HEADER, decls="Notation \"'ℕ'\" := nat.",
                                         statement="forall n : ℕ, NoDup [n; S n]"),
                                 "intros. constructor; [simpl; intros [H | []]; lia | constructor; [easy | constructor]].",
                                 ("Coq.micromega.Lia",))
    assert honest.status == "proved", honest


SETOID = "From Coq Require Import Classes.SetoidClass Arith Lia."
_TRIV = "{| equiv := fun _ _ => True; setoid_equiv := ltac:(split; red; auto) |}"
_HOLDS = "Module M.\nDefinition holds (b : bool) : Prop := True.\nCoercion holds : bool >-> Sortclass.\nEnd M.\nImport M."


@pytest.mark.parametrize(("decls", "statement", "proof"), [
    (f"#[global] Instance : Setoid nat := {_TRIV}.", "forall x y : nat, x == y", "intros; exact I."),
    (f"#[global] Program Instance : Setoid nat := {_TRIV}.", "forall x y : nat, x == y", "intros; exact I."),
    (f"Definition triv : Setoid nat := {_TRIV}.\n#[export] Hint Resolve triv : typeclass_instances.",
     "forall x y : nat, x == y", "intros; exact I."),
    (f"Definition triv : Setoid nat := {_TRIV}.\n#[export] Hint Extern 1 (Setoid nat) => exact triv : "
     "typeclass_instances.", "forall x y : nat, x == y", "intros; exact I."),
    ("Record box := { unbox :> nat }.", "forall b : box, b + 1 = b", "intros; lia."),
    ("Record box := { unbox :> nat }.", "forall b : box, b + 0 = b", "intros; lia."),
    ("SubClass small := nat.\nDefinition tiny : small := 0.", "tiny + 1 = 1", "reflexivity."),
    # the coercion's name shadowed after it was declared, or bound in the statement
    (_HOLDS + "\nDefinition holds := 0.", "false", "exact I."),
    (_HOLDS + "\nDefinition holds := 0.", "1 = 2 \\/ false", "right; exact I."),
    (_HOLDS, "forall holds : nat, false", "intros; exact I."),
    (_HOLDS, "false (* holds *)", "exact I."),
    ("Definition holds (b : bool) : Prop := True.\nCoercion holds : bool >-> Sortclass.\n"
     "Notation \"'holds' x\" := (x) (at level 10).", "holds false", "exact I."),
    (f"Module M.\n#[export] Instance triv : Setoid nat := {_TRIV}.\nEnd M.\nImport M.\nDefinition triv := 0.",
     "forall x y : nat, x == y", "intros; exact I."),
    (f"Module M.\n#[export] Instance triv : Setoid nat := {_TRIV}.\nEnd M.\nModule N.\nInclude M.\nEnd N.\n"
     "Import N.", "forall x y : nat, x == y", "intros; exact I."),
    ("Definition h0 (b : bool) : Prop := True.\nNotation g := h0.\nCoercion g : bool >-> Sortclass.",
     "false", "exact I."),
])
def test_machinery_the_decls_insert_without_the_statement_naming_it_is_refused(decls: str, statement: str, proof: str) -> None:
    v = independent_verdict(Problem(header=SETOID, decls=decls, statement=statement), proof)
    assert v.status == "rejected", v
    named = independent_verdict(Problem(header=SETOID, decls="Record box := { unbox :> nat }.",
                                        statement="forall b : box, unbox b + 0 = unbox b"), "intros; lia.")
    assert named.status == "proved", named
    library = independent_verdict(Problem(header="From Coq Require Import ssreflect ssrbool.",
                                          decls="Definition t := true.", statement="t"), "reflexivity.")
    assert library.status == "proved", library  # `is_true`, a coercion the header loaded


def test_the_reported_file_rechecks_with_plain_coqc_and_coqchk(tmp_path: Path) -> None:
    v = independent_verdict(Problem(header="Require Import Lia.", statement="forall n : nat, n + 1 > n"),
                            "intros. lia.")
    assert v.status == "proved"
    (tmp_path / "Standalone.v").write_text(v.file, encoding="utf-8")
    subprocess.run(["coqc", "-q", "-Q", ".", "Re", "Standalone.v"], cwd=tmp_path, check=True, timeout=120)
    out = subprocess.run(["coqchk", "-silent", "-o", "-Q", ".", "Re", "-norec", "Re.Standalone"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and verdict_text.parse_coqchk(out.stdout + out.stderr) is not None


def test_disabled_kernel_checks_in_coqchk_output_are_refused(tmp_path: Path) -> None:
    (tmp_path / "G.v").write_text("Unset Guard Checking.\nFixpoint loop (n : nat) : False := loop n.\n"
                                  "Set Guard Checking.\nTheorem t : False. Proof. exact (loop 0). Qed.\n")
    subprocess.run(["coqc", "-q", "-Q", ".", "G", "G.v"], cwd=tmp_path, check=True, timeout=120)
    out = subprocess.run(["coqchk", "-silent", "-o", "-Q", ".", "G", "-norec", "G.G"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    summary = verdict_text.parse_coqchk(out.stdout + out.stderr)
    assert summary is not None and any("G.G.loop" in w for w in summary.weakened), summary
    refused = policy(summary, verdict_text.Assumptions(), frozenset(), "Nobody", "NoOne")
    assert refused.status == "rejected" and "G.G.loop" in refused.message


def test_cold_checker_does_not_trust_a_printed_library_list() -> None:
    fake = ('Require Import String. Open Scope string_scope.\n'
            'Check "Loaded library files:\n  Coq.Logic.Classical_Prop\n".')
    stmt = "forall P : Prop, P \\/ ~ P"
    cold = get_checker("coq", mode="cold")
    bad = cold.check_sync(Problem(header=fake, decls="Require Import Classical.", statement=stmt),  # type: ignore[attr-defined]
                          "exact classic.")
    assert bad.status != "proved", bad
    good = cold.check_sync(Problem(header="Require Import Classical.", statement=stmt), "exact classic.")  # type: ignore[attr-defined]
    assert good.status == "proved" and good.axioms == ["Coq.Logic.Classical_Prop.classic"], good


def test_nested_proof_prompts_are_parsed() -> None:
    binaries = find_coq()
    assert binaries is not None
    session = CoqSession("", binaries)
    session.start()
    try:
        lines = ["Set Nested Proofs Allowed.", "Lemma a : True.", "Lemma b : True.", "exact I.", "Qed.", "exact I.",
                 "Qed."]
        reply = session.request(lines, 60)
    finally:
        session.close()
    assert len(reply.prompts) == len(lines)
    assert reply.prompts[2][0] == "b" and "a" in reply.prompts[2][2] and "b" in reply.prompts[2][2]
    assert reply.prompts[-1][0] == "Coq"


def _env_without_bwrap(tmp_path: Path, **extra: str) -> dict[str, str]:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    for tool in ("coqc", "coqtop", "coqchk"):
        path = shutil.which(tool)
        assert path is not None
        target = bindir / tool
        if not target.exists():
            target.symlink_to(path)
    return {"PATH": str(bindir), "HOME": str(tmp_path), "PYTHONPATH": os.getcwd(), **extra}


_PROBE = ("from scillm.integrations.certainly.checkers import get_checker\n"
          "from scillm.integrations.certainly.checkers.prover_sandbox import allowing_unsandboxed\n"
          "from scillm.integrations.certainly.models import Problem\n"
          "from scillm.settings import CertainlySettings\n"
          "settings = CertainlySettings.from_env()\n"
          "with allowing_unsandboxed(settings.unsandboxed_provers):\n"
          "    c = get_checker('coq', settings=settings, pool_size=1)\n"
          "    print(c.check_sync(Problem(statement='True'), 'exact I.').status)\n"
          "    print(c.status().available)\n"
          "    c.close()\n")


def test_without_bwrap_provers_are_refused_unless_the_server_allows_it(tmp_path: Path) -> None:
    refused = subprocess.run([sys.executable, "-c", _PROBE], env=_env_without_bwrap(tmp_path), capture_output=True,
                             text=True, timeout=300)
    assert refused.stdout.split() == ["env_unavailable", "False"], refused.stderr[-2000:]
    allowed = subprocess.run([sys.executable, "-c", _PROBE],
                             env=_env_without_bwrap(tmp_path, CERTAINLY_UNSANDBOXED_PROVERS="1"),
                             capture_output=True, text=True, timeout=300)
    assert allowed.stdout.split() == ["proved", "True"], allowed.stderr[-2000:]


def test_a_cancelled_request_does_not_poison_the_compiled_problem_for_the_next() -> None:
    from scillm.integrations.certainly.checkers.session import tracking_provers
    from scillm.integrations.certainly.checkers.verdict import VerdictEngine

    engine = VerdictEngine()
    problem = Problem(statement="forall n : nat, n + 0 = n")
    try:
        with tracking_provers() as in_flight:
            in_flight.kill_all()
            stopped = engine.check(problem, GOOD_NAT)
        assert stopped.status == "error", stopped
        again = engine.check(problem, GOOD_NAT)
        assert again.status == "proved", again
    finally:
        engine.close()


def test_prefetch_compiles_the_problem_before_the_verdict_needs_it() -> None:
    from scillm.integrations.certainly.checkers.verdict import VerdictEngine

    engine = VerdictEngine()
    problem = Problem(statement="forall n : nat, 0 + n = n")
    try:
        assert engine.prefetch(problem) is True
        assert engine.prefetch(problem) is False  # under way: never twice
        assert engine.prefetched(problem, 120) is True
        assert engine.prefetch(problem) is False  # its standby provers wait: never two pairs for one problem
        assert engine.check(problem, "intros n. reflexivity.").status == "proved"
        assert engine.stats["standby_used"] + engine.stats["standby_unusable"] == 2
        assert engine.prefetch(problem) is True  # that verdict used them: the next search gets a fresh pair
        assert engine.prefetch(Problem(statement="True", decls="Axiom x : False.")) is False  # refused input
    finally:
        engine.close()


def test_sealed_module_fields_are_definitions_that_print_assumptions_looks_through(tmp_path: Path) -> None:
    from scillm.integrations.certainly.checkers.trusted import SEALED_MODULES, sealed_field

    uses = {"Coq.ssr.ssrunder.Under_rel": "Coq.ssr.ssrunder.Under_rel.Under_rel_from_rel",
            "Coq.Reals.Rdefinitions.RbaseSymbolsImpl": "Coq.Reals.Rdefinitions.RbaseSymbolsImpl.Rplus_def",
            "Coq.Reals.Rdefinitions.RinvImpl": "Coq.Reals.Rdefinitions.RinvImpl.Rinv_def"}
    assert set(uses) == SEALED_MODULES and all(sealed_field(name) for name in uses.values())
    lines = ["Require Import Reals Lia."]
    lines += [f"Definition uses_{k} := @{name}.\nPrint Assumptions uses_{k}." for k, name in enumerate(uses.values())]
    (tmp_path / "S.v").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = subprocess.run(["coqc", "-q", "S.v"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    named = verdict_text.parse_assumptions(out.stdout).axioms
    assert "ClassicalDedekindReals.sig_forall_dec" in named  # the real axiom behind the Reals fields is named
    assert not any(sealed_field(a) or a.rpartition(".")[0].endswith(("Under_rel", "RbaseSymbolsImpl", "RinvImpl"))
                   for a in named), named
    assert out.stdout.count("Closed under the global context") == 1, out.stdout  # Under_rel rests on nothing


SEARCH_SET = ("Coq.micromega.Lia", "Coq.micromega.Lra", "Coq.micromega.Psatz", "Coq.ZArith.ZArith")


def test_imports_the_proof_never_calls_are_left_out_and_a_wrong_guess_falls_back() -> None:
    nat = Problem(statement="forall x y : nat, x < y -> 2 * x + 1 < 2 * y")
    lean = independent_verdict(nat, "intros; lia.", SEARCH_SET)
    assert lean.status == "proved", lean
    assert "Require Import Coq.micromega.Lia." in lean.file and "Lra" not in lean.file and "ZArith" not in lean.file
    # Psatz brings lia along; the first guess drops it (no `psatz` in the proof), fails, and the full set proves it.
    full = independent_verdict(nat, "intros; lia.", ("Coq.micromega.Psatz",))
    assert full.status == "proved" and "Require Import Coq.micromega.Psatz." in full.file, full
    wrong = independent_verdict(nat, "intros; reflexivity.", SEARCH_SET)
    assert wrong.status == "failed", wrong
    cheat = independent_verdict(Problem(statement="1 = 2"), "idtac... Axiom cheat : 1 = 2. exact cheat.", SEARCH_SET)
    assert cheat.status != "proved", cheat


def test_the_reported_file_reads_the_statement_before_the_search_imports(tmp_path: Path) -> None:
    """`leb` in the decls is `Bool.leb`; read after ZArith (which exports `Nat.leb`) the file would not compile."""
    v = independent_verdict(Problem(header="From Coq Require Import Bool.", decls="Definition my_le := leb.",
                                    statement="my_le false true"),
                            'idtac "Z"; exact I.', ("Coq.ZArith.ZArith",))
    assert v.status == "proved", v
    (tmp_path / "Standalone.v").write_text(v.file, encoding="utf-8")
    run = subprocess.run(["coqc", "-q", "-Q", ".", "Re", "Standalone.v"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, (v.file, run.stderr)
