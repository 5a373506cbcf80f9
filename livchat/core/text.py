"""Checks on the short texts people name things with (organizations, instances, keys, people), and
the accent folding that search and phrase matching share."""

from __future__ import annotations

import unicodedata


def has_control_characters(value: str) -> bool:
    """NUL, escapes, line breaks and other C0/C1 controls: never part of a name (emoji, which use
    format characters such as the zero-width joiner, are fine)."""
    return any(unicodedata.category(c) == "Cc" for c in value)


def without_control_characters(value: str) -> str:
    return "".join(c for c in value if unicodedata.category(c) != "Cc")


def fold(value: str) -> str:
    """Lower case without accents ("Devolução" -> "devolucao"), for matching that ignores both:
    the knowledge base's full-text index and its queries, phrase checks."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
