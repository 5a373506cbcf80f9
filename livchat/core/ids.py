"""Time-ordered ids: a prefix plus a ULID (48-bit milliseconds, 80 random bits, Crockford base32).

Ordering by id is ordering by creation, which makes cursor pagination a plain `id < cursor`.
Within a process that holds within a millisecond too (ULID's monotonic mode: the next id of the
same millisecond is the previous one plus one), so rows created in a burst — a webhook log's
deliveries, say — list in the order they were made.
"""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_last = 0  # the last generated value (timestamp and randomness), for monotonic ids
_lock = threading.Lock()


def ulid(timestamp_ms: int | None = None) -> str:
    global _last
    if timestamp_ms is None:
        with _lock:
            value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
            if value >> 80 <= _last >> 80:  # the same millisecond (or the clock stepped back)
                value = _last + 1
            _last = value
    else:
        value = (timestamp_ms << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars)).lower()


def new_id(prefix: str) -> str:
    return f"{prefix}_{ulid()}"


def later_id(prefix: str, previous: str | None) -> str:
    """A new id that sorts after `previous` (an id of the same prefix), even within its millisecond
    or when this machine's clock is behind: rows that must keep their order (a conversation's
    messages, read with `after=<id>`) take it while holding their parent's lock."""
    candidate = ulid()
    if previous is None:
        return f"{prefix}_{candidate}"
    last = previous.rpartition("_")[2]
    if len(last) == 26 and candidate <= last:
        value = 0
        for char in last.upper():
            value = value * 32 + _ALPHABET.index(char)
        value += 1
        chars = []
        for _ in range(26):
            value, rem = divmod(value, 32)
            chars.append(_ALPHABET[rem])
        candidate = "".join(reversed(chars)).lower()
    return f"{prefix}_{candidate}"
