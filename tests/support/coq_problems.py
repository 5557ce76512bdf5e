"""Coq problem parts that the decls attack tests share: a marker that makes a statement need the decls, and the
header and statement over which a decls instance or notation flips `1/2 === 2/4`."""

MARKER = "Definition marker := True.\n"
SSR = "From Coq Require Import ssreflect ssrfun."
QEQ = "Require Import QArith Coq.Classes.Equivalence.\nOpen Scope equiv_scope."
HALF = "marker -> ~ ((1#2) === (2#4))%Q"
UNFOLD = "intros _ H. unfold equiv in H. discriminate H."
