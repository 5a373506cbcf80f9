"""SQLite's async driver (livchat/core/sqlite_driver.py): every statement is one trip to aiosqlite's
thread (SQLAlchemy's own adapter makes four), a commit or rollback with nothing to end makes
none, and what SQLAlchemy reads back — rows, rowcount, lastrowid, errors — is as before."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from livchat.core.db import async_url


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = async_url(f"sqlite:///{tmp_path / 'driver.db'}")
    assert url.startswith("sqlite+livchat_aiosqlite://")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
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


async def test_rows_counts_ids_and_errors_read_back_as_before(engine: AsyncEngine) -> None:
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
