"""The API key's lookup on every v1 request: one query for the key, its organization and the
instance the route names (`/instances/{instance_id}/…`, when it is the organization's), and no
commit when nothing was written (only a minute's first use marks the key)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from livchat.core.db import db
from livchat.models import ApiKey
from livchat.services.accounts import api_keys, users
from tests.factories import actor_of, make_instance


class Statements:
    def __init__(self) -> None:
        self.sql: list[str] = []
        self.commits = 0


@pytest.fixture
def statements(database: str) -> Iterator[Statements]:
    seen = Statements()
    engine = db.async_engine.sync_engine

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.sql.append(" ".join(statement.split()).lower())

    def on_commit(_conn: Any) -> None:
        seen.commits += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    yield seen
    event.remove(engine, "before_cursor_execute", on_execute)
    event.remove(engine, "commit", on_commit)


async def _org_with_instance(session: Any) -> tuple[dict[str, str], str, str]:
    org = await users.create_organization(session, "Acme")
    key = await api_keys.create_api_key(session, actor_of(org.id), "test")
    instance = make_instance(org.id)
    session.add(instance)
    await session.commit()
    return {"Authorization": f"Bearer {key.secret}"}, instance.id, key.key.id


async def test_one_query_for_key_organization_and_instance_and_no_empty_commit(
        api: httpx.AsyncClient, session: Any, statements: Statements) -> None:
    headers, instance_id, key_id = await _org_with_instance(session)
    statements.commits = 0
    first = await api.get(f"/api/v1/instances/{instance_id}", headers=headers)
    assert first.status_code == 200 and statements.commits == 1  # the minute's first use is written
    assert (await session.get(ApiKey, key_id, populate_existing=True)).last_used_at is not None

    statements.sql.clear()
    statements.commits = 0
    again = await api.get(f"/api/v1/instances/{instance_id}/messages", headers=headers)
    assert again.status_code == 200
    lookups = [s for s in statements.sql if "api_keys" in s]
    assert len(lookups) == 1 and "join organizations" in lookups[0] and "join instances" in lookups[0]
    assert statements.commits == 0  # read-only: nothing to commit

    statements.sql.clear()
    assert (await api.get("/api/v1/instances", headers=headers)).status_code == 200  # no instance named
    lookups = [s for s in statements.sql if "api_keys" in s]
    assert len(lookups) == 1 and "instances" not in lookups[0].split(" where ")[0].split(" from ", 1)[1]
    assert statements.commits == 0


async def test_another_organizations_instance_is_not_loaded_with_the_key(api: httpx.AsyncClient,
                                                                        session: Any) -> None:
    headers, _, _ = await _org_with_instance(session)
    _, theirs, _ = await _org_with_instance(session)
    async with db.session() as fresh:
        secret = headers["Authorization"].removeprefix("Bearer ")
        found = await api_keys.authenticate_for(fresh, secret, theirs)
        assert found is not None and found.instance is None
    body = {"to": "+55 11 91234-5678", "type": "text", "text": "hi"}
    refused = await api.post(f"/api/v1/instances/{theirs}/messages", json=body, headers=headers)
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
