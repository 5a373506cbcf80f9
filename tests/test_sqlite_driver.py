"""SQLite's async driver (livchat/core/sqlite_driver.py): every statement is one trip to aiosqlite's
thread (SQLAlchemy's own adapter makes four), a commit or rollback with nothing to end makes
none, and what SQLAlchemy reads back — rows, rowcount, lastrowid, errors — is as before. In the
short mode (ON_LOOP) statements and commits run on the event loop's thread and make no trip, but
never wait there: the write turn is awaited, and another process's lock is waited for on the thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from livchat.core import sqlite_driver
from livchat.core.db import async_url
from livchat.core.sqlite_driver import ON_LOOP


def short(engine: AsyncEngine) -> AsyncEngine:
    """The engine as `db.session(short=True)` uses it."""
    return engine.execution_options(**{ON_LOOP: True})


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = async_url(f"sqlite:///{tmp_path / 'driver.db'}")
    assert url.startswith("sqlite+livchat_aiosqlite://")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("PRAGMA journal_mode=WAL"))  # as the app opens every database (core/db.py)
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Each call aiosqlite queues to its connection's thread (the library's, observed, still run)."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield seen


async def test_one_trip_per_statement_and_none_for_an_empty_commit(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # opens the pool's connection first
        trips.clear()
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
        assert len(trips) == 1
        await conn.commit()  # nothing was written: SQLite has no transaction to end
        assert len(trips) == 1
        inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('a'), ('b')"))
        assert inserted.rowcount == 2 and len(trips) == 2
        await conn.commit()
        assert len(trips) == 3
        await conn.execute(text("UPDATE t SET v = v || '!' WHERE v = 'a'"))
        await conn.rollback()
        assert len(trips) == 5
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, v FROM t ORDER BY id"))).all()
    assert [tuple(r) for r in rows] == [(1, "a"), (2, "b")]  # the rollback undid the update


@pytest.mark.parametrize("on_loop", [False, True], ids=["thread", "on-loop"])
async def test_rows_counts_ids_and_errors_read_back_as_before(engine: AsyncEngine, on_loop: bool) -> None:
    engine = short(engine) if on_loop else engine
    async with engine.begin() as conn:
        first = await conn.execute(text("INSERT INTO t (v) VALUES ('x')"))
        assert first.lastrowid == 1
        await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "y"}, {"v": "z"}])  # executemany
        updated = await conn.execute(text("UPDATE t SET v = v || '1' WHERE id > 1"))
        assert updated.rowcount == 2
        result = await conn.execute(text("SELECT v FROM t ORDER BY id"))
        assert result.fetchone() == ("x",) and result.fetchmany(1) == [("y1",)] and result.fetchall() == [("z1",)]
        assert (await conn.execute(text("SELECT v FROM t WHERE id = 99"))).first() is None
    with pytest.raises(exc.IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('x')"))
    with pytest.raises(exc.OperationalError):
        async with engine.begin() as conn:
            await conn.execute(text("SELECT nothing FROM nowhere"))
    async with engine.connect() as conn:  # the pool's connection is still good after the errors
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 3


async def thread_of_a_statement(conn: Any) -> int:
    raw = (await conn.get_raw_connection()).driver_connection._conn  # the sqlite3 connection
    raw.create_function("thread_id", 0, threading.get_ident)
    return int((await conn.execute(text("SELECT thread_id()"))).scalar_one())


async def test_short_statements_and_their_commit_run_on_the_loops_thread(engine: AsyncEngine,
                                                                          trips: list[str]) -> None:
    threads: list[int] = []

    async with short(engine).connect() as conn:
        threads.append(await thread_of_a_statement(conn))
        trips.clear()
        await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))  # opens the write transaction
        await conn.execute(text("INSERT INTO t (v) VALUES ('b')"))
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 2
        await conn.commit()
        await conn.execute(text("UPDATE t SET v = 'c' WHERE v = 'a'"))
        await conn.rollback()
        assert trips == []
    async with engine.connect() as conn:
        threads.append(await thread_of_a_statement(conn))
        assert sorted((await conn.execute(text("SELECT v FROM t"))).scalars()) == ["a", "b"]  # committed, rolled back
    assert threads[0] == threading.get_ident() != threads[1]  # the loop's thread; the connection's own


async def test_a_short_write_that_meets_another_process_lock_waits_off_the_loop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "busy.db"
    busy_timeout_s = 30.0
    engine = create_async_engine(async_url(f"sqlite:///{path}"), connect_args={"timeout": busy_timeout_s})
    async with engine.begin() as conn:
        await conn.execute(text("PRAGMA journal_mode=WAL"))
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    sent_to_thread = asyncio.Event()
    original = aiosqlite.Connection._execute

    async def observed(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if any(isinstance(arg, str) and arg.startswith("INSERT") for arg in args):
            sent_to_thread.set()
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", observed)
    other_process = sqlite3.connect(path, isolation_level=None)  # outside the driver: not in the write gate
    try:
        other_process.execute("BEGIN IMMEDIATE")  # holds SQLite's write lock
        other_process.execute("INSERT INTO t (v) VALUES ('theirs')")

        async def write() -> None:
            async with short(engine).begin() as conn:
                await conn.execute(text("INSERT INTO t (v) VALUES ('ours')"))
                await conn.execute(text("INSERT INTO t (v) VALUES ('ours too')"))

        loop = asyncio.get_running_loop()
        started = loop.time()
        writer = asyncio.create_task(write())
        await sent_to_thread.wait()
        # At once, not after the busy timeout: SQLite's busy handler never ran on the loop's thread.
        assert loop.time() - started < busy_timeout_s / 3
        async with short(engine).connect() as reader:  # and the loop serves others while the write waits
            assert (await reader.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
        assert not writer.done()  # still waiting for the lock, in SQLite's busy handler on its thread
        other_process.execute("COMMIT")
        await writer
        assert sorted(v for (v,) in other_process.execute("SELECT v FROM t")) == ["ours", "ours too", "theirs"]
    finally:
        other_process.close()
        await engine.dispose()


async def test_without_wal_short_statements_still_run_on_the_connections_thread(tmp_path: Path) -> None:
    """A rollback journal (a file system without WAL): readers and commits may wait there too."""
    engine = create_async_engine(async_url(f"sqlite:///{tmp_path / 'journal.db'}"))
    try:
        async with short(engine).connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "delete"
            assert await thread_of_a_statement(conn) != threading.get_ident()
    finally:
        await engine.dispose()


# --- the write gate: the process's connections take turns to write ----------------------------

@pytest.fixture
async def no_busy_wait(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """WAL, as the app runs it, with SQLite's own busy handler cut to 0.2 s: a writer that meets
    another's lock (held, below, for 20 ms a turn) fails unless the driver made it wait its turn. Not
    0: opening a WAL database can meet a brief lock on its index, which the handler rides out."""
    engine = create_async_engine(async_url(f"sqlite:///{tmp_path / 'gate.db'}"), connect_args={"timeout": 0.2})
    async with engine.begin() as conn:
        await conn.execute(text("PRAGMA journal_mode=WAL"))
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM t"))).scalar_one())


@pytest.mark.parametrize("on_loop", [False, True], ids=["thread", "on-loop"])
async def test_concurrent_writers_take_turns_instead_of_meeting_the_lock(no_busy_wait: AsyncEngine,
                                                                         on_loop: bool) -> None:
    writers = short(no_busy_wait) if on_loop else no_busy_wait

    async def writer(n: int) -> None:
        async with writers.connect() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": f"a{n}"})
            await asyncio.sleep(0.02)  # work while the transaction is open: 20 of them outlast the busy timeout
            await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": f"b{n}"})
            await conn.commit()

    await asyncio.gather(*(writer(n) for n in range(20)))
    assert await _count(no_busy_wait) == 40


@pytest.mark.parametrize("on_loop", [False, True], ids=["thread", "on-loop"])
async def test_a_failed_or_cancelled_writer_gives_its_turn_back(no_busy_wait: AsyncEngine, on_loop: bool,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_driver, "BUSY_TIMEOUT_SECONDS", 2.0)  # a turn kept by mistake fails fast
    holding = asyncio.Event()
    writers = short(no_busy_wait) if on_loop else no_busy_wait

    async def cancelled_writer() -> None:
        async with writers.connect() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('z')"))
            holding.set()
            await asyncio.Event().wait()  # holds its transaction until cancelled

    async with no_busy_wait.connect() as other:  # a connection of its own, not the writers' below
        await other.execute(text("INSERT INTO t (v) VALUES ('x')"))
        await other.commit()
        with pytest.raises(exc.IntegrityError):
            async with writers.connect() as conn:
                await conn.execute(text("INSERT INTO t (v) VALUES ('y')"))
                await conn.execute(text("INSERT INTO t (v) VALUES ('x')"))  # duplicate: the transaction fails
        await other.execute(text("INSERT INTO t (v) VALUES ('after the failure')"))
        await other.commit()

        task = asyncio.create_task(cancelled_writer())
        await holding.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await other.execute(text("INSERT INTO t (v) VALUES ('after the cancel')"))
        await other.commit()
        assert sorted((await other.execute(text("SELECT v FROM t"))).scalars()) == [
            "after the cancel", "after the failure", "x"]


async def test_a_turn_not_given_in_time_fails_as_sqlite_would(no_busy_wait: AsyncEngine,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_driver, "BUSY_TIMEOUT_SECONDS", 0.2)
    async with no_busy_wait.connect() as holder, no_busy_wait.connect() as waiter:
        await holder.execute(text("INSERT INTO t (v) VALUES ('first')"))  # holds the turn, uncommitted
        with pytest.raises(exc.OperationalError, match="database is locked"):
            await waiter.execute(text("INSERT INTO t (v) VALUES ('second')"))
        assert (await waiter.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0  # reads never wait
        await holder.commit()
    assert await _count(no_busy_wait) == 1
