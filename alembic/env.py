"""Alembic environment: one migration chain for SQLite and PostgreSQL.

The URL comes from `config.attributes["connection"]` (livchat.core.migrations) or the settings.
"""

import livchat.models  # noqa: F401  (registers every table)
from alembic import context
from livchat.core.db import db
from livchat.models import metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        with db.sync_engine.begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `livchat migrate`")
run_migrations_online()
