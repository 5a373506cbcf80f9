from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from livchat.core import migrations
from livchat.core.db import db
from livchat.models import metadata

# Tables that do not belong to one customer (identity, pre-sign-up, per-user auth).
NOT_TENANT_SCOPED = {"users", "anonymous_sessions", "user_sessions", "auth_tokens", "clerk_webhook_events"}


def _diff() -> list:
    with db.sync_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, metadata)


async def test_migration_chain_matches_the_models(database: str) -> None:
    assert _diff() == []


async def test_downgrade_to_base_and_back(database: str) -> None:
    migrations.downgrade("base")
    with db.sync_engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    migrations.upgrade()
    assert _diff() == []


async def test_every_customer_table_is_scoped_by_organization(database: str) -> None:
    with db.sync_engine.connect() as conn:
        inspector = inspect(conn)
        for table in metadata.sorted_tables:
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            if table.name in NOT_TENANT_SCOPED or table.name == "organizations":
                continue
            assert "organization_id" in columns, f"{table.name} has no organization_id"
            indexed = {next(iter(ix["column_names"])) for ix in inspector.get_indexes(table.name)}
            uniques = {next(iter(u["column_names"])) for u in inspector.get_unique_constraints(table.name)}
            assert "organization_id" in indexed | uniques, f"{table.name}.organization_id is not indexed"
