"""The Lean 4 tokenizer: names, escapes, comments, literals, as Lean's parser reads them."""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.lean_tokens import tokenize


def _code(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.name) for t in tokenize(text).code]


def test_guillemet_parts_read_as_the_plain_dotted_name() -> None:
    assert _code("set_option «debug».«skipKernelTC» true") == [
        ("ident", "set_option"), ("ident", "debug.skipKernelTC"), ("ident", "true")]
    assert _code("exact Lean.«ofReduceBool» h.«sorry»") == [
        ("ident", "exact"), ("ident", "Lean.ofReduceBool"), ("ident", "h.sorry")]
    token = tokenize("«a.b».c").code[0]
    assert token.parts == ("a.b", "c") and token.text == "«a.b».c"


def test_identifiers_follow_leans_character_classes() -> None:
    assert _code("x₁ α' h? f! ℕ") == [("ident", "x₁"), ("ident", "α'"), ("ident", "h?"), ("ident", "f!"),
                                      ("ident", "ℕ")]
    assert _code("λ x => x")[0] == ("symbol", "λ"), "λ is not letter-like in Lean"
    assert _code("2sorry") == [("number", "2"), ("ident", "sorry")]
    assert _code("h.1") == [("ident", "h"), ("symbol", "."), ("number", "1")]
    assert _code("0x1F 1.5e3") == [("number", "0x1F"), ("number", "1.5e3")]


def test_comments_nest_and_hide_nothing_outside() -> None:
    text = "/- a /- sorry -/ still -/ exact h -- sorry\n/-- doc -/ rfl"
    assert _code(text) == [("ident", "exact"), ("ident", "h"), ("ident", "rfl")]
    assert [t.kind for t in tokenize(text).tokens].count("comment") == 3


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ('"a \\" sorry"', None),
        ("r#\"a\"b\"# admit", "admit"),
        ('r"x" admit', "admit"),
        ("'\"' admit -- \"", "admit"),
        ("'\\n' admit", "admit"),
    ],
)
def test_literals_end_where_lean_ends_them(text: str, inside: str | None) -> None:
    names = [t.name for t in tokenize(text).code if t.kind == "ident"]
    assert names == ([inside] if inside else [])


def test_code_inside_string_interpolation_is_seen() -> None:
    lexed = tokenize('exact s!"{sorry}".length')
    assert [t.name for t in lexed.embedded] == ["sorry"]
    assert tokenize('have : "{" = "{" := rfl').problems == []


def test_a_string_whose_end_depends_on_interpolation_is_a_problem() -> None:
    lexed = tokenize('s!"{ "x" ++ (sorry) }"')
    assert "sorry" in [t.name for t in lexed.embedded]
    assert any("interpolation" in p.name for p in lexed.problems)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("/- open", "unterminated comment"), ('"open', "unterminated string"), ("«open", "unterminated «"),
     ('r#"open"', "unterminated raw string"), ("'ab", "missing end of character literal")],
)
def test_unlexable_text_is_reported_not_guessed(text: str, problem: str) -> None:
    assert [p.name for p in tokenize(text).problems] == [problem]


def test_hash_commands_and_positions() -> None:
    lexed = tokenize("by\n  simp\n#eval 1 #[2]")
    hashes = [t for t in lexed.code if t.kind == "hash"]
    assert [(t.name, t.line, t.column) for t in hashes] == [("#eval", 3, 0)]
