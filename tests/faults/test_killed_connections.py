"""Pooled PostgreSQL connections the server ended (restart, failover, `pg_terminate_backend`,
idle timeouts) are replaced at checkout: the next request is served, never a 500. Without a
pre-ping per checkout: the pool sees the closed socket locally."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest

from livchat.core.db import POOL_RECYCLE_SECONDS, db
from livchat.services.accounts import api_keys, users
from tests.factories import actor_of
from tests.polling import eventually


async def _key(session: Any) -> dict[str, str]:
    org = await users.create_organization(session, "Acme")
    key = await api_keys.create_api_key(session, actor_of(org.id), "test")
    await session.commit()
    return {"Authorization": f"Bearer {key.secret}"}


def _terminate_every_other_backend(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True) as admin:
        return [pid for pid, ended in admin.execute(
            "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall() if ended]


def _still_running(url: str, pids: list[int]) -> int:
    """pg_terminate_backend only signals: the backend ends (and closes its socket) a moment later."""
    with psycopg.connect(url, autocommit=True) as admin:
        return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]).fetchone()[0]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_connections_killed_server_side_are_replaced_without_an_error(api: httpx.AsyncClient, session: Any,
                                                                           postgres_url: str) -> None:
    headers = await _key(session)
    await session.close()  # its connection goes back to the pool, to be killed with the others
    for _ in range(3):
        assert (await api.get("/api/v1/instances", headers=headers)).status_code == 200
        killed = _terminate_every_other_backend(postgres_url)
        assert killed  # what the pool holds idle
        await eventually(lambda: _still_running(postgres_url, killed), lambda running: running == 0,  # noqa: B023
                         what="the terminated backends' exit")
        after = await api.get("/api/v1/instances", headers=headers)
        assert after.status_code == 200, after.text
    pool = db.async_engine.sync_engine.pool
    assert pool._recycle == POOL_RECYCLE_SECONDS and not pool._pre_ping  # type: ignore[attr-defined]
