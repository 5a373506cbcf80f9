"""Time-ordered ids: a prefix plus a ULID (48-bit milliseconds, 80 random bits, Crockford base32).

Ordering by id is ordering by creation, which makes cursor pagination a plain `id < cursor`.
"""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(timestamp_ms: int | None = None) -> str:
    ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars)).lower()


def new_id(prefix: str) -> str:
    return f"{prefix}_{ulid()}"
