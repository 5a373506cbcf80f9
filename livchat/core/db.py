"""Database engines and sessions.

Services use the async engine (aiosqlite or psycopg 3) so a slow query never blocks the event
loop that also carries every websocket. Migrations and the CLI use the sync engine on the same URL.
"""

from __future__ import annotations

import select
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, event, inspect, types
from sqlalchemy.dialects import registry
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel, create_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.settings import get_settings
from livchat.core.sqlite_driver import ON_LOOP


def sync_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database: {parsed.get_backend_name()} (use sqlite or postgresql)")


# aiosqlite with one trip to its thread per statement (livchat/core/sqlite_driver.py), loaded on first use.
registry.register("sqlite.livchat_aiosqlite", "livchat.core.sqlite_driver", "Dialect")


def async_url(url: str) -> str:
    parsed = make_url(sync_url(url))
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+livchat_aiosqlite").render_as_string(hide_password=False)
    return parsed.set(drivername="postgresql+psycopg_async").render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; busy_timeout waits instead of failing on a lock.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


POOL_RECYCLE_SECONDS = 1800


def _drop_if_closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled PostgreSQL connection is idle: nothing should arrive on its socket. If something
    did (the server's "terminating connection" notice, or the end of the stream after a restart or
    `pg_terminate_backend`), the connection is dead: DisconnectionError makes the pool discard it and
    hand out another. One poll(2) of the socket, where a pre-ping costs a round trip to the server
    on every checkout. Silent losses (a peer that vanished without a word) are bounded by
    `pool_recycle`; a statement that still meets a dead connection invalidates the pool as before."""
    driver = getattr(dbapi_connection, "driver_connection", dbapi_connection)
    try:
        if driver.closed:
            raise DisconnectionError("connection closed")
        fd = driver.pgconn.socket
    except DisconnectionError:
        raise
    except Exception as exc:  # no socket any more: as dead as can be
        raise DisconnectionError(str(exc)) from exc
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    if poller.poll(0):
        raise DisconnectionError("the server closed the connection or spoke while it was idle")


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        from pathlib import Path

        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """One per process. `configure()` swaps the URL (tests point it at SQLite or PostgreSQL)."""

    def __init__(self) -> None:
        self._url: str | None = None
        self._async_engine: AsyncEngine | None = None
        self._sync_engine: Engine | None = None
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self._short_sessionmaker: async_sessionmaker[AsyncSession] | None = None

    @property
    def url(self) -> str:
        return self._url or get_settings().resolved_database_url

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.url).get_backend_name() == "sqlite"

    def configure(self, url: str | None) -> None:
        self._url = url
        self._async_engine = None
        self._sync_engine = None
        self._sessionmaker = None
        self._short_sessionmaker = None

    async def dispose(self) -> None:
        if self._async_engine is not None:
            await self._async_engine.dispose()
        if self._sync_engine is not None:
            self._sync_engine.dispose()
        self.configure(self._url)

    @property
    def async_engine(self) -> AsyncEngine:
        if self._async_engine is None:
            _ensure_sqlite_dir(self.url)
            kwargs: dict[str, Any] = {}
            if not self.is_sqlite:
                # Per process: Reflex with Redis runs 2 × cores + 1 workers, and their sum must stay under
                # PostgreSQL's max_connections (100 by default): 5 workers × (5 + 10) = 75.
                # No pre-ping (a round trip per checkout, twice per API send): a dead connection is seen
                # locally at checkout (_drop_if_closed_by_server), and none is kept past pool_recycle.
                settings = get_settings()
                kwargs.update(pool_size=settings.db_pool_size, max_overflow=settings.db_pool_overflow, pool_timeout=10,
                              pool_recycle=POOL_RECYCLE_SECONDS)
            engine = create_async_engine(async_url(self.url), **kwargs)
            if self.is_sqlite:
                event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
            else:
                event.listen(engine.sync_engine, "checkout", _drop_if_closed_by_server)
            self._async_engine = engine
        return self._async_engine

    @property
    def sync_engine(self) -> Engine:
        if self._sync_engine is None:
            _ensure_sqlite_dir(self.url)
            engine = create_engine(sync_url(self.url), pool_pre_ping=True)
            if self.is_sqlite:
                event.listen(engine, "connect", _sqlite_pragmas)
            self._sync_engine = engine
        return self._sync_engine

    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        if self._sessionmaker is None:
            self._sessionmaker = async_sessionmaker(
                self.async_engine, class_=AsyncSession, expire_on_commit=False
            )
        return self._sessionmaker

    def _short_sessions(self) -> async_sessionmaker[AsyncSession]:
        if self._short_sessionmaker is None:
            engine = self.async_engine.execution_options(**{ON_LOOP: True}) if self.is_sqlite else self.async_engine
            self._short_sessionmaker = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        return self._short_sessionmaker

    @asynccontextmanager
    async def session(self, *, short: bool = False) -> AsyncIterator[AsyncSession]:
        """`short`: the session's statements each touch a few rows found by index (a key lookup, a
        send, an inbound event): on SQLite they run on the event loop's thread, with no trip to the
        connection's (core/sqlite_driver.py, ON_LOOP). Never for scans, reports or bulk work."""
        maker = self._short_sessions() if short else self.sessionmaker()
        async with maker() as session:
            yield session


db = Database()


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, for statements past the ORM (bulk inserts, upserts, `table.c.x`):
    the same object as `model.__table__`, which SQLModel does not declare to type checkers."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(types.TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out (SQLite stores naive values)."""

    impl = types.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use livchat.core.db.utcnow()")
        value = value.astimezone(UTC)
        # SQLite's DATETIME keeps no offset: store naive UTC and re-attach it on read.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
