"""Apply Alembic migrations from code (`livchat migrate`, `make run`, test fixtures)."""

from __future__ import annotations

from alembic.config import Config

from alembic import command
from livchat.core.db import db
from livchat.core.settings import PROJECT_ROOT


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    return config


def upgrade(revision: str = "heads") -> None:
    config = alembic_config()
    with db.sync_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(revision: str) -> None:
    config = alembic_config()
    with db.sync_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
