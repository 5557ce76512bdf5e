"""The client-side Coq lexer: what counts as a sentence, and what cannot be cut."""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.sentences import LexError, split_sentences, words_outside_strings


def texts(src: str) -> list[str]:
    return [s.text for s in split_sentences(src)]


def test_plain_tactics_and_qualified_names() -> None:
    assert texts("intros n. rewrite Nat.add_0_r. reflexivity.") == [
        "intros n.", "rewrite Nat.add_0_r.", "reflexivity."]


def test_dots_that_do_not_end_a_sentence() -> None:
    assert texts("apply (f ..). exact x.(f) 1.5 Nat.add.\nauto.") == [
        "apply (f ..).", "exact x.(f) 1.5 Nat.add.", "auto."]


def test_ellipsis_ends_a_sentence_like_proof_with() -> None:
    assert texts("idtac... Axiom cheat : False.") == ["idtac...", "Axiom cheat : False."]
    assert texts("auto...") == ["auto..."]


def test_only_coq_blanks_end_a_sentence() -> None:
    assert texts("idtac.\x0cidtac. auto.\tauto.\r\nauto.") == ["idtac.\x0cidtac.", "auto.", "auto.", "auto."]
    assert texts("idtac.\u00a0Axiom c : False.") == ["idtac.\u00a0Axiom c : False."]


def test_comment_glued_to_a_dot_is_the_projection_keyword_not_a_comment() -> None:
    with pytest.raises(LexError, match="comment glued"):
        split_sentences('idtac.(* x. Axiom cheat : False. *) idtac.')
    assert texts("split;(* c *) auto. f (x)(* c *) .") == ["split;(* c *) auto.", "f (x)(* c *) ."]


@pytest.mark.parametrize("src", ["Check nat.\u00a0--(**) Check nat.", "exact (x +(* c. *) y).", "- (**) idtac.",
                                 "rewrite <-(* c *) H.", "exact (x ](* c *) y)."])
def test_comment_glued_to_a_symbol_is_a_comment_when_no_token_continues_the_symbol(src: str) -> None:
    assert len(split_sentences(src)) == len(split_sentences(src.replace("(*", " (*")))


def test_comment_glued_to_the_backquote_keyword_is_refused() -> None:
    with pytest.raises(LexError, match="comment glued"):
        split_sentences("exact `(* . *) I.")


@pytest.mark.parametrize(("grammar", "src"), [
    ('Notation "x -( y" := (x + y) (at level 50).', "exact (x -(* . Axiom c : False. *) y)."),
    ('Infix "+(" := plus (at level 50).', "exact (x ++(* . *) y)."),
    ('Notation "x ]( y" := (x + y) (at level 50).', "exact (x ](* . *) y)."),
    ('Notation "x -( y" := (x + y) (at level 50).', "-(* . *) idtac."),
])
def test_comment_glued_to_a_symbol_is_refused_when_the_grammar_has_that_token(grammar: str, src: str) -> None:
    assert split_sentences(src)
    with pytest.raises(LexError, match="comment glued"):
        split_sentences(src, grammar=grammar)
    with pytest.raises(LexError, match="comment glued"):
        split_sentences(grammar + " " + src)


@pytest.mark.parametrize("src", ["idtac.... Axiom cheat : False.", "exact x...y.", "idtac...Axiom c : False.",
                                 "exact (1 +.. Axiom c : False.", "idtac ....."])
def test_dot_runs_coq_reads_otherwise_are_refused(src: str) -> None:
    with pytest.raises(LexError):
        split_sentences(src)


def test_nested_comments_and_strings_hide_dots() -> None:
    src = '(* a. (* b. *) c. *) idtac "x. "" y.". (* end *) auto.'
    assert texts(src) == ['idtac "x. "" y.".', "auto."]


def test_bullets_braces_and_selectors() -> None:
    src = "split.\n- exact I.\n- { auto. }\n++ auto.\n2: { auto. }\nall: auto."
    got = split_sentences(src)
    assert [(s.kind, s.text) for s in got] == [
        ("command", "split."), ("bullet", "-"), ("command", "exact I."), ("bullet", "-"), ("brace", "{"),
        ("command", "auto."), ("brace", "}"), ("bullet", "++"), ("command", "auto."), ("brace", "2: {"),
        ("command", "auto."), ("brace", "}"), ("command", "all: auto."),
    ]


def test_selector_braces_with_comments_and_ranges() -> None:
    got = split_sentences("1 (* a *) : (* b *) { idtac. }\n[ x ] : { idtac. }\nall: { idtac. }\n2 - 3, 4 : { idtac. }")
    assert [s.text for s in got if s.kind == "brace" and s.text != "}"] == [
        "1 (* a *) : (* b *) {", "[ x ] : {", "all: {", "2 - 3, 4 : {"]


def test_after_a_selector_brace_a_dash_is_not_a_bullet() -> None:
    got = split_sentences("1: { - idtac. } - idtac. { - idtac.")
    assert [(s.kind, s.text) for s in got] == [
        ("brace", "1: {"), ("command", "- idtac."), ("brace", "}"), ("bullet", "-"), ("command", "idtac."),
        ("brace", "{"), ("bullet", "-"), ("command", "idtac.")]


def test_positions_are_line_and_column_of_the_source() -> None:
    got = split_sentences("intros.\n  exact\n   I.")
    assert [(s.line, s.column) for s in got] == [(1, 0), (2, 2)]
    assert got[1].text == "exact\n   I."


@pytest.mark.parametrize(
    ("src", "reason", "line"),
    [
        ("intros. (* open", "unterminated comment", 1),
        ('intros.\nidtac "open.', "unterminated string", 2),
        ("intros. lia", "sentence does not end with '.'", 1),
        ("(* (* nested *) still open", "unterminated comment", 1),
    ],
)
def test_uncuttable_scripts_raise_with_position(src: str, reason: str, line: int) -> None:
    with pytest.raises(LexError) as info:
        split_sentences(src)
    assert info.value.reason == reason
    assert info.value.line == line


def test_words_ignore_comments_and_strings() -> None:
    assert words_outside_strings('idtac "admit". (* admit *) auto.') == ["idtac", "auto"]
