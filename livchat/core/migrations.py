"""Apply Alembic migrations from code (`livchat migrate`, `make run`, test fixtures)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic.config import Config

from alembic import command
from livchat.core.db import db
from livchat.core.settings import PROJECT_ROOT


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    return config


class ForeignKeyViolation(RuntimeError):
    """A migration left rows pointing at rows that do not exist (SQLite, checked after it ran)."""


def _run(step: Callable[..., Any], revision: str) -> None:
    config = alembic_config()
    with db.sync_engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration on SQLite recreates a table (copy, drop, rename). With foreign keys
            # enforced, dropping the old table would cascade into every row that references it (a
            # conversation's messages, say). SQLite only honours this outside a transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise ForeignKeyViolation(f"rows with dangling references after the migration: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(revision: str = "heads") -> None:
    _run(command.upgrade, revision)


def downgrade(revision: str) -> None:
    _run(command.downgrade, revision)
