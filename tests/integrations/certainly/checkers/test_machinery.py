"""Reading Coq's coercion, canonical-structure and instance registries, and the decls forms refused early."""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.machinery import (
    bound_words,
    changed_instances,
    inserted_machinery,
    read_registry,
    unnamed_machinery,
)

# As Coq 8.16 prints them under `Set Printing All` (trimmed).
COERCIONS = "M.holds unbox\n"
CANONICALS = "O <- cs_v ( nat_cs )\nnat <- cs_t ( nat_cs )\n"
HINTS = ("For Symmetric ->   simple apply @setoid_sym(level 0, pattern \n"
         "                   @Symmetric ?META1090 (@equiv ?META1090 ?META1091), id 0)\n"
         "For Setoid ->   exact triv(level 0, pattern Setoid nat, id 0)\n"
         "For ReflexiveProxy ->   (*external*) (reflexive_proxy_tac A R)(level 1, pattern \n")
STATEMENT = ("scillm_statement = \nforall x y : nat,\nand (@equiv nat triv x y)\n  (and (M.holds false) True)\n"
             "     : Type\n")


def test_registry_names_each_kind() -> None:
    reg = read_registry(COERCIONS, CANONICALS, HINTS)
    assert {"M.holds", "unbox", "nat_cs", "setoid_sym", "triv"} <= reg.names
    assert not {"reflexive_proxy_tac", "A", "R"} & reg.names  # a Hint Extern's tactic, not a lemma


@pytest.mark.parametrize(("coercions", "canonicals", "hints", "named"), [
    (COERCIONS, "", "", "M.holds"),
    ("", "", HINTS, "triv"),
])
def test_an_entry_the_decls_added_is_refused_where_the_statement_uses_it(coercions: str, canonicals: str,
                                                                         hints: str, named: str) -> None:
    before = read_registry("", "", "")
    why = inserted_machinery(before, read_registry(coercions, canonicals, hints), STATEMENT, frozenset({"nat"}))
    assert why is not None and f"`{named}`" in why


def test_entries_the_header_had_and_unused_entries_pass() -> None:
    full = read_registry(COERCIONS, CANONICALS, HINTS)
    assert inserted_machinery(full, full, STATEMENT, frozenset()) is None
    assert inserted_machinery(read_registry("", "", ""), read_registry("unbox", CANONICALS, ""), STATEMENT,
                              frozenset()) is None


@pytest.mark.parametrize(("named", "refused"), [
    (frozenset({"triv", "M.holds"}), False),  # both named as printed
    (frozenset({"triv", "holds"}), True),  # `holds` is not `M.holds`
])
def test_named_means_the_printed_name_is_a_reference_of_the_statement(named: frozenset[str], refused: bool) -> None:
    why = inserted_machinery(read_registry("", "", ""), read_registry(COERCIONS, "", HINTS), STATEMENT, named)
    assert (why is not None) == refused, why


def test_bound_words_over_read_binders_and_patterns() -> None:
    assert bound_words("forall holds : nat, false") == {"holds"}
    assert bound_words("forall (x y : nat) {A : Type}, x = y") == {"x", "y", "A"}
    assert {"k"} <= bound_words("match n with | S k => k | O => 0 end")
    assert bound_words("holds true") == frozenset()


def test_the_lemma_a_hint_extern_gives_is_a_registry_name() -> None:
    extern = "For Setoid ->   (*external*) (exact triv)(level 1, pattern Setoid nat, id 0)\n"
    assert "triv" in read_registry("", "", extern).names


@pytest.mark.parametrize("decls", [
    "Instance : Inhabited nat := {}.",
    "#[export] Program Instance {A} : Inhabited (list A) := {}.",
    "Local Instance `(Inhabited nat) : Inhabited bool := {}.",
    "SubClass small := nat.",
    "#[export] Hint Extern 1 (Inhabited nat) => exact (populate 0) : typeclass_instances.",
    "Hint Constructors box : typeclass_instances.",
])
def test_unnamed_machinery_is_refused_early(decls: str) -> None:
    assert unnamed_machinery(decls) is not None


@pytest.mark.parametrize("decls", [
    "Instance i : Inhabited nat := {}.",
    "Hint Resolve i : typeclass_instances.",
    "Hint Extern 1 => lia : core.",
    "Definition Instance_count := 0.",
])
def test_named_machinery_and_other_hints_pass_early(decls: str) -> None:
    assert unnamed_machinery(decls) is None


_DB = ("Discriminated database\nUnfoldable variable definitions: all\nUnfoldable constant definitions: all except: "
       "Basics.flip\n  Proper\nCut: emp\nFor any goal ->   \nFor Equivalence ->   exact Q_Setoid(level 0, pattern \n"
       "  @Equivalence Q Qeq, id 0)\n  simple apply @eq_equivalence(level 10, pattern \n  @Equivalence ?META12 "
       "(@eq ?META12), id 0)\n")


@pytest.mark.parametrize(("after", "declared", "why"), [
    (_DB.replace("?META12", "?META99").replace("id 0", "id 3"), frozenset(), None),  # numbering only
    (_DB + "For Size ->   exact size_nat(level 1, pattern @Size nat, id 0)\n", frozenset({"size_nat"}), None),
    (_DB.replace("Proper\n", "Proper Size\n"), frozenset({"Size"}), None),  # a decls class is opaque to the search
    (_DB.replace("Proper\n", "Proper Qeq\n"), frozenset(), "typeclass search"),  # Typeclasses Opaque Qeq
    (_DB.replace("  Proper\n", "\n"), frozenset(), "typeclass search"),  # Typeclasses Transparent Proper
    (_DB.replace("Cut: emp", "Cut: (_*)"), frozenset(), "typeclass search"),
    (_DB.replace("exact Q_Setoid", "exact QArith_base.Q_Setoid"), frozenset({"Q_Setoid"}), "`exact Q_Setoid`"),
    (_DB.replace("  simple apply @eq_equivalence(level 10, pattern \n  @Equivalence ?META12 (@eq ?META12), id 0)\n",
                 ""), frozenset(), "eq_equivalence"),
    (_DB.replace("For Equivalence ->   ", "For Equivalence ->   simple apply @eq_equivalence(level 0, pattern "
                 "@Equivalence ?META1 (@eq ?META1), id 0) "), frozenset(), "again"),
    (_DB.replace("For Equivalence ->   ", "For Equivalence ->   exact my_eq(level 0, pattern @Equivalence Q (@eq Q), "
                 "id 0) "), frozenset({"my_eq"}), "none of their own types"),
    (_DB.replace("For Equivalence ->   ", "For Equivalence ->   exact color_eq(level 1, pattern @Equivalence color "
                 "(@eq color), id 0) "), frozenset({"color", "color_eq"}), None),
])
def test_the_header_typeclass_database_must_survive_the_decls(after: str, declared: frozenset[str],
                                                              why: str | None) -> None:
    got = changed_instances(_DB, after, declared)
    assert (got is None) if why is None else (got is not None and why in got), got
