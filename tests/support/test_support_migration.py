"""Revision 0006 on a database holding rows of 0005: operator messages stored as `human` become
`operator` (and back), existing conversations and widget settings get their new columns' defaults.
On a fresh database of its own: the shared test databases stay at head."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import MetaData, insert, inspect, select

from livchat.core import migrations
from livchat.core.db import db

PG_ADMIN_URL = os.environ.get("LIVCHAT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
NEW_TABLES = {"contacts", "conversation_attachments", "saved_replies"}


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
        meta.reflect(conn)
    return meta


@pytest.mark.usefixtures("fresh_database")
async def test_rows_of_0005_survive_the_upgrade_and_the_downgrade() -> None:
    migrations.upgrade("0005")
    now = datetime.now(UTC).replace(microsecond=0)
    tables = _tables().tables
    with db.sync_engine.begin() as conn:
        conn.execute(insert(tables["organizations"]).values(
            id="org_1", name="Acme", slug="acme", plan="starter", created_at=now, updated_at=now))
        conn.execute(insert(tables["contact_sessions"]).values(
            id="cs_1", organization_id="org_1", name="Ana", email="ana@example.com", token_hash="h" * 64,
            metadata={}, expires_at=now + timedelta(hours=24), created_at=now))
        conn.execute(insert(tables["conversations"]).values(
            id="conv_1", organization_id="org_1", channel="widget", contact_session_id="cs_1", status="unresolved",
            metadata={}, unread_count=1, last_message_at=now, created_at=now, updated_at=now))
        for message_id, sender in (("m_1", "contact"), ("m_2", "human"), ("m_3", "ai")):
            conn.execute(insert(tables["conversation_messages"]).values(
                id=message_id, organization_id="org_1", conversation_id="conv_1", sender=sender, content="hi",
                content_type="text", metadata={}, created_at=now))
        conn.execute(insert(tables["widget_settings"]).values(
            id="wgs_1", organization_id="org_1", greet_message="Hello", suggestions=[], primary_color="#000000",
            accent_color="#111111", position="bottom-left", allowed_origins=[], vapi_settings={},
            created_at=now, updated_at=now))

    migrations.upgrade("0006")
    tables = _tables().tables
    with db.sync_engine.connect() as conn:
        senders = conn.execute(select(tables["conversation_messages"].c.sender)
                               .order_by(tables["conversation_messages"].c.id)).scalars().all()
        conversation = conn.execute(select(tables["conversations"])).mappings().one()
        settings = conn.execute(select(tables["widget_settings"])).mappings().one()
        assert NEW_TABLES <= set(inspect(conn).get_table_names())
    assert senders == ["contact", "operator", "ai"]
    assert (conversation["language"], conversation["contact_unread_count"], conversation["last_message_preview"],
            conversation["contact_id"]) == ("en", 0, "", None)
    assert (settings["locale"], settings["greet_message"], settings["logo_storage_key"]) == ("en", "Hello", None)

    migrations.downgrade("0005")
    tables = _tables().tables
    with db.sync_engine.connect() as conn:
        senders = conn.execute(select(tables["conversation_messages"].c.sender)
                               .order_by(tables["conversation_messages"].c.id)).scalars().all()
        assert not NEW_TABLES & set(inspect(conn).get_table_names())
        assert "contact_id" not in {c["name"] for c in inspect(conn).get_columns("conversations")}
    assert senders == ["contact", "human", "ai"]
