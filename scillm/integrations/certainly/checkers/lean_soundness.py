"""What a Lean proof may not contain, and which axioms an accepted proof may use.

Pure text logic: comments and string literals are blanked (positions kept)
before forbidden tokens are searched, so `-- sorry` in a comment is harmless
while `sorry` in code is caught before Lean ever sees the candidate. The
verdict from Lean's own output (`sorries`, the `declaration uses 'sorry'`
warning, `#print axioms`) is the second line of defence, applied in `lean.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALLOWED_AXIOMS: frozenset[str] = frozenset({"propext", "Classical.choice", "Quot.sound"})

_ID_BEFORE = r"(?<![\w.'?!])"
_ID_AFTER = r"(?![\w'?!])"

_ALWAYS = {
    "sorry": r"sorry",
    "admit": r"admit",
    "axiom": r"axiom",
    "unsafe": r"unsafe",
    "implemented_by": r"implemented_by",
    "extern": r"extern",
    "ofReduceBool": r"(?:Lean\.)?ofReduceBool",
    "debug.skipKernelTC": r"debug\.skipKernelTC",
    "debug option": r"debug\.(?!skipKernelTC)[\w.]+",
}

_NATIVE = {
    "native_decide": r"native_decide",
    "decide +native": r"\+\s*native",
    "native := true": r"native\s*:=\s*true",
}

_COMMANDS = ["theorem", "lemma", "def", "abbrev", "instance", "example", "opaque", "structure", "class", "inductive", "coinductive", "namespace", "section", "end", "export", "attribute", "macro", "macro_rules", "syntax", "elab", "elab_rules", "notation", "infix", "infixl", "infixr", "prefix", "postfix", "import", "universe", "variable", "noncomputable", "private", "protected", "mutual", "deriving", "initialize", "builtin_initialize", "run_cmd", "declare_syntax_cat", "add_decl_doc"]


@dataclass(frozen=True)
class Violation:
    """One forbidden construct, positioned in the text it was found in (1-based line, 0-based column)."""

    what: str
    line: int
    column: int


def blank_comments_and_strings(text: str) -> str:
    """The same text with comments (`--`, nested `/- -/`) and string/char literals blanked."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        if text.startswith("--", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            _blank(out, i, j)
            i = j
        elif text.startswith("/-", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/-", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("-/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            _blank(out, i, j)
            i = j
        elif text[i] == "'" and (char := _CHAR_RE.match(text, i)) and not _is_ident_char(text, i - 1):
            _blank(out, i, char.end())
            i = char.end()
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            _blank(out, i, min(j + 1, n))
            i = j + 1
        else:
            i += 1
    return "".join(out)


_CHAR_RE = re.compile(r"'(?:\\.[^']{0,8}|[^\\'\n])'")


def _is_ident_char(text: str, index: int) -> bool:
    return index >= 0 and (text[index].isalnum() or text[index] in "_.'?!")


def _blank(out: list[str], start: int, end: int) -> None:
    for k in range(start, min(end, len(out))):
        if out[k] != "\n":
            out[k] = " "


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1)


def _scan(code: str, patterns: dict[str, str]) -> list[Violation]:
    found = []
    for what, pattern in patterns.items():
        for m in re.finditer(_ID_BEFORE + pattern + _ID_AFTER, code):
            found.append(Violation(what, *_position(code, m.start())))
    return found


def forbidden_in_decls(decls: str, *, allow_native_decide: bool = False) -> list[Violation]:
    """Constructs that make auxiliary declarations unsound (commands themselves are fine there)."""
    code = blank_comments_and_strings(decls)
    patterns = dict(_ALWAYS)
    if not allow_native_decide:
        patterns.update(_NATIVE)
    return sorted(_scan(code, patterns), key=lambda v: (v.line, v.column))


def forbidden_in_proof(proof: str, *, allow_native_decide: bool = False) -> list[Violation]:
    """Everything `forbidden_in_decls` rejects, plus any command that would escape the declaration."""
    code = blank_comments_and_strings(proof)
    found = forbidden_in_decls(proof, allow_native_decide=allow_native_decide)
    found += _scan(code, {f"command `{c}`": re.escape(c) for c in _COMMANDS})
    found += _scan(code, {"`#` command": r"#[A-Za-z_]\w*"})
    for keyword in ("open", "set_option"):
        for m in re.finditer(_ID_BEFORE + keyword + _ID_AFTER + r"(?![^\n]*\bin\b)", code):
            found.append(Violation(f"command `{keyword}` (only `{keyword} ... in` is allowed)",
                                   *_position(code, m.start())))
    return sorted(set(found), key=lambda v: (v.line, v.column))


_AXIOMS_RE = re.compile(r"depends on axioms:\s*\[(?P<list>[^\]]*)\]", re.DOTALL)
_NO_AXIOMS_RE = re.compile(r"does not depend on any axioms")


def parse_axioms(text: str) -> list[str] | None:
    """Axioms named by `#print axioms` output; None when the text is not such output."""
    m = _AXIOMS_RE.search(text)
    if m is not None:
        return [a.strip() for a in m.group("list").split(",") if a.strip()]
    if _NO_AXIOMS_RE.search(text):
        return []
    return None


def is_sorry_warning(text: str) -> bool:
    """Lean's warning for a declaration that depends on `sorry` (both quote styles seen in releases)."""
    return re.search(r"declaration uses ['`]sorry['`]", text) is not None


__all__ = [
    "ALLOWED_AXIOMS",
    "Violation",
    "blank_comments_and_strings",
    "forbidden_in_decls",
    "forbidden_in_proof",
    "is_sorry_warning",
    "parse_axioms",
]
