"""The statement read with the header alone, the decls' names taken as parameters.

A statement that needs the decls (`marker -> 2 *-1 = 2` with decls
`Definition marker := True.`) has no header-alone reading to compare with,
so only checks of what the decls touch guarded it. Read instead as a
function of the decls' names that it uses, `fun (marker : _) => ...`,
elaborated before the decls with their types inferred, it has the meaning
the header gives to everything else: its notations, numerals, scopes,
instances and coercions. Applied after the decls to what those names mean
there, it must be convertible to the statement read with the decls
(`Verify.v`). A statement the header cannot read that way (it uses a decls
notation, matches on a decls inductive, or a type cannot be inferred) has no
such reading. When it uses decls names and parses there, the other checks
decide only when the decls hold nothing but definitions, inductive types,
lemmas, sections, modules, and classes with instances of those classes
(`machinery_free`); it is refused otherwise, since notations, instances of
header classes, hints, coercions, options, scope and argument commands are
what those checks could miss. Any other statement without that reading (it
reads only with a decls notation) is judged by the notation, lexing,
registry, scope and argument checks, so the decls may hold only what those
read, and the statement may run no tactic (`notation_checked`).
"""

from __future__ import annotations

import re

from scillm.integrations.certainly.checkers import verdict_text as vt
from scillm.integrations.certainly.checkers.meaning import declared_names, opens_block
from scillm.integrations.certainly.checkers.sentences import split_sentences, split_top_colon
from scillm.integrations.certainly.checkers.vernac import Command, classify

_MAX_NAMES = 64
_PURE = frozenset({"Definition", "Fixpoint", "CoFixpoint", "Inductive", "CoInductive", "Variant", "Record", "Theorem",
                   "Lemma", "Fact", "Remark", "Corollary", "Proposition", "Property", "Example", "Proof", "Qed", "Structure",
                   "Defined", "Section", "End", "Module", "Import", "Export", "Scheme", "Combined"})
_PURE_ATTRIBUTES = frozenset({"local", "global", "export", "program"})
_WHERE = re.compile(r"\bwhere\b")
_FIELD_INSTANCE = re.compile(r"::")  # `{ f :: C }` in a record or class declares an instance (Rocq 9)
#: Why a statement is refused when it cannot be read with the decls' names as parameters and the decls hold more.
UNREAD = ("the statement cannot be read with the header, the decls' names as parameters (it matches on a decls "
          "constructor, uses a decls name at two types, or a name's type cannot be inferred), and the decls declare "
          "notations, instances, hints, coercions, options or scope and argument commands, which could change how it "
          "reads; state it with the decls' names applied as functions, or move those commands into the header")


def general_names(decls: str, statement: str) -> list[str]:
    """The names the decls declare that the statement uses as words, in order of first use."""
    declared = declared_names(decls)
    words = [tok for tok, ident in vt.statement_tokens(statement) if ident and tok not in vt.KEYWORDS]
    return [w for w in words if w in declared][:_MAX_NAMES]


def before_decls(names: list[str], statement: str, parses: bool) -> list[str]:
    """`scillm_general_reading.f`: the statement as a function of `names`, or `tt` when it does not elaborate."""
    binders = " ".join(f"({n} : _)" for n in names)
    body = f"first [exact (fun {binders} => (({statement}) : Type)) | exact tt]" if names and parses else "exact tt"
    return ["Module scillm_general_reading.", 'Local Set Warnings "-all".', f"Definition f := ltac:({body}).",
            "End scillm_general_reading."]


def after_decls(problem: str, names: list[str]) -> str:
    """`scillm_general`: the reading applied to what `names` mean after the decls, None when it does not apply."""
    if not names:
        return "Definition scillm_general : option Type := @None Type."
    return (f"Definition scillm_general : option Type := ltac:(first [exact (Some ({problem}.scillm_general_reading.f "
            f"{' '.join(names)})) | exact (@None Type)]).")


def _instance_class(body: str) -> str | None:
    """The class an `Instance name binders : Class args := ...` is of: the first word after its top-level `:`, or
    None when its type is a product (`Kk -> InjTyp T Z` is an instance of `InjTyp`, not of `Kk`)."""
    parts = split_top_colon(body)
    if parts is None:
        return None
    kind = vt.strip_strings_and_comments(parts[1].split(":=", 1)[0])
    if re.search(r"->|→|\bforall\b|∀", kind):
        return None
    words = re.findall(r"[^\W\d][\w'.]*", kind)
    return words[0] if words else None


#: Commands whose effect on how a statement reads the notation, lexing, scope and argument checks read.
_NOTATION_COMMANDS = frozenset({"Notation", "Infix", "Reserved", "Delimit", "Bind", "Open", "Close", "Arguments",
                                "Declare"})


def _reads_alike(cmd: Command, own_classes: set[str], *, notations: bool) -> bool:
    """Whether one decls command leaves the header's reading of every word alone (with `notations`: or is a
    notation, scope or argument command, which the lexing and scope checks read)."""
    text = vt.strip_strings_and_comments(cmd.body)
    if any(a.strip() not in _PURE_ATTRIBUTES for a in cmd.attributes) or ":>" in text or (
            cmd.head in ("Record", "Structure", "Class") and _FIELD_INSTANCE.search(text)):
        return False
    if not notations and _WHERE.search(text):  # a `where` notation: with `notations`, its `Reserved Notation` is read
        return False
    if cmd.head == "Class":
        return True
    if cmd.head == "Instance":
        return _instance_class(cmd.body) in own_classes
    if notations and cmd.head in _NOTATION_COMMANDS:
        return cmd.head != "Declare" or cmd.words[1:2] == ("Scope",)
    return cmd.head in _PURE and not (cmd.head == "Module" and cmd.words[1:2] == ("Type",))


def _all_read_alike(decls: str, *, notations: bool) -> bool:
    """`_reads_alike` of every decls command, in order. An instance is of the decls' own class only when the decls
    declared that class before it, at the top level, by that name: not a field of theirs, nor a class inside a
    module (`Module M. Class Setoid := {}. End M.` leaves `Setoid` the header's)."""
    own: set[str] = set()
    blocks: list[str] = []
    for sentence in split_sentences(decls):
        cmd = classify(sentence)
        if cmd.kind != "command":
            continue
        if not _reads_alike(cmd, own, notations=notations):
            return False
        if opens_block(cmd):
            blocks.append(cmd.head)
        elif cmd.head == "End" and blocks:
            blocks.pop()
        elif cmd.head == "Class" and "Module" not in blocks and len(cmd.words) > 1:
            own.add(cmd.words[1])
    return True


def machinery_free(decls: str) -> bool:
    """True when the decls hold only definitions, inductive types, lemmas and their proofs, sections, modules, and
    classes with instances of those classes: nothing that changes how the header reads the statement's text."""
    return _all_read_alike(decls, notations=False)


_TACTIC_IN_TERM = re.compile(r"\bltac2?:|\$\(|\blazymatch\b|\bmultimatch\b")
#: Why a statement that reads only with the decls' notations is refused when the decls also hold other machinery.
UNCHECKED = ("the statement reads only with the decls (it uses their notations) and the decls also hold commands no "
             "check of the statement reads (instances of header classes, coercions, canonical structures, hints, "
             "tactics, options, transparency, implicit types), or the statement runs a tactic, which could change "
             "how it reads; move those commands into the header, or state it without them")


def notation_checked(decls: str, statement: str) -> bool:
    """True when a statement read only with the decls (it uses their notations) can be judged by the notation,
    lexing, scope and argument checks: the decls hold only what `machinery_free` allows and notation, scope and
    argument commands, and the statement runs no tactic (a tactic in a term reads hints, transparency and tactic
    definitions, which no check compares). An instance of a header class, a coercion or a canonical structure
    could be found while the header's own functions elaborate (at a decls alias of a header type, `Definition
    myProp := Prop.`), and the registry check names them only by the words they print as."""
    if _TACTIC_IN_TERM.search(vt.strip_strings_and_comments(statement)):
        return False
    return _all_read_alike(decls, notations=True)


def unread_refusal(decls: str, statement: str, *, parses: bool) -> str | None:
    """Why a statement with no reading to compare is refused, or None: then the decls hold only what checks read."""
    if parses and general_names(decls, statement.strip()) and not machinery_free(decls):
        return UNREAD
    if not notation_checked(decls, statement):
        return UNCHECKED
    return None


def applies_sentences(problem: str, seps: list[str]) -> list[str]:
    """Verify.v's answer, between `seps`, to whether the reading with the names as parameters applied."""
    return [vt.locate_line(seps[0]),
            f"Eval lazy in (match {problem}.scillm_general with Some _ => true | None => false end).",
            vt.locate_line(seps[1])]


def same_sentence(problem: str) -> str:
    """Verify.v's check, by the problem's full names, that the applied reading is the statement's."""
    return (f"Definition scillm_same_general : (match {problem}.scillm_general with Some T => T | None => "
            f"{problem}.scillm_statement end) -> {problem}.scillm_statement := fun x => x.")


__all__ = ["UNCHECKED", "UNREAD", "after_decls", "applies_sentences", "before_decls", "general_names", "machinery_free",
           "notation_checked", "same_sentence"]
