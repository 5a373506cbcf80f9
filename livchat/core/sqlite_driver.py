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

And a mode for short work (`ON_LOOP`, an execution option: `db.session(short=True)`): the
statements of the busiest paths (an API key's lookup, a send, an inbound event) are single rows
found by index, which SQLite runs in microseconds, less than a trip to the thread costs (and under
load, when the thread's wake-up lands on the other core, much less). In that mode a statement
runs on the event loop's own thread, and so does its transaction's commit or rollback. Nothing
there may wait: the write turn is awaited (an asyncio lock); SQLite's busy handler is off for the
statement, and a write that meets another process's lock goes to the connection's thread, which
waits as before; and the mode applies in WAL mode only, where readers and a commit never wait.
A commit may run SQLite's automatic checkpoint on the loop (every ~4 MB of WAL; 3-5 ms measured
here). Sessions that did not ask for the mode run everything on the thread.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import weakref
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util.concurrency import await_

DRIVER = "livchat_aiosqlite"
ON_LOOP = "livchat_sqlite_on_loop"  # execution option: short statements run on the event loop's thread
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


class _Facts(NamedTuple):
    busy_timeout_ms: int  # PRAGMA busy_timeout, as set when the connection was opened
    wal: bool  # WAL journal (as core/db.py opens every database): readers and writers never wait on each other


_facts_of: weakref.WeakKeyDictionary[aiosqlite.Connection, _Facts] = weakref.WeakKeyDictionary()


def _facts(connection: aiosqlite.Connection, raw: sqlite3.Connection) -> _Facts:
    """What the ON_LOOP mode needs to know of a connection, read once."""
    facts = _facts_of.get(connection)
    if facts is None:
        busy_ms = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
        wal = str(raw.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal"
        facts = _facts_of[connection] = _Facts(busy_ms, wal)
    return facts


def _leave_turn_when_done(connection: aiosqlite.Connection) -> None:
    """After a statement: give the write turn back if no transaction is left open (autocommit, or
    it failed before BEGIN); an open one keeps it until its commit or rollback."""
    gate = _gate_of.get(connection)
    raw = connection._connection
    if gate is not None and not (raw is not None and raw.in_transaction):
        gate.leave(connection)


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
            _leave_turn_when_done(connection)

    def run_here(self, operation: str, parameters: Any) -> bool:
        """Run the statement on this (the event loop's) thread, with no busy wait: True when it
        ran. False when the database is not in WAL mode, or when the statement would open a write
        transaction while another process holds SQLite's lock; the caller then runs it on the
        connection's thread, where SQLite's busy handler waits (the write turn stays taken, the
        transaction open, and the statement is run again there: SQLite allows retrying a statement
        that failed with SQLITE_BUSY)."""
        connection = self._connection
        raw = connection._connection
        if raw is None:
            return False
        facts = _facts(connection, raw)
        if not facts.wal:
            return False  # with a rollback journal, reads and commits can wait too: all on the thread
        gate = _gate_of.get(connection)
        opens_write = _opens_write(raw, operation)
        if opens_write:
            if gate is not None and gate.owner is not connection:
                await_(gate.enter(connection))  # waits for this process's writer, if any: never blocks the loop
            raw.execute("PRAGMA busy_timeout=0")
        try:
            self.description, self._rows, self.rowcount, self.lastrowid = _run(raw, operation, parameters, False)
        except sqlite3.OperationalError as error:
            if opens_write and error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
                return False
            raise
        finally:
            if opens_write:
                raw.execute(f"PRAGMA busy_timeout={facts.busy_timeout_ms}")
            _leave_turn_when_done(connection)
        return True

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


async def _nothing() -> None:
    return None


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def execute_here(self, operation: str, parameters: Any) -> None:
        """`execute` for a session in ON_LOOP mode (see the module's docstring)."""
        cursor = cast(OneTripCursor, self._cursor)
        try:
            ran = cursor.run_here(operation, parameters)
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        if not ran:
            self.execute(operation, parameters)
            return
        cast(_Connection, self._adapt_connection).on_loop = True  # its transaction ends here too
        # AsyncConnection.execute insists that the driver awaited something (it guards against
        # sync drivers): one switch to the loop's greenlet and back, a microsecond or two.
        await_(_nothing())
        self._rows = collections.deque(cursor._rows) if cursor.description else collections.deque()
        cursor._rows = []

    def _make_new_cursor(self, connection: Any) -> Any:
        return OneTripCursor(connection)

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor  # nothing to await: no trip to the thread to open it


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("on_loop",)
    _cursor_cls = _Cursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.on_loop = False  # a statement of the open transaction ran on the loop's thread

    # sqlite3's commit and rollback do nothing outside a transaction: then skip the trip too (a
    # read-only session's end, a pool return after a commit). SQLAlchemy awaits every call on a
    # connection, so its thread is idle while this reads the flag.
    def commit(self) -> None:
        self._end(commit=True)

    def rollback(self) -> None:
        self._end(commit=False)

    def _end(self, *, commit: bool) -> None:
        raw = self._connection._connection
        try:
            if raw is None or not raw.in_transaction:
                return
            if not self.on_loop:
                super().commit() if commit else super().rollback()  # a trip to the thread
                return
            try:
                raw.commit() if commit else raw.rollback()
            except Exception as error:
                self._handle_exception(error)
        finally:
            self.on_loop = False
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
        # ON_LOOP statements use the sqlite3 connection from the loop's thread; never at the same
        # time as its own thread: SQLAlchemy awaits each call on a connection before the next.
        kw["check_same_thread"] = False
        adapted = super().connect(*arg, **kw)
        database = str(arg[0] if arg else kw.get("database", ""))
        if database and database != ":memory:" and "mode=memory" not in database:
            connection = cast(aiosqlite.Connection, adapted._connection)
            _gate_of[connection] = _gate_for(database)
        return _Connection(self, adapted._connection)


class Dialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        if context is not None and context.execution_options.get(ON_LOOP):
            cursor.execute_here(statement, parameters)
        else:
            cursor.execute(statement, parameters)

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any = None) -> None:
        self.do_execute(cursor, statement, None, context)

    @classmethod
    def import_dbapi(cls) -> _DBAPI:
        return _DBAPI(aiosqlite, sqlite3)
