"""The verdict's readers of Coq output, on text alone: structure, never phrases."""

from __future__ import annotations

from scillm.integrations.certainly.checkers.trusted import TRUSTED_IMPORTS, normalize_import, trusted_axiom
from scillm.integrations.certainly.checkers.verdict_text import (
    meaning,
    parse_assumptions,
    parse_coqchk,
    regions,
    statement_tokens,
)

SUMMARY = "\n".join([
    "", "CONTEXT SUMMARY", "===============", "", "* Theory: Set is predicative", "  ", "* Axioms:",
    "    Coq.Logic.Classical_Prop.classic", "    SC_1.Candidate.cheat", "  ",
    "* Constants/Inductives relying on type-in-type: <none>", "  ",
    "* Constants/Inductives relying on unsafe (co)fixpoints:", "    SC_1.Candidate.loop", "  ",
    "* Inductives whose positivity is assumed: <none>", "  ", "",
])


def test_coqchk_summary_is_read_by_its_sections() -> None:
    s = parse_coqchk(SUMMARY)
    assert s is not None and s.predicative
    assert s.axioms == ("Coq.Logic.Classical_Prop.classic", "SC_1.Candidate.cheat")
    assert s.weakened == ("Constants/Inductives relying on unsafe (co)fixpoints: SC_1.Candidate.loop",)
    assert parse_coqchk(SUMMARY.replace("    SC_1.Candidate.cheat", "    Closed under the global context")) is None
    assert parse_coqchk("Closed under the global context") is None
    assert parse_coqchk(SUMMARY.replace("* Axioms:", "* Axiomz:")) is None
    impredicative = parse_coqchk(SUMMARY.replace("Set is predicative", "Set is impredicative"))
    assert impredicative is not None and not impredicative.predicative


def test_print_assumptions_is_read_by_its_first_column() -> None:
    text = ("Axioms:\ncheat : Closed under the global context\nClassicalDedekindReals.sig_forall_dec\n"
            "  : forall P : nat -> Prop, P 0\n")
    got = parse_assumptions(text)
    assert got.axioms == ("cheat", "ClassicalDedekindReals.sig_forall_dec") and not got.other
    assert parse_assumptions("Closed under the global context\n").axioms == ()
    assert parse_assumptions("Constants/Inductives relying on type-in-type:\nfoo\n").other == ("foo",)


def test_regions_need_every_separator_in_order() -> None:
    out = "noise No object of basename s1\nA\nNo object of basename s2\nB\nNo object of basename s3"
    assert regions(out, ["s1", "s2", "s3"]) == ["\nA\n", "\nB\n"]
    assert regions(out, ["s2", "s1"]) is None


def test_locate_meaning_ignores_names_reachable_only_by_a_longer_path() -> None:
    assert meaning("Locate two.", "Constant Coq.Init.Nat.two\n  (shorter name to refer to it in current context "
                   "is Nat.two)\nUnknown notation") is None
    assert meaning("Locate False.", "Constant P.Problem.False\nInductive Coq.Init.Logic.False\n  (shorter name "
                   "to refer to it in current context is Logic.False)") == "Constant P.Problem.False"
    assert meaning('Locate "+".', "Unknown notation") is None
    assert meaning('Locate "+".', 'Notation "x + y" := (Nat.add x y) : nat_scope') is not None


def test_statement_tokens_skip_strings_comments_and_numbers() -> None:
    toks = statement_tokens('forall n : nat, (* False *) n + 12 = n /\\ "x + y" = ""')
    assert [t for t, _ in toks] == ["forall", "n", ":", "nat", ",", "+", "=", "/\\"]


def test_trusted_lists() -> None:
    assert {"Coq.micromega.Lia", "Coq.Reals.Reals", "Coq.ZArith.ZArith"} <= TRUSTED_IMPORTS
    assert normalize_import("Stdlib.micromega.Lia") == "Coq.micromega.Lia" and normalize_import("Evil.X") is None
    loaded = frozenset({"Coq.Logic.Classical_Prop", "SP_1.Problem"})
    assert trusted_axiom("Coq.Logic.Classical_Prop.classic", loaded)
    assert not trusted_axiom("Coq.Logic.Other.ax", loaded)
    assert not trusted_axiom("SP_1.Problem.cheat", loaded)
    assert not trusted_axiom("Coq.Compat.AdmitAxiom.proof_admitted", {"Coq.Compat.AdmitAxiom"})
    assert not trusted_axiom("Coq.Logic.Classical_Prop.classic", {"Coq.Logic.Classical"})  # not the declaring one
    assert trusted_axiom("Stdlib.Logic.Classical_Prop.classic", {"Stdlib.Logic.Classical_Prop"})
    assert trusted_axiom("Corelib.Numbers.Cyclic.Int63.PrimInt63.add", {"Corelib.Numbers.Cyclic.Int63.PrimInt63"})
    assert trusted_axiom("mathcomp.ssreflect.finset.SetDef.finset", {"mathcomp.ssreflect.finset"})
    assert not trusted_axiom("Coquelicot.Hierarchy.cheat", {"Coquelicot.Hierarchy"})


def test_parse_assumptions_reads_the_theorem_an_axiom_of_false_is_used_in() -> None:
    from scillm.integrations.certainly.checkers.verdict_text import parse_assumptions

    got = parse_assumptions("Axioms:\nproof_admitted : False\nused in t to prove\n forall n : nat, n + 1 = n\n"
                            "used : False\n")
    assert got.axioms == ("proof_admitted", "used") and got.other == ()


def test_exported_decls_drop_locality_only() -> None:
    from scillm.integrations.certainly.checkers.verdict_text import exported_decls

    got = exported_decls('#[local] Definition a := 1. Local Notation "x ++ y" := (x + y). '
                         "#[local, program] Definition g : nat := 2. #[ local ] Hint Resolve a : core. "
                         "Local Instance i : Inhabited nat := {}. #[global] Instance j : Inhabited bool := {}. "
                         "(* c *) Local Open Scope Z_scope. Definition Localized := 0.")
    assert got.splitlines() == [
        "Definition a := 1.", 'Notation "x ++ y" := (x + y).', "#[program] Definition g : nat := 2.",
        "#[export] Hint Resolve a : core.", "#[export] Instance i : Inhabited nat := {}.",
        "#[global] Instance j : Inhabited bool := {}.", "Open Scope Z_scope.", "Definition Localized := 0."]


def test_plain_answer_is_read_whole() -> None:
    from scillm.integrations.certainly.checkers.verdict_text import plain_answer

    assert plain_answer("\n     = true\n     : bool\n") is True
    assert plain_answer("     = false\n     : bool") is False
    assert plain_answer("     = truex\n     : bool") is None
    assert plain_answer("     = true\n     : bool\n     = false\n     : bool") is None
