"""The proof may not choose the universe levels the statement leaves open: reading Coq's universe graph."""

from __future__ import annotations

from scillm.integrations.certainly.checkers.verdict_universes import chosen_levels, parse_graph

OWN = ("Problem.",)
# The printer breaks long lines anywhere, also before an operator at the start of a line.
BEFORE = """Set < Problem.s.u0
    < Problem.s.u1
    < Coq.Lists.List.1
Problem.s.u0 <= Coq.Lists.List.1
Morphisms_Prop.a_very_long_universe_name_that_the_printer_breaks.u0
<= Coq.Relations.Relation_Definitions.1
ssrbool.predArgType.u0 < Problem.s.u2
Problem.s.u1 < Problem.s.u2
Coq.Lists.List.247 <= Coq.Lists.List.1
Coq.Init.Logic.7 <= Coq.Init.Logic.8
"""


def test_the_graph_is_read_as_tokens_whatever_the_line_breaks() -> None:
    edges = parse_graph(BEFORE)
    assert edges is not None
    assert ("Morphisms_Prop.a_very_long_universe_name_that_the_printer_breaks.u0",
            "Coq.Relations.Relation_Definitions.1", False) in edges
    assert ("Set", "Coq.Lists.List.1", True) in edges
    assert parse_graph("a = b") == {("a", "b", False), ("b", "a", False)}
    assert parse_graph("a < ") is None
    assert parse_graph("< a") is None


def test_a_new_relation_between_two_statement_universes_is_refused() -> None:
    v = chosen_levels([BEFORE, "", BEFORE + "Problem.s.u0 = Problem.s.u1\n"], OWN)
    assert v is not None and v.status == "rejected" and "Problem.s.u0 <= Problem.s.u1" in v.message


def test_a_relation_implied_through_library_universes_is_refused() -> None:
    after = BEFORE + "Problem.s.u1 <= Coq.Init.Logic.7\nCoq.Init.Logic.7 < Problem.s.u0\n"
    v = chosen_levels([BEFORE, "", after], OWN)
    assert v is not None and v.status == "rejected" and "Problem.s.u1 <" in v.message


def test_a_statement_universe_below_a_library_lemma_universe_is_allowed() -> None:
    # `apply rev_involutive` at the statement's `A`: A's universe already sits below `rev`'s
    after = BEFORE + "Problem.s.u0 <= Coq.Lists.List.247\nCandidate.t.u0 < Coq.Lists.List.247\n"
    assert chosen_levels([BEFORE, "", after], OWN) is None
    assert chosen_levels([BEFORE, "", BEFORE], OWN) is None
    unrelated = BEFORE + "Problem.s.u1 <= Coq.Init.Logic.7\n"  # a universe the statement does not reach
    assert chosen_levels([BEFORE, "", unrelated], OWN) is None


def test_a_universe_the_statement_is_tied_to_counts_as_its_own() -> None:
    # `exists P : predType bool, pred_sort P = Type`: predType's universe sits below the statement's `=`
    for added in ("Problem.s.u1 <= ssrbool.predArgType.u0\n", "ssrbool.predArgType.u0 <= Problem.s.u1\n",
                  "Problem.s.u1 <= Candidate.c.u0\nCandidate.c.u0 <= ssrbool.predArgType.u0\n"):
        v = chosen_levels([BEFORE, "", BEFORE + added], OWN)
        assert v is not None and v.status == "rejected" and "ssrbool.predArgType.u0" in v.message, added


def test_an_unreadable_graph_is_an_error_never_proved() -> None:
    for graphs in (None, ["", "", "x <"], ["x ?? y", "", BEFORE]):
        v = chosen_levels(graphs, OWN)
        assert v is not None and v.status == "error"
