"""Revision 0003 carries an endpoint's rotated-out secret over into `previous_secrets`, and back.
On a fresh database of its own: the shared test databases stay at head."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import MetaData, insert, select

from livchat.core import migrations
from livchat.core.crypto import decrypt, encrypt
from livchat.core.db import db

PG_ADMIN_URL = os.environ.get("LIVCHAT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    name = f"livchat_migration_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def fresh_database(fresh_url: str) -> AsyncIterator[None]:
    before = db._url
    await db.dispose()
    db.configure(fresh_url)
    try:
        yield
    finally:
        await db.dispose()
        db.configure(before)


def _tables() -> MetaData:
    meta = MetaData()
    with db.sync_engine.connect() as conn:
        meta.reflect(conn, only=["organizations", "instances", "webhook_endpoints"])
    return meta


@pytest.mark.usefixtures("fresh_database")
async def test_the_rotated_out_secret_keeps_signing_across_the_upgrade_and_the_downgrade() -> None:
    migrations.upgrade("0002")
    now = datetime.now(UTC).replace(microsecond=0)
    expires = now + timedelta(hours=5)
    tables = _tables().tables
    with db.sync_engine.begin() as conn:
        conn.execute(insert(tables["organizations"]).values(
            id="org_1", name="Acme", slug="acme", plan="starter", created_at=now, updated_at=now))
        conn.execute(insert(tables["instances"]).values(
            id="inst_1", organization_id="org_1", name="Main", wuzapi_token_encrypted=encrypt("t"),
            hmac_key_encrypted=encrypt("k"), status="disconnected", logged_in=False, agent_enabled=False,
            created_at=now, updated_at=now))
        conn.execute(insert(tables["webhook_endpoints"]).values(
            id="whe_1", organization_id="org_1", instance_id="inst_1", url="https://example.com/hook", events=[],
            active=True, secret_encrypted=encrypt("whsec_new"), secret_prefix="whsec_new",
            previous_secret_encrypted=encrypt("whsec_old"), previous_secret_expires_at=expires,
            created_at=now, updated_at=now))
    migrations.upgrade("0003")
    endpoints = _tables().tables["webhook_endpoints"]
    with db.sync_engine.connect() as conn:
        [(previous,)] = conn.execute(select(endpoints.c.previous_secrets)).all()
    [entry] = previous
    assert decrypt(entry["secret"]) == "whsec_old"
    assert datetime.fromisoformat(entry["expiresAt"]) == expires

    migrations.downgrade("0002")
    endpoints = _tables().tables["webhook_endpoints"]
    with db.sync_engine.connect() as conn:
        [(secret, back)] = conn.execute(select(endpoints.c.previous_secret_encrypted,
                                               endpoints.c.previous_secret_expires_at)).all()
    assert decrypt(secret) == "whsec_old"
    assert (back if back.tzinfo else back.replace(tzinfo=UTC)) == expires
