"""Checks on the short texts people name things with (organizations, instances, keys, people)."""

from __future__ import annotations

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
