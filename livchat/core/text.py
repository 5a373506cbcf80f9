"""Checks on the short texts people name things with (organizations, instances, keys, people), and
the accent folding that search and phrase matching share."""

from __future__ import annotations

import re
import unicodedata


def has_control_characters(value: str) -> bool:
    """NUL, escapes, line breaks and other C0/C1 controls: never part of a name (emoji, which use
    format characters such as the zero-width joiner, are fine)."""
    return any(unicodedata.category(c) == "Cc" for c in value)


def without_control_characters(value: str) -> str:
    return "".join(c for c in value if unicodedata.category(c) != "Cc")


def is_valid_unicode(value: str) -> bool:
    """False for text with lone surrogates (JSON's "\\ud800" decodes to one): no UTF-8 form exists,
    so neither database could store it."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# The combining diacritical marks (accents, cedilla, tilde...): one regex pass, about half the cost
# of testing each character in Python (folding runs over every chunk indexed).
_DIACRITICS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(value: str) -> str:
    """Lower case without accents ("Devolução" -> "devolucao"), for matching that ignores both:
    the knowledge base's full-text index and its queries, phrase checks."""
    return _DIACRITICS.sub("", unicodedata.normalize("NFKD", value.casefold()))
