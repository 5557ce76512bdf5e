"""Text scans split names, numbers and symbols where Coq 8.16's lexer does."""

from __future__ import annotations

from scillm.integrations.certainly.checkers.coq_lexicon import idents, is_ident, scan
from scillm.integrations.certainly.checkers.meaning import scoping_refusal


def test_names_start_with_any_unicode_letter_and_superscripts_are_symbols() -> None:
    assert idents("αk = x² + 𝑥y' + k₁") == ["αk", "x", "𝑥y'", "k₁"]
    assert is_ident("αk") and is_ident("_x") and not is_ident("²") and not is_ident("x²") and not is_ident("1x")
    assert idents("Nat.add x", qualified=True) == ["Nat.add", "x"]


def test_a_number_is_read_first_where_one_starts() -> None:
    assert idents("app2 0x5last 2k 1.5e3x 0xe5") == ["app2", "last", "k", "x"]
    assert [kind for kind, _ in scan("0x5last")] == ["num", "id"]


def test_an_abbreviation_sharing_a_decls_name_is_refused() -> None:
    refused = scoping_refusal("Definition nb := 0.\nModule M.\nNotation nb := negb (only parsing).\nEnd M.")
    assert refused is not None and "`nb` twice" in refused
    assert scoping_refusal("Class Foo := {}.\nModule M.\nNotation Foo := Setoid (only parsing).\nEnd M.")
    assert scoping_refusal("Module A. Definition f := 1. End A.\nModule B. Definition f := 2. End B.") is None
    assert scoping_refusal("Notation T := True.\nDefinition t := T.") is None


def test_only_a_module_the_decls_declared_earlier_and_see_may_be_imported() -> None:
    later = scoping_refusal("Module M.\nExport (notations) QArith_base.\nEnd M.\nModule QArith_base.\nEnd QArith_base.")
    assert later is not None and "QArith_base" in later
    nested = "Module N. Module Q. End Q. End N.\nModule M. Export Q. End M."
    assert scoping_refusal(nested) is not None
    assert scoping_refusal("Module N. Module Q. End Q. Import Q. End N.\nImport N.Q.") is None
    assert scoping_refusal("Module M.\nDefinition two := 2.\nEnd M.\nImport M.") is None
