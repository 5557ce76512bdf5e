"""Cut a whole Lean file into header, decls, name and statement, read with Lean's own tokens.

The theorem to prove is the one left OPEN: its body holds `sorry`, or the
file ends after its statement or its `:=` (or the file is one closed
theorem, which is then its own target). Exactly one declaration may be
open (`theorem`, `lemma`, `example`, `proof_wanted`, with any modifiers or
attributes), and
`sorry` may appear nowhere else, so a closed helper never stands in for the
open target and nothing open is dropped. Comments are read as comments: a
`:=` or an `open` inside one changes nothing. The header is the file's
leading run of `import`, `open` and `set_option` commands; everything else
before the target is decls, exactly as written.
"""

from __future__ import annotations

from dataclasses import dataclass

from scillm.integrations.certainly.checkers.lean_rules import DECL_STARTS
from scillm.integrations.certainly.checkers.lean_tokens import Token, tokenize

_THEOREMS = frozenset({"theorem", "lemma", "example", "proof_wanted"})  # Mathlib's `proof_wanted` is open by design
#: Words that start a command wherever they stand (`open` and `set_option` may also begin a term with `in`),
#: with every command word the text rules know; `#eval`-like tokens start one too.
_COMMANDS = _THEOREMS | (DECL_STARTS - {"@["}) | frozenset({"definition"})
_MODIFIERS = frozenset({"private", "protected", "noncomputable", "scoped", "local", "partial", "nonrec", "unsafe"})
_HEADER = frozenset({"import", "open", "set_option"})
_OPEN_WORDS = frozenset({"sorry", "admit"})


class LeanSplitError(ValueError):
    """The Lean file has no single open theorem, or cannot be read."""


@dataclass(frozen=True)
class LeanSplit:
    """The parts of a Lean file: `signature` is the target's binders and type as written, comments blanked."""

    header: str
    name: str
    signature: str
    decls: str


@dataclass(frozen=True)
class _Command:
    start: int  # index in the code tokens of the command's first token (its modifiers and attributes included)
    head: int  # index of the command's keyword
    end: int  # index one past its last token


def _commands(code: list[Token]) -> list[_Command]:
    """The file's commands: each begins at a command word (or the attributes and modifiers before one)."""
    heads = [i for i, t in enumerate(code) if (t.kind == "ident" and t.text in _COMMANDS or t.kind == "hash")
             and not (t.text in ("open", "set_option") and _in_term(code, i))]
    out: list[_Command] = []
    for k, h in enumerate(heads):
        if k and heads[k - 1] == h - 1 and code[h - 1].text in _MODIFIERS:
            continue  # `private theorem`: one command
        start = h
        while start > 0 and code[start - 1].text in _MODIFIERS:
            start -= 1
        if start > 0 and code[start - 1].text == "]":
            depth, j = 0, start - 1
            while j >= 0:
                depth += code[j].text == "]"
                depth -= code[j].text in ("@[", "[")
                if depth == 0 and code[j].text == "@[":
                    start = j
                    break
                j -= 1
        out.append(_Command(start, h if code[h].text not in _MODIFIERS else _keyword(code, h), 0))
    return [_Command(c.start, c.head, out[k + 1].start if k + 1 < len(out) else len(code)) for k, c in enumerate(out)]


def _keyword(code: list[Token], i: int) -> int:
    while i < len(code) and code[i].text in _MODIFIERS:
        i += 1
    return i


def _in_term(code: list[Token], i: int) -> bool:
    """True when `open`/`set_option` at `i` is `open X in` inside a term: no command follows on its line before `in`."""
    line, j = code[i].line, i + 1
    if code[i].column == 0:
        return False
    while j < len(code) and code[j].line == line:  # this line only: a long file stays linear
        if code[j].text == "in":
            return True
        j += 1
    return False


def _body(code: list[Token], cmd: _Command) -> tuple[int | None, bool]:
    """(index of the top-level `:=` of a theorem-like command, whether it is open)."""
    depth = lets = 0
    for j in range(cmd.head + 1, cmd.end):
        text = code[j].text
        if code[j].kind == "ident" and text in ("let", "have") and depth == 0:
            lets += 1
        elif text == ":=" and depth == 0 and lets:
            lets -= 1
        elif text in ("(", "[", "{", "⟨", "@[", "⦃"):
            depth += 1
        elif text in (")", "]", "}", "⟩", "⦄"):
            depth -= 1
        elif text == ":=" and depth == 0:
            rest = code[j + 1: cmd.end]
            return j, not rest or (len(rest) == 1 and rest[0].text == "by") or any(
                t.kind == "ident" and t.text in _OPEN_WORDS for t in rest)
        elif text == "|" and depth == 0:
            return j, any(t.kind == "ident" and t.text in _OPEN_WORDS for t in code[j: cmd.end])
    return None, True


def split_lean_file(text: str) -> LeanSplit:
    """The single open theorem of `text`, its statement read up to the top-level `:=`."""
    lexed = tokenize(text)
    if lexed.problems:
        raise LeanSplitError(f"cannot lex the file at line {lexed.problems[0].line}")
    code = lexed.code
    commands = _commands(code)
    if commands and commands[0].start > 0:
        stray_start = code[0]
        raise LeanSplitError(f"`{stray_start.text}` on line {stray_start.line} does not begin a command this reader knows; "
                             "a file must consist of commands (imports, declarations, the theorem)")
    theorems = [c for c in commands if code[c.head].text in _THEOREMS]
    if not theorems:
        raise LeanSplitError("no theorem in the file")
    opened = [(c, _body(code, c)) for c in theorems]
    targets = [(c, body) for c, (body, is_open) in opened if is_open]
    if not targets and len(theorems) == 1 and theorems[0] is commands[-1]:
        targets = [(theorems[0], opened[0][1][0])]  # the file is one closed theorem: it is the target
    if len(targets) != 1:
        names = ", ".join(_name(code, c) for c, _ in (targets or [(c, None) for c in theorems]))
        raise LeanSplitError(f"{'several open theorems' if targets else 'no open theorem'}: {names}; leave exactly "
                             "one open (its proof `sorry`)")
    target, body = targets[0]
    stray = [t for c in commands if c is not target for t in code[c.start: c.end]
             if t.kind == "ident" and t.text in _OPEN_WORDS]
    if stray:
        raise LeanSplitError(f"`{stray[0].text}` on line {stray[0].line} is outside the open theorem")
    named = code[target.head].text != "example"
    first = target.head + 1 + (1 if named else 0)
    if first >= len(code) or (body is not None and first >= body):
        raise LeanSplitError(f"theorem {_name(code, target)} has no statement")
    start = code[first].start
    end = code[body].start if body is not None else code[target.end - 1].end
    chars = list(text[start:end])
    for comment in lexed.tokens:
        if comment.kind == "comment" and start <= comment.start < end:
            for i in range(comment.start - start, min(comment.end, end) - start):
                chars[i] = " "
    before = [c for c in commands if c.end <= target.start]
    n = 0
    while n < len(before) and code[before[n].head].text in _HEADER:
        n += 1
    header = text[: code[before[n - 1].end - 1].end] if n else ""
    decls = text[code[before[n].start].start: code[target.start].start] if n < len(before) else ""
    return LeanSplit(header.strip(), _name(code, target) if named else "certainly_goal", " ".join("".join(chars).split()),
                     decls.strip())


def _name(code: list[Token], cmd: _Command) -> str:
    return code[cmd.head + 1].name if code[cmd.head].text != "example" and cmd.head + 1 < len(code) else "example"


__all__ = ["LeanSplit", "LeanSplitError", "split_lean_file"]
