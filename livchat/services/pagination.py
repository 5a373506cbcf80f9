"""Cursor pages, newest first. Ids are time-ordered ULIDs (core/ids.py), so a page is
`ORDER BY id DESC LIMIT n` and the next one starts below the last id seen (`id < cursor`).
A cursor that is not such an id is refused (422 `invalid_cursor`)."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.services.errors import InvalidInput

MAX_PAGE = 100
# What `new_id` makes: a prefix, "_", 26 lower-case Crockford base32 characters.
_ID = re.compile(r"^[a-z]+_[0-9a-hjkmnp-tv-z]{26}$")


async def newest_first(session: AsyncSession, query: Any, id_column: Any, *, limit: int,
                       cursor: str | None) -> tuple[list[Any], str | None]:
    """(rows, next cursor or None) of `query`; `limit` is clamped to 1..MAX_PAGE."""
    limit = max(1, min(int(limit), MAX_PAGE))
    if cursor:
        if not _ID.match(cursor):  # a forged or mangled cursor is an error, not an empty or first page
            raise InvalidInput("invalid_cursor")
        query = query.where(id_column < cursor)
    rows = list((await session.exec(query.order_by(id_column.desc()).limit(limit + 1))).all())
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].id
    return rows, None
