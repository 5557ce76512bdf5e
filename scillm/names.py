"""Suggestions ("did you mean") for names a caller typed: providers, backends, keyword arguments.

One validator for keyword arguments (`check_keywords`) so every entry point
rejects a misspelt option the same way, with the right name in the message.
Standalone on purpose: engines and adapters both use it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from scillm.errors import InvalidRequestError


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest of `choices` to `word`, or None when nothing is close."""
    pool = sorted(set(choices))
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered:
        return lowered[word.lower()]
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.7)
    return lowered[close[0]] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`" (did you mean 'x'?)"`, or an empty string when nothing is close."""
    best = suggest(word, choices)
    return f" (did you mean {best!r}?)" if best and best != word else ""


def check_keywords(given: Iterable[str], allowed: Iterable[str], *, where: str,
                   hints: Mapping[str, str] | None = None) -> None:
    """Raise InvalidRequestError naming every unknown keyword and the right one to use.

    `hints` maps a known wrong name to what to do instead (for names that are
    not typos, e.g. `messages_list=` on a Python API that takes `requests`).
    """
    allowed_set = set(allowed)
    unknown = [k for k in given if k not in allowed_set]
    if not unknown:
        return
    parts = []
    for key in unknown:
        if hints and key in hints:
            parts.append(f"{key!r} is not a parameter of {where}: {hints[key]}")
        else:
            parts.append(f"unknown parameter {key!r} for {where}{did_you_mean(key, allowed_set)}")
    raise InvalidRequestError("; ".join(parts))


__all__ = ["check_keywords", "did_you_mean", "suggest"]
