"""The ingest path's guarantees, as the cheaper statements keep them: a WhatsApp id stored once
with one event and one webhook delivery (replayed, re-sent with other content, or raced), receipts
that only move a status forward even when they race, instance events that still load the instance,
a rotated HMAC key honoured at once, and media decoded once while parsing."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from sqlmodel import select

from livchat.core.crypto import encrypt
from livchat.core.db import db
from livchat.core.events import bus
from livchat.core.ids import new_id
from livchat.models.webhooks import WebhookDelivery, WebhookEndpoint
from livchat.models.whatsapp import Instance, Message, UsageDaily
from livchat.sandbox import protocol
from livchat.services.whatsapp import ingest
from livchat.services.whatsapp.events import MessageDelivered, MessageRead, MessageReceived
from tests.factories import make_org, sent_message
from tests.whatsapp.test_ingest_hooks import CONTACT, KEY, add_instance, messages_of, post, signed, text_event


@pytest.fixture
def published() -> Any:
    seen: list[Any] = []

    async def record(event: Any) -> None:
        seen.append(event)

    undo = [bus.subscribe(cls, record) for cls in (MessageReceived, MessageDelivered, MessageRead)]
    yield seen
    for u in undo:
        u()


async def subscribed_instance(session: Any) -> tuple[str, Instance]:
    org = await make_org(session)
    instance = await add_instance(session, org)
    session.add(WebhookEndpoint(id=new_id("whe"), organization_id=org, instance_id=instance.id,
                                url="https://example.com/hook", events=["message.received"],
                                secret_encrypted=encrypt("whsec_x"), secret_prefix="whsec_x"))
    await session.commit()
    return org, instance


async def deliveries_of(instance_id: str) -> list[WebhookDelivery]:
    async with db.session() as s:
        return list((await s.exec(select(WebhookDelivery).where(WebhookDelivery.instance_id == instance_id))).all())


async def test_a_whatsapp_id_is_one_row_one_event_one_delivery_however_it_repeats(api, session, published) -> None:
    org, instance = await subscribed_instance(session)
    body, headers = signed(instance, text_event("3EB0ONCE", "first"))
    assert (await post(api, instance.id, body, headers)).json()["stored"] is True
    replay = await post(api, instance.id, body, headers)
    assert replay.status_code == 200 and replay.json() == {"ok": True, "type": "Message", "stored": False,
                                                           "duplicate": True, "updated": 0}
    # The same id with other content, validly signed: the first stays.
    other_body, other_headers = signed(instance, text_event("3EB0ONCE", "second"), fmt="json")
    assert (await post(api, instance.id, other_body, other_headers)).json()["duplicate"] is True
    # Raced: eight concurrent deliveries of a new id.
    race_body, race_headers = signed(instance, text_event("3EB0RACE2", "raced"))
    responses = await asyncio.gather(*(post(api, instance.id, race_body, race_headers) for _ in range(8)))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert sorted(r.json()["stored"] for r in responses) == [False] * 7 + [True]

    rows = {m.whatsapp_message_id: m for m in await messages_of(instance.id)}
    assert sorted(rows) == ["3EB0ONCE", "3EB0RACE2"] and rows["3EB0ONCE"].text == "first"
    received = [e for e in published if isinstance(e, MessageReceived)]
    assert sorted(e.message_id for e in received) == sorted(m.id for m in rows.values())
    deliveries = await deliveries_of(instance.id)
    assert sorted(d.event_id for d in deliveries) == sorted(e.id for e in received)
    assert all(d.event_type == "message.received" and d.status == "pending" for d in deliveries)
    first = next(e for e in received if e.message_id == rows["3EB0ONCE"].id)
    assert first.data["id"] == rows["3EB0ONCE"].id and first.data["text"] == "first"
    assert first.data["timestamp"] and first.data["status"] == "received" and first.data["error"] is None
    async with db.session() as s:
        usage = (await s.exec(select(UsageDaily).where(UsageDaily.organization_id == org))).one()
    assert usage.messages_received == 2


async def test_a_message_kind_not_stored_that_echoes_our_send_is_still_a_duplicate(api, session) -> None:
    _, instance = await subscribed_instance(session)
    ours = sent_message(instance, "3EB0REACTED", text="👍")
    session.add(ours)
    await session.commit()
    body, headers = signed(instance, {"type": "Message", "event": {
        "Info": {"ID": "3EB0REACTED", "Chat": CONTACT, "IsFromMe": True},
        "Message": {"reactionMessage": {"text": "👍"}}}})
    response = await post(api, instance.id, body, headers)
    assert response.json()["duplicate"] is True and response.json()["stored"] is False
    assert [m.id for m in await messages_of(instance.id)] == [ours.id]
    assert await deliveries_of(instance.id) == []


async def test_racing_receipts_only_move_a_status_forward(api, session, published) -> None:
    org = await make_org(session)
    instance = await add_instance(session, org)
    ours = [sent_message(instance, f"3EB0RCPT{n}", text=f"hi {n}", error="an old failure") for n in range(3)]
    session.add_all(ours)
    await session.commit()
    ids = [m.whatsapp_message_id or "" for m in ours]

    def receipt(state: str) -> tuple[bytes, dict[str, str]]:
        return signed(instance, protocol.read_receipt_event(chat=CONTACT, message_ids=ids, state=state,
                                                            unix=1_800_000_000))

    delivered = await post(api, instance.id, *receipt("Delivered"))
    assert delivered.json()["updated"] == 3
    async with db.session() as s:
        first_delivered_at = {m.id: m.delivered_at for m in (await s.exec(
            select(Message).where(Message.instance_id == instance.id))).all()}
    states = ["Read", "Delivered"] * 4
    responses = await asyncio.gather(*(post(api, instance.id, *receipt(state)) for state in states))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert sum(r.json()["updated"] for r in responses) == 3  # one Read moved each message, once

    async with db.session() as s:
        rows = (await s.exec(select(Message).where(Message.instance_id == instance.id))).all()
    assert {(m.status, m.error) for m in rows} == {("read", None)}
    assert all(m.read_at is not None and m.delivered_at == first_delivered_at[m.id] for m in rows)
    reads = [e for e in published if isinstance(e, MessageRead)]
    assert sorted(e.message_id for e in reads) == sorted(m.id for m in ours)
    assert all(e.data["status"] == "read" and e.data["readAt"] and e.data["deliveredAt"] for e in reads)
    assert len([e for e in published if isinstance(e, MessageDelivered)]) == 3


async def test_read_without_delivered_first_sets_both_times(api, session, published) -> None:
    org = await make_org(session)
    instance = await add_instance(session, org)
    ours = sent_message(instance, "3EB0SKIP", status="pending")
    session.add(ours)
    await session.commit()
    body, headers = signed(instance, protocol.read_receipt_event(chat=CONTACT, message_ids=["3EB0SKIP"],
                                                                 state="Read", unix=1_800_000_000))
    assert (await post(api, instance.id, body, headers)).json()["updated"] == 1
    [row] = await messages_of(instance.id)
    assert row.status == "read" and row.read_at is not None and row.delivered_at == row.read_at
    [event] = [e for e in published if isinstance(e, MessageRead)]
    assert event.data["id"] == ours.id and event.data["text"] == "hi"


async def test_pair_success_through_the_hook_still_updates_the_instance(api, session) -> None:
    instance = await add_instance(session, await make_org(session))
    event = protocol.pair_success_event("5511999990000@s.whatsapp.net", "1234@lid")
    event["event"]["BusinessName"] = "Loja da Ana"
    body, headers = signed(instance, event)
    response = await post(api, instance.id, body, headers)
    assert response.status_code == 200 and response.json()["updated"] == 1
    async with db.session() as s:
        assert (await s.get(Instance, instance.id)).whatsapp_name == "Loja da Ana"


async def test_a_rotated_hmac_key_is_honoured_at_once(api, session) -> None:
    instance = await add_instance(session, await make_org(session))
    body, headers = signed(instance, text_event("3EB0KEY1"))
    assert (await post(api, instance.id, body, headers)).status_code == 200  # the key is cached now
    rotated = "r" * 43
    async with db.session() as s:
        row = await s.get(Instance, instance.id)
        row.hmac_key_encrypted = encrypt(rotated)
        await s.commit()
    old_body, old_headers = signed(instance, text_event("3EB0KEY2"), key=KEY)
    assert (await post(api, instance.id, old_body, old_headers)).status_code == 401
    new_body, new_headers = signed(instance, text_event("3EB0KEY2"), key=rotated)
    assert (await post(api, instance.id, new_body, new_headers)).status_code == 200
    assert (await post(api, new_id("inst"), new_body, new_headers)).status_code == 401  # unknown: the same 401


def test_media_is_decoded_once_while_parsing() -> None:
    raw = b"\x89PNG fake image bytes"
    event = protocol.message_event(message_id="3EB0IMG", sender=CONTACT, push_name="Ana", unix=1_800_000_000,
                                   text="")
    event["event"]["Message"] = {"imageMessage": {"mimetype": "image/png"}}
    event["base64"] = base64.b64encode(raw).decode()
    parsed = ingest.parse_webhook(json.dumps(event).encode(), "application/json")
    assert parsed.media == raw
    assert ingest.parse_webhook(json.dumps(text_event("3EB0TXT")).encode(), "application/json").media is None
