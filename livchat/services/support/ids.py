"""The shape of our ids (`new_id`: a prefix, "_", 26 Crockford base32 characters). An input that
does not have it names no row: it is refused before it reaches a query (a NUL or a 10 MB string
in a path must be a 404, not a database error)."""

from __future__ import annotations

import re
from typing import Any

_ID = re.compile(r"^[a-z]+_[0-9a-hjkmnp-tv-z]{26}$")


def is_id(value: Any, prefix: str | None = None) -> bool:
    if not isinstance(value, str) or not _ID.match(value):
        return False
    return prefix is None or value.startswith(prefix + "_")
