"""Cursor pages, newest first. Ids are time-ordered ULIDs (core/ids.py), so a page is
`ORDER BY id DESC LIMIT n` and the next one starts below the last id seen (`id < cursor`).
A cursor that is not such an id is refused (422 `invalid_cursor`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_
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


# Lists ordered by a time other than the id's (an inbox: newest activity first) page on the pair
# (time, id): the cursor is the last row's time in microseconds (hex) and its id.
_KEYSET = re.compile(r"^([0-9a-f]{1,16})\.([a-z]+_[0-9a-hjkmnp-tv-z]{26})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def keyset_cursor(moment: datetime, row_id: str) -> str:
    return f"{(moment - _EPOCH) // _MICROSECOND:x}.{row_id}"  # exact: no float on the way


def parse_keyset_cursor(cursor: str) -> tuple[datetime, str]:
    match = _KEYSET.match(cursor)
    if not match:
        raise InvalidInput("invalid_cursor")
    try:
        moment = _EPOCH + int(match.group(1), 16) * _MICROSECOND
    except OverflowError:
        raise InvalidInput("invalid_cursor") from None
    return moment, match.group(2)


async def latest_first(session: AsyncSession, query: Any, time_column: Any, id_column: Any, *, limit: int,
                       cursor: str | None) -> tuple[list[Any], str | None]:
    """(rows, next cursor or None) of `query` ordered by `time_column` then id, newest first; the
    time must be set on every row (NULLs would fall out of the keyset)."""
    limit = max(1, min(int(limit), MAX_PAGE))
    if cursor:
        moment, row_id = parse_keyset_cursor(cursor)
        query = query.where(or_(time_column < moment, and_(time_column == moment, id_column < row_id)))
    rows = list((await session.exec(query.order_by(time_column.desc(), id_column.desc()).limit(limit + 1))).all())
    if len(rows) > limit:
        last = rows[limit - 1]
        return rows[:limit], keyset_cursor(getattr(last, time_column.key), last.id)
    return rows, None
