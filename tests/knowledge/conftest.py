"""Knowledge-base fixtures: the hashed embedder and a LanceDB directory of the test's own, an
organization acting as an admin, the bus events of file changes, the fake OpenAI server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from livchat.core.db import db
from livchat.core.events import bus
from livchat.core.ids import new_id
from livchat.core.settings import reset_settings_cache
from livchat.models.accounts import Organization
from livchat.models.enums import Role
from livchat.services.actors import Actor
from livchat.services.knowledge.events import KnowledgeFileChanged


class Environment:
    """Set environment variables for one test; `apply` re-reads the settings."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def set(self, **values: str) -> None:
        for name, value in values.items():
            self._saved.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        reset_settings_cache()

    def restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings_cache()


@pytest.fixture(autouse=True)
def env(tmp_path: Path) -> Iterator[Environment]:
    environment = Environment()
    environment.set(LIVCHAT_EMBEDDER="hashed", LIVCHAT_LANCEDB_URI=str(tmp_path / "lancedb"))
    yield environment
    environment.restore()


async def make_organization(name: str = "Acme", role: str = Role.ADMIN) -> Actor:
    async with db.session() as session:
        org = Organization(id=new_id("org"), name=name, slug=new_id("slug"))
        session.add(org)
        await session.commit()
    return Actor(organization_id=org.id, role=role)


@pytest.fixture
async def admin(database: str) -> Actor:
    return await make_organization()


@pytest.fixture
def file_events() -> Iterator[list[KnowledgeFileChanged]]:
    seen: list[KnowledgeFileChanged] = []

    async def record(event: KnowledgeFileChanged) -> None:
        seen.append(event)

    unsubscribe = bus.subscribe(KnowledgeFileChanged, record)
    yield seen
    unsubscribe()
