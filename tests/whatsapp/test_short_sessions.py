"""On SQLite the busiest paths run their statements on the event loop's thread, with no trip to
the connection's (`db.session(short=True)`, core/sqlite_driver.py): the API key's lookup, a send
(both its transactions) and an inbound event. Everything else still runs on the thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from livchat.core.db import db
from livchat.services.accounts import api_keys, users
from livchat.services.whatsapp.events import InstanceConnected, MessageReceived, MessageSent
from tests.factories import actor_of


@pytest.fixture
def threads_of_statements(database: str) -> Iterator[list[tuple[str, int]]]:
    """Each statement SQLite runs, with the thread it ran on: SQLite's own trace callback, called
    by the thread that runs the statement (SQLAlchemy's events run on the loop's either way)."""
    seen: list[tuple[str, int]] = []

    def trace(statement: str) -> None:
        seen.append((" ".join(statement.split()).lower(), threading.get_ident()))

    def on_checkout(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection._connection._conn.set_trace_callback(trace)  # the sqlite3 connection under aiosqlite

    pool = db.async_engine.sync_engine.pool
    event.listen(pool, "checkout", on_checkout)
    yield seen
    event.remove(pool, "checkout", on_checkout)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_a_send_and_an_inbound_event_run_on_the_loops_thread(live, session,  # type: ignore[no-untyped-def]
                                                                   threads_of_statements) -> None:
    org = await users.create_organization(session, "Acme")
    key = await api_keys.create_api_key(session, actor_of(org.id), "short")
    await session.commit()
    headers = {"Authorization": f"Bearer {key.secret}"}
    created = await live.http.post("/api/v1/instances", json={"name": "Shop"}, headers=headers)
    instance_id = created.json()["id"]
    await live.http.post(f"/api/v1/instances/{instance_id}/connect", headers=headers)
    waiting = next(s for s in (await live.control.get("/sessions")).json()["sessions"] if s["name"] == instance_id)
    await live.link(qr=waiting["qr"], phone="5511977776666")
    await live.wait_event(InstanceConnected, lambda e: e.instance_id == instance_id)
    loop_thread = threading.get_ident()  # the live app serves in this test's own loop

    threads_of_statements.clear()
    sent = await live.http.post(f"/api/v1/instances/{instance_id}/messages", headers=headers,
                                json={"to": "+55 11 91234-5678", "type": "text", "text": "on the loop"})
    assert sent.status_code == 201, sent.text
    await live.wait_event(MessageSent, lambda e: e.message_id == sent.json()["id"])
    send_statements = list(threads_of_statements)
    assert any(sql.startswith("select api_keys") for sql, _ in send_statements)
    assert any(sql.startswith("insert into messages") for sql, _ in send_statements)
    assert any(sql.startswith("update messages") for sql, _ in send_statements)
    assert {thread for _, thread in send_statements} == {loop_thread}

    threads_of_statements.clear()
    await live.control.post("/inbound", json={"phone": "5511977776666", "from": "5511912345678", "text": "hi"})
    await live.wait_event(MessageReceived, lambda e: e.instance_id == instance_id)
    inbound = [(sql, thread) for sql, thread in threads_of_statements if "messages" in sql]
    assert any(sql.startswith("insert into messages") for sql, _ in inbound)
    assert {thread for _, thread in inbound} == {loop_thread}

    threads_of_statements.clear()
    listed = await live.http.get("/api/v1/instances", headers=headers)  # its own query: a normal session
    assert listed.status_code == 200
    listing = [thread for sql, thread in threads_of_statements if sql.startswith("select instances")]
    assert listing and loop_thread not in listing
