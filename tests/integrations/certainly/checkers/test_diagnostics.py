"""Reading coqtop's messages: errors vs warnings, classes, positions, missing libraries, assumptions."""

from __future__ import annotations

import pytest

from scillm.integrations.certainly.checkers.coq import parse_assumptions
from scillm.integrations.certainly.checkers.diagnostics import (
    classify,
    errors_in,
    missing_library,
    to_message,
    warnings_in,
)
from scillm.integrations.certainly.checkers.sentences import split_sentences

WARNED = (
    "Toplevel input, characters 0-5:\n> intros.\n> ^^^^^\n<warning>\nWarning: Deprecated.\n[deprecated]</warning>\n"
    "<infomsg>Error: printed by idtac</infomsg>\n"
)
FAILED = ("Toplevel input, characters 8-13:\n> rewrite bogus.\n>         ^^^^^\n"
          "Error: The reference bogus was not found in the current environment.\n\n")


def test_warnings_and_printed_text_are_not_errors() -> None:
    assert errors_in(WARNED) == []
    (warning,) = warnings_in(WARNED)
    assert (warning.start, warning.end, warning.text) == (0, 5, "Warning: Deprecated. [deprecated]")
    (err,) = errors_in(FAILED)
    assert (err.start, err.end) == (8, 13)
    assert err.text.startswith("Error: The reference bogus")


def test_byte_offsets_map_to_the_candidate_with_unicode() -> None:
    sentence = split_sentences("intros.\n  rewrite (* é *) bogus.")[1]
    msg = to_message(errors_in(FAILED.replace("8-13", "17-22"))[0], sentence)
    assert (msg.line, msg.column, msg.end_column) == (2, 18, 23)
    assert sentence.text[16:21] == "bogus"


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        ("Error: The reference x was not found in the current environment.", "unknown_identifier"),
        ("Error: (in proof t): Attempt to save an incomplete proof", "unsolved_goals"),
        ("Error: Syntax error: '.' expected after [vernac:command] (in [vernac_aux]).", "parse_error"),
        ('Error: In environment n : nat Unable to unify "n" with "n + 0".', "type_mismatch"),
        ("Error: Timeout!", "timeout"),
        ("Error: Tactic failure: Cannot find witness.", "tactic_failed"),
    ],
)
def test_classify(text: str, cls: str) -> None:
    assert classify(text) == cls


def test_missing_library_names() -> None:
    assert missing_library("Error: Cannot find a physical path bound to logical path\nCoquelicot.Coquelicot.") == (
        "Coquelicot.Coquelicot")
    assert missing_library("Error: Cannot find a physical path bound to logical path all_ssreflect with prefix "
                           "mathcomp.") == "mathcomp.all_ssreflect"
    assert missing_library("Error: The reference x was not found") is None


def test_parse_assumptions_sections() -> None:
    assert parse_assumptions("Closed under the global context\n") == ([], [])
    axioms, other = parse_assumptions(
        "Axioms:\nClassicalDedekindReals.sig_forall_dec\n  : forall P : nat -> Prop, P 0\nclassic : forall P : Prop, P\n")
    assert (axioms, other) == (["ClassicalDedekindReals.sig_forall_dec", "classic"], [])
    assert parse_assumptions("Axioms:\nloop is assumed to be guarded.\n")[1]
    assert parse_assumptions("")[1]
