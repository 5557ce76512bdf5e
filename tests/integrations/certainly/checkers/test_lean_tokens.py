"""The Lean 4 tokenizer: names, escapes, comments, literals, as Lean's parser reads them."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scillm.integrations.certainly.checkers.lean_soundness import (
    forbidden_in_decls,
    forbidden_in_proof,
    forbidden_in_statement,
    header_parts,
)
from scillm.integrations.certainly.checkers.lean_tokens import (
    GLUED_COMMENT,
    GLUED_QUOTE,
    INTERPOLATED_COMMENT,
    tokenize,
)
from tests.support.lean_replay import FIXTURES


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
    assert tokenize('have : "{}" = "\\{" := rfl').problems == []


def test_a_string_whose_end_depends_on_interpolation_is_a_problem() -> None:
    lexed = tokenize('s!"{ "x" ++ (sorry) }"')
    assert any("interpolation" in p.name for p in lexed.problems)
    assert [p.name for p in tokenize('have : "{" = "{" := rfl').problems] == [
        "a string with an unclosed `{` (as interpolation its end would move)"] * 2


HIDE_OPEN = 's!"{1 -- }"\n  } "'


@pytest.mark.parametrize(
    "refused",
    [
        lambda: forbidden_in_proof("by\n  have _h := " + HIDE_OPEN + '\n  sorry -- "'),
        lambda: forbidden_in_decls("def hide : String := " + HIDE_OPEN + '\naxiom cheat : False\n-- "'),
        lambda: forbidden_in_statement('"" = ' + HIDE_OPEN + ' := by decide\n#eval 1\nexample : 1 = 1 -- "'),
        lambda: header_parts("import Lean\nset_option pp.oneline " + HIDE_OPEN + '\nset_option pp.all true -- "')[2],
    ],
    ids=["proof", "decls", "statement", "header"],
)
def test_a_line_comment_running_to_an_interpolations_end_is_refused_everywhere(refused: Any) -> None:
    assert INTERPOLATED_COMMENT in [v.what for v in refused()]


@pytest.mark.parametrize(
    ("text", "problems"),
    [('s!"{1 -- c\n}"', []), ('s!"{1 /- c -/}"', []), ('s!"{1 /- } -/ }"', ["unterminated comment"]),
     ('"{--}"', [INTERPOLATED_COMMENT])],
)
def test_comments_inside_interpolation_segments(text: str, problems: list[str]) -> None:
    assert [p.name for p in tokenize(text).problems] == problems


@pytest.mark.parametrize(
    ("text", "problem"),
    [("/- open", "unterminated comment"), ('"open', "unterminated string"), ("«open", "unterminated «"),
     ('r#"open"', "unterminated raw string"), ("'ab", "missing end of character literal")],
)
def test_unlexable_text_is_reported_not_guessed(text: str, problem: str) -> None:
    assert [p.name for p in tokenize(text).problems] == [problem]


@pytest.mark.parametrize(
    ("text", "code"),
    [("f '' s", ["f", "''", "s"]), ("∑' n : ℕ, f n", ["∑'", "n", ":", "ℕ", ",", "f", "n"]),
     ("f ⁻¹' s", ["f", "⁻", "¹'", "s"]), ("('a', '\\'', '\"')", ["(", "'a'", ",", "'\\''", ",", "'\"'", ")"])],
)
def test_a_quote_starts_a_char_only_where_lean_starts_one(text: str, code: list[str]) -> None:
    lexed = tokenize(text)
    assert ([t.text for t in lexed.code], lexed.problems) == (code, [])


def test_a_quote_after_a_symbol_that_could_start_a_char_is_a_problem() -> None:
    assert [p.name for p in tokenize("∑'\"' sorry -- \"").problems] == [GLUED_QUOTE]


def test_hash_commands_and_positions() -> None:
    lexed = tokenize("by\n  simp\n#eval 1 #[2]")
    hashes = [t for t in lexed.code if t.kind == "hash"]
    assert [(t.name, t.line, t.column) for t in hashes] == [("#eval", 3, 0)]


def _transcripts() -> list[tuple[str, dict[str, Any]]]:
    """(command, reply) pairs real Lean answered; the REPL joins a command's lines without newlines."""
    pairs = []
    for path in sorted(FIXTURES.glob("*.in")):
        out = path.with_suffix(".expected.out")
        if not out.exists():
            continue
        commands = [b for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()]
        replies = [b for b in out.read_text(encoding="utf-8").split("\n\n") if b.strip()]
        for command, reply in zip(commands, replies, strict=False):
            cmd = json.loads(command.replace("\n", ""), strict=False).get("cmd")
            if isinstance(cmd, str):
                pairs.append((cmd, json.loads(reply)))
    return pairs


@pytest.mark.needs_shared
def test_real_lean_commands_lex_cleanly_and_lean_ranges_fall_on_token_boundaries() -> None:
    pairs = _transcripts()
    assert len(pairs) > 80
    checked = 0
    for cmd, reply in pairs:
        lexed = tokenize(cmd)
        assert lexed.problems == [], cmd
        starts = {t.start for t in lexed.tokens} | {len(cmd)}
        ends = {t.end for t in lexed.tokens} | {len(cmd)}
        offsets = [0]
        for line in cmd.split("\n"):
            offsets.append(offsets[-1] + len(line) + 1)
        for message in reply.get("messages", []):
            pos, end = message["pos"], message.get("endPos")
            if not 1 <= pos["line"] < len(offsets) or end is None or not 1 <= end["line"] < len(offsets):
                continue
            assert offsets[pos["line"] - 1] + pos["column"] in starts, (cmd, message)
            assert offsets[end["line"] - 1] + end["column"] in ends, (cmd, message)
            checked += 1
    assert checked > 50


_FRAGMENTS = ['"', "'", "/-", "-/", "--", "«", "»", "r#\"", '"#', "r", "#", "{", "}", "\\", "s!", "\n", " ",
              "x", ".", "1", "e", "by", "exact", "h'", "'a'", "'\\n'", "--x\n", "/- c -/", '"s"', "«n»", ":="]


def _random_texts(count: int) -> list[str]:
    rng = random.Random(20261201)
    return ["".join(rng.choice(_FRAGMENTS) for _ in range(rng.randint(0, 24))) for _ in range(count)]


def test_tokens_are_ordered_disjoint_and_cover_every_visible_character() -> None:
    for text in _random_texts(3000):
        tokens = tokenize(text).tokens
        covered = set()
        for before, after in zip(tokens, tokens[1:], strict=False):
            assert before.end <= after.start, text
        for tok in tokens:
            assert 0 <= tok.start < tok.end <= len(text) and text[tok.start:tok.end] == tok.text
            covered.update(range(tok.start, tok.end))
        assert all(i in covered for i, c in enumerate(text) if not c.isspace()), text


def test_nothing_written_before_a_line_can_hide_a_forbidden_word_on_it() -> None:
    for text in _random_texts(3000):
        assert forbidden_in_proof(text + "\nsorry"), repr(text)
        assert forbidden_in_decls(text + "\naxiom cheat : False"), repr(text)
        assert header_parts("import Lean\n" + text + "\nset_option debug.skipKernelTC true")[2], repr(text)


def _lean_comments(text: str) -> tuple[list[tuple[int, int]], bool]:
    """(comment spans, whether Lean stops at an unterminated one): a port of `Lean.Parser.Basic`.

    `whitespace` and `finishCommentBlock` as Lean 4 writes them, with a token
    step for the alphabet the property below draws from: identifiers, the
    `//` token, the doc comment tokens `/--` and `/-!` (their body is read by
    `finishCommentBlock` too) and one-character symbols.
    """
    n, spans = len(text), []

    def finish(i: int, nesting: int) -> int | None:
        while True:
            if i >= n:
                return None
            curr, i = text[i], i + 1
            if curr == "-":
                if i >= n:
                    return None
                if text[i] == "/":
                    if nesting == 1:
                        return i + 1
                    nesting, i = nesting - 1, i + 1
            elif curr == "/":
                if i >= n:
                    return None
                if text[i] == "-":
                    nesting, i = nesting + 1, i + 1

    def whitespace(i: int) -> int | None:
        while i < n:
            curr = text[i]
            if curr.isspace():
                i += 1
            elif curr == "-" and text[i + 1:i + 2] == "-":
                j = text.find("\n", i)
                spans.append((i, n if j < 0 else j))
                i = n if j < 0 else j
            elif curr == "/" and text[i + 1:i + 2] == "-" and text[i + 2:i + 3] not in ("-", "!"):
                end = finish(i + 3, 1)
                if end is None:
                    return None
                spans.append((i, end))
                i = end
            else:
                break
        return i

    i: int | None = 0
    while (i := whitespace(i)) is not None and i < n:
        if text.startswith(("/--", "/-!"), i):
            end = finish(i + 3, 1)
            if end is None:
                return spans, True
            spans.append((i, end))
            i = end
        elif text[i].isalpha():
            i += 1
            while i < n and (text[i].isalnum() or text[i] == "!"):
                i += 1
        else:
            i += 2 if text.startswith("//", i) else 1
    return spans, i is None


def test_the_port_of_leans_whitespace_reads_the_red_team_case() -> None:
    text = "/-/- -/ set_option debug.skipKernelTC true in -- -/"
    assert _lean_comments(text) == ([(0, 7), (46, len(text))], False)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="/-! \nab", max_size=30))
def test_comments_end_where_leans_whitespace_ends_them(text: str) -> None:
    lean_spans, lean_unterminated = _lean_comments(text)
    lexed = tokenize(text)
    if lean_unterminated:
        assert lexed.problems, "Lean stops at an unterminated comment"
    if not lexed.problems:
        assert [(t.start, t.end) for t in lexed.tokens if t.kind == "comment"] == lean_spans
    assert all(p.name in ("unterminated comment", GLUED_COMMENT) for p in lexed.problems), lexed.problems




@pytest.mark.parametrize(
    ("text", "code"),
    [("/-/- -/ exact h -- -/", ["exact", "h"]), ("/--/ -/ x", ["x"]), ("/-!/- -/ -/ y", ["y"]),
     ("{ x // p x } /- c -/", ["{", "x", "//", "p", "x", "}"]), ("p \\/-q", ["p", "\\/", "-", "q"])],
)
def test_a_block_comment_body_starts_after_the_third_character(text: str, code: list[str]) -> None:
    assert [t.text for t in tokenize(text).code] == code


@pytest.mark.parametrize("text", ["x +/- c -/", "h ▸-- c", "a :=/- c -/ b"])
def test_a_comment_glued_to_a_symbol_is_a_problem(text: str) -> None:
    assert [p.name for p in tokenize(text).problems] == [GLUED_COMMENT]


@pytest.mark.parametrize("text", ["⟨h, rfl⟩-- done", "(x)/- c -/", "rfl--c", "2/- c -/", "[a]--c"])
def test_a_comment_after_a_bracket_or_a_name_is_no_problem(text: str) -> None:
    assert tokenize(text).problems == []
