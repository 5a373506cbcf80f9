"""SQLite through aiosqlite with one trip to the connection's thread per statement.

SQLAlchemy's aiosqlite adapter makes four trips per statement (create the cursor, execute,
fetch the rows, close the cursor), each a queue put, a thread wake-up and a call back into the
event loop. Measured on the send path, those round trips, not SQL, were what a request cost.
This dialect (`sqlite+livchat_aiosqlite://`) is SQLAlchemy's own aiosqlite dialect with two
changes: its cursor runs execute + fetch-all + close as one function on aiosqlite's thread, and
a commit or rollback with no transaction open (sqlite3 would do nothing) makes no trip.
Transactions, isolation, errors and the pool are SQLAlchemy's and aiosqlite's as they are.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)

DRIVER = "livchat_aiosqlite"


def _run(raw: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> tuple[Any, list[Any], int, Any]:
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor:
    """The part of an aiosqlite cursor SQLAlchemy's adapter uses, every statement in one trip."""

    arraysize = 1

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: Any = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def execute(self, operation: str, parameters: Any = None) -> None:
        await self._run(operation, parameters, many=False)

    async def executemany(self, operation: str, parameters: Sequence[Any]) -> None:
        await self._run(operation, parameters, many=True)

    async def _run(self, operation: str, parameters: Any, *, many: bool) -> None:
        self.description, self._rows, self.rowcount, self.lastrowid = await self._connection._execute(
            _run, self._connection._conn, operation, parameters, many)  # type: ignore[no-untyped-call]

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self.arraysize
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *_: Any) -> None:
        return None

    async def close(self) -> None:
        self._rows = []


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        return OneTripCursor(connection)

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor  # nothing to await: no trip to the thread to open it


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _Cursor

    # sqlite3's commit and rollback do nothing outside a transaction: then skip the trip too (a
    # read-only session's end, a pool return after a commit). SQLAlchemy awaits every call on a
    # connection, so its thread is idle while this reads the flag.
    def commit(self) -> None:
        raw = self._connection._connection
        if raw is not None and raw.in_transaction:
            super().commit()

    def rollback(self) -> None:
        raw = self._connection._connection
        if raw is not None and raw.in_transaction:
            super().rollback()


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _Connection:
        adapted = super().connect(*arg, **kw)
        return _Connection(self, adapted._connection)


class Dialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> _DBAPI:
        return _DBAPI(aiosqlite, sqlite3)
