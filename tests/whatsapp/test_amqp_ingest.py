"""RabbitMQ ingest against the real broker at 127.0.0.1 (a unique queue per test): stored then
acked, failures redelivered, duplicates stored once, poison moved to the dead-letter queue with
its reason, one instance's events applied in order."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from sqlmodel import select

from livchat.core.db import db
from livchat.core.events import bus
from livchat.integrations.amqp_ingest import (
    REASON_HEADER,
    AmqpConsumer,
    dead_letter_queue_name,
)
from livchat.models.whatsapp import Instance, Message
from livchat.sandbox import protocol
from livchat.services.whatsapp import media
from livchat.services.whatsapp.events import MessageRead, MessageReceived
from livchat.services.whatsapp.queue_ingest import QueueIngest
from tests.factories import make_instance, make_org

AMQP_URL = os.environ.get("LIVCHAT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
CONTACT = "5511912345678@s.whatsapp.net"


@pytest.fixture
async def queue_name() -> AsyncIterator[str]:
    name = f"livchat-test-{uuid.uuid4().hex[:12]}"
    yield name
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name)
        await channel.queue_delete(dead_letter_queue_name(name))


async def publish(queue: str, *bodies: bytes) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(queue, durable=True)
        for body in bodies:
            await channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=queue)


async def queue_depth(queue: str) -> int:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True, passive=True)
        return declared.declaration_result.message_count or 0


async def add_instance(session: Any, org: str) -> Instance:
    instance = make_instance(org, wuzapi_user_id=uuid.uuid4().hex, wuzapi_token="tok", hmac_key="k" * 40)
    session.add(instance)
    await session.commit()
    return instance


def queued(instance: Instance, wamid: str, **media: Any) -> bytes:
    """What WuzAPI puts on the queue: the inner event plus userID, instanceName, serverId."""
    inner = protocol.message_event(message_id=wamid, sender=CONTACT, push_name="Ana", unix=1_800_000_000,
                                   text="from the queue", **media)
    return json.dumps({**inner, "userID": instance.wuzapi_user_id, "instanceName": instance.name,
                       "serverId": "srv-1"}).encode()


async def stored(instance_id: str) -> list[Message]:
    async with db.session() as s:
        return list((await s.exec(select(Message).where(Message.instance_id == instance_id))).all())


@pytest.fixture
async def consumer(queue_name: str) -> AsyncIterator[QueueIngest]:
    running = QueueIngest(AmqpConsumer(AMQP_URL, queue_name), retry_delay=0.05)
    await running.start()
    yield running
    await running.stop()


async def test_event_is_stored_then_acked(session, queue_name: str, consumer: QueueIngest) -> None:
    instance = await add_instance(session, await make_org(session))
    seen: list[Any] = []

    async def record(event: Any) -> None:
        seen.append(event)

    undo = bus.subscribe(MessageReceived, record)
    try:
        await publish(queue_name, queued(instance, "3EB0Q1"))
        await consumer.wait_until(lambda s: s.acked == 1)
    finally:
        undo()
    [row] = await stored(instance.id)
    assert (row.text, row.whatsapp_message_id, row.direction) == ("from the queue", "3EB0Q1", "inbound")
    assert [e.message_id for e in seen] == [row.id]
    await consumer.stop()
    assert await queue_depth(queue_name) == 0  # acked: nothing went back on stop


@contextlib.contextmanager
def media_folder_blocked(organization_id: str) -> Iterator[Path]:
    """Media cannot be written while a file sits where the organization's media folder goes;
    the file is gone again on leaving (the folder it blocked is the caller's to remove)."""
    blocker = media.media_path(organization_id, "x").parent
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")
    try:
        yield blocker
    finally:
        blocker.unlink()


async def test_processing_failure_is_redelivered_until_stored(session, queue_name: str,
                                                              consumer: QueueIngest) -> None:
    org = await make_org(session)
    instance = await add_instance(session, org)
    with media_folder_blocked(org) as blocker:
        await publish(queue_name, queued(instance, "3EB0Q2", media_kind="image", media=b"\x89PNG fake",
                                         mime_type="image/png"))
        try:
            await consumer.wait_until(lambda s: s.requeued >= 2)  # failed, redelivered, failed again
        except TimeoutError:
            raise AssertionError(consumer.stats) from None
        assert await stored(instance.id) == []  # a failed attempt leaves nothing behind
    await consumer.wait_until(lambda s: s.acked == 1)
    [row] = await stored(instance.id)
    assert row.type == "image" and media.media_path(org, row.id).read_bytes() == b"\x89PNG fake"
    shutil.rmtree(blocker)
    await consumer.stop()
    assert await queue_depth(queue_name) == 0


async def test_a_transient_failure_does_not_let_the_instances_next_event_overtake(session, queue_name: str,
                                                                                 consumer: QueueIngest) -> None:
    """The failing event is tried again in place, holding its instance's turn: the message that
    was queued after it is stored after it."""
    org = await make_org(session)
    instance = await add_instance(session, org)
    consumer.retry_delay = 2.0  # the next try comes after the test has unblocked the folder
    with media_folder_blocked(org) as blocker:
        await publish(queue_name, queued(instance, "3EB0O1", media_kind="image", media=b"\x89PNG fake",
                                         mime_type="image/png"))
        await publish(queue_name, queued(instance, "3EB0O2"))
        await consumer.wait_until(lambda s: s.retried >= 1)
        assert await stored(instance.id) == []  # the second waits for the first
    await consumer.wait_until(lambda s: s.acked == 2)
    rows = sorted(await stored(instance.id), key=lambda r: r.id)  # ids are time-ordered
    assert [r.whatsapp_message_id for r in rows] == ["3EB0O1", "3EB0O2"] and consumer.stats.requeued == 0
    shutil.rmtree(blocker)
    await consumer.stop()


async def test_duplicate_event_is_stored_once(session, queue_name: str, consumer: QueueIngest) -> None:
    instance = await add_instance(session, await make_org(session))
    body = queued(instance, "3EB0Q3")
    await publish(queue_name, body, body)
    await consumer.wait_until(lambda s: s.acked == 2)
    assert len(await stored(instance.id)) == 1


async def dead_letters(queue: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        dead = await channel.declare_queue(dead_letter_queue_name(queue), durable=True, passive=True)
        found = []
        while (message := await dead.get(fail=False)) is not None:
            await message.ack()
            found.append(message)
        return found


async def test_poison_goes_to_the_dead_letter_queue_with_its_reason(session, queue_name: str,
                                                                    consumer: QueueIngest) -> None:
    instance = await add_instance(session, await make_org(session))
    unknown = json.loads(queued(instance, "3EB0Q4"))
    unknown["userID"] = "no-such-user"
    shapeless = json.dumps({"type": "Message", "userID": instance.wuzapi_user_id, "event": {}}).encode()
    await publish(queue_name, b"{not json", shapeless, json.dumps(unknown).encode(), queued(instance, "3EB0Q5"))
    stats = await consumer.wait_until(lambda s: s.dead_lettered + s.acked == 4)
    assert (stats.dead_lettered, stats.acked, stats.requeued) == (3, 1, 0)
    assert [m.whatsapp_message_id for m in await stored(instance.id)] == ["3EB0Q5"]
    await consumer.stop()
    assert await queue_depth(queue_name) == 0
    parked = await dead_letters(queue_name)
    assert [m.body for m in parked] == [b"{not json", shapeless, json.dumps(unknown).encode()]  # kept as sent
    reasons = [str(m.headers[REASON_HEADER]) for m in parked]
    assert "not valid JSON" in reasons[0] and "Info.ID" in reasons[1] and "no-such-user" in reasons[2]
    assert all(m.headers["x-original-queue"] == queue_name for m in parked)


async def test_one_instances_events_apply_in_order(session, queue_name: str, consumer: QueueIngest) -> None:
    """Messages typed on the phone, each followed at once by its read receipt: with 16 in flight,
    a receipt overtaking its message would find nothing to mark read."""
    instance = await add_instance(session, await make_org(session))
    read: list[Any] = []

    async def record(event: Any) -> None:
        read.append(event)

    bodies = []
    for i in range(12):
        wamid = f"3EB0ORDER{i:013d}"
        mine = protocol.message_event(message_id=wamid, sender=CONTACT, push_name="", unix=1_800_000_000,
                                      text=f"typed {i}")
        mine["event"]["Info"]["IsFromMe"] = True
        receipt = protocol.read_receipt_event(chat=CONTACT, message_ids=[wamid], state="Read", unix=1_800_000_001)
        for inner in (mine, receipt):
            bodies.append(json.dumps({**inner, "userID": instance.wuzapi_user_id, "instanceName": "Shop"}).encode())
    undo = bus.subscribe(MessageRead, record)
    try:
        await publish(queue_name, *bodies)
        await consumer.wait_until(lambda s: s.acked == len(bodies), timeout=30)
    finally:
        undo()
    rows = await stored(instance.id)
    assert len(rows) == 12 and {r.status for r in rows} == {"read"}
    assert len(read) == 12


def test_the_integration_is_only_the_broker_client() -> None:
    """Layering: integrations/ talks to RabbitMQ; storing events is the services' business."""
    import ast
    from pathlib import Path

    import livchat.integrations.amqp_ingest as client

    tree = ast.parse(Path(client.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {m for m in imported if m.startswith(("livchat.services", "livchat.core.db", "livchat.models"))}
