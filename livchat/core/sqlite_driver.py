"""SQLite through aiosqlite with one trip to the connection's thread per statement.

SQLAlchemy's aiosqlite adapter makes four trips per statement (create the cursor, execute,
fetch the rows, close the cursor), each a queue put, a thread wake-up and a call back into the
event loop. Measured on the send path, those round trips, not SQL, were what a request cost.
This dialect (`sqlite+livchat_aiosqlite://`) is SQLAlchemy's own aiosqlite dialect with two
changes: its cursor runs execute + fetch-all + close as one function on aiosqlite's thread, and
a commit or rollback with no transaction open (sqlite3 would do nothing) makes no trip.
Transactions, isolation, errors and the pool are SQLAlchemy's and aiosqlite's as they are.

And one addition: the process's connections to a database file take turns to write (`WriteGate`).
SQLite lets one transaction write at a time; the others used to wait in SQLite's busy handler,
which polls with sleeps of up to 100 ms, so under 50 concurrent sends a writer often slept long
after the lock was free (p99 1.3 s). Here a connection about to open a write transaction waits
its turn on an asyncio lock, in order, and is woken the moment the previous writer commits or
rolls back. Other processes (the CLI, a second worker) still meet SQLite's own lock and busy
timeout, and a turn not given within that timeout fails as SQLite would ("database is locked").
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Sequence
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)

DRIVER = "livchat_aiosqlite"
BUSY_TIMEOUT_SECONDS = 10.0  # the same as the connections' PRAGMA busy_timeout (core/db.py)
_READS = ("SELECT", "PRAGMA", "EXPLAIN")


class WriteGate:
    """One per database file and event loop: which of its connections holds the write turn."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self.owner: aiosqlite.Connection | None = None

    async def enter(self, connection: aiosqlite.Connection) -> None:
        try:
            async with asyncio.timeout(BUSY_TIMEOUT_SECONDS):
                await self._lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        self.owner = connection

    def leave(self, connection: aiosqlite.Connection) -> None:
        if self.owner is connection:
            self.owner = None
            self._lock.release()


# Per event loop (an asyncio lock belongs to one), held weakly: a closed loop takes its gates with it.
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, WriteGate]] = weakref.WeakKeyDictionary()
_gate_of: weakref.WeakKeyDictionary[aiosqlite.Connection, WriteGate] = weakref.WeakKeyDictionary()


def _gate_for(database: str) -> WriteGate:
    gates = _gates.setdefault(asyncio.get_running_loop(), {})
    gate = gates.get(database)
    if gate is None:
        gate = gates[database] = WriteGate()
    return gate


def _opens_write(raw: sqlite3.Connection | None, operation: str) -> bool:
    """A statement that will start a write transaction: a write while none is open."""
    return raw is not None and not raw.in_transaction and not operation.lstrip()[:7].upper().startswith(_READS)


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
        connection = self._connection
        gate = _gate_of.get(connection)
        raw = connection._connection
        if gate is not None and gate.owner is not connection and _opens_write(raw, operation):
            await gate.enter(connection)
        try:
            self.description, self._rows, self.rowcount, self.lastrowid = await connection._execute(
                _run, connection._conn, operation, parameters, many)  # type: ignore[no-untyped-call]
        finally:
            if gate is not None and not (raw is not None and raw.in_transaction):
                gate.leave(connection)  # no transaction left open (autocommit, or it failed before BEGIN)

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
        try:
            if raw is not None and raw.in_transaction:
                super().commit()
        finally:
            self._leave_gate()

    def rollback(self) -> None:
        raw = self._connection._connection
        try:
            if raw is not None and raw.in_transaction:
                super().rollback()
        finally:
            self._leave_gate()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave_gate()

    def terminate(self) -> None:
        try:
            super().terminate()
        finally:
            self._leave_gate()

    def _leave_gate(self) -> None:
        connection = cast(aiosqlite.Connection, self._connection)
        gate = _gate_of.get(connection)
        if gate is not None:
            gate.leave(connection)


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _Connection:
        adapted = super().connect(*arg, **kw)
        database = str(arg[0] if arg else kw.get("database", ""))
        if database and database != ":memory:" and "mode=memory" not in database:
            connection = cast(aiosqlite.Connection, adapted._connection)
            _gate_of[connection] = _gate_for(database)
        return _Connection(self, adapted._connection)


class Dialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> _DBAPI:
        return _DBAPI(aiosqlite, sqlite3)
