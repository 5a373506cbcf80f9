"""`POST /api/hooks/wuzapi/{instance}`: signatures over the raw body, both formats, duplicates,
malformed payloads, statuses, inbound media and usage counters. Bodies are built with the
sandbox's own WuzAPI encoder (sorted form fields / Go-style JSON) and signed like WuzAPI does."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlmodel import select

from livchat.core.db import db
from livchat.core.events import bus
from livchat.core.ids import new_id
from livchat.core.settings import get_settings
from livchat.models.whatsapp import Instance, Message, UsageDaily
from livchat.sandbox import protocol
from livchat.sandbox.runtime import get_sandbox
from livchat.sandbox.webhooks import build_delivery
from livchat.services.whatsapp import ingest, instances, media
from livchat.services.whatsapp.events import (
    InstanceConnected,
    InstanceDisconnected,
    InstanceLoggedOut,
    InstanceQrUpdated,
    MessageDelivered,
    MessageRead,
    MessageReceived,
)
from tests.factories import actor_of, make_instance, make_org, sent_message

KEY = "k" * 20 + "0123456789abcdefghijkl"
CONTACT = "5511912345678@s.whatsapp.net"


async def add_instance(session: Any, org: str | None, key: str = KEY, **fields: Any) -> Instance:
    instance = make_instance(org, wuzapi_user_id=new_id("u"), wuzapi_token="token-" + new_id("t"), hmac_key=key,
                             **fields)
    session.add(instance)
    await session.commit()
    return instance


def signed(instance: Instance, inner: dict[str, Any], *, key: str = KEY, fmt: str = "form") -> tuple[bytes, dict[str, str]]:
    delivery = build_delivery(url="", inner=inner, user_id=instance.wuzapi_user_id or "", instance_name=instance.name,
                              hmac_key=key, webhook_format=fmt)
    return delivery.body, delivery.headers


def text_event(wamid: str, text: str = "hello", *, from_me: bool = False, extended: bool = False) -> dict[str, Any]:
    event = protocol.message_event(message_id=wamid, sender=CONTACT, push_name="Ana", unix=1_800_000_000,
                                   text=text, reply_to="3EB0PREVIOUS" if extended else "")
    event["event"]["Info"]["IsFromMe"] = from_me
    return event


async def post(api: httpx.AsyncClient, instance_id: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await api.post(f"/api/hooks/wuzapi/{instance_id}", content=body, headers=headers)


async def messages_of(instance_id: str) -> list[Message]:
    async with db.session() as s:
        return list((await s.exec(select(Message).where(Message.instance_id == instance_id))).all())


@pytest.fixture
def published() -> Any:
    seen: list[Any] = []

    async def record(event: Any) -> None:
        seen.append(event)

    undo = [bus.subscribe(cls, record) for cls in (MessageReceived, MessageDelivered, MessageRead,
                                                   InstanceConnected, InstanceLoggedOut, InstanceQrUpdated)]
    yield seen
    for u in undo:
        u()


@pytest.mark.parametrize("fmt", ["form", "json"])
async def test_signed_message_is_stored_once_and_published(api, session, published, fmt: str) -> None:
    org = await make_org(session)
    instance = await add_instance(session, org)
    body, headers = signed(instance, text_event("3EB0AAA111", "olá mundo", extended=True), fmt=fmt)

    first = await post(api, instance.id, body, headers)
    assert first.status_code == 200, first.text
    assert first.json()["stored"] is True
    replay = await post(api, instance.id, body, headers)  # the same signed body again
    assert replay.status_code == 200 and replay.json()["duplicate"] is True

    [row] = await messages_of(instance.id)
    assert (row.direction, row.type, row.text, row.status) == ("inbound", "text", "olá mundo", "received")
    assert (row.phone, row.chat_jid, row.push_name, row.reply_to) == ("5511912345678", CONTACT, "Ana", "3EB0PREVIOUS")
    assert row.organization_id == org and row.whatsapp_message_id == "3EB0AAA111"
    [event] = [e for e in published if isinstance(e, MessageReceived)]
    assert (event.message_id, event.instance_id, event.organization_id) == (row.id, instance.id, org)
    assert event.data["text"] == "olá mundo" and event.data["direction"] == "inbound"
    async with db.session() as s:
        usage = (await s.exec(select(UsageDaily).where(UsageDaily.organization_id == org))).one()
    assert (usage.messages_received, usage.instance_id) == (1, instance.id)


async def test_bad_missing_foreign_and_replayed_signatures_are_401(api, session) -> None:
    org = await make_org(session)
    instance = await add_instance(session, org)
    other = await add_instance(session, org, key="z" * 40)
    body, headers = signed(instance, text_event("3EB0BBB222"))
    tampered = body.replace(b"hello", b"HELLO")
    cases = [
        (instance.id, body, {**headers, "x-hmac-signature": "0" * 64}),
        (instance.id, body, {"Content-Type": headers["Content-Type"]}),  # no signature at all
        (instance.id, tampered, headers),  # a valid signature replayed over another body
        (other.id, body, headers),  # signed with another instance's key
        ("inst_does_not_exist", body, headers),  # unknown instance: same answer
    ]
    for instance_id, payload, hdrs in cases:
        response = await post(api, instance_id, payload, hdrs)
        assert response.status_code == 401, (instance_id, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "invalid_signature"
    assert await messages_of(instance.id) == [] and await messages_of(other.id) == []
    # Upper-case hex is the same signature.
    ok = await post(api, instance.id, body, {**headers, "x-hmac-signature": headers["x-hmac-signature"].upper()})
    assert ok.status_code == 200


@pytest.mark.parametrize("inner, detail", [
    (None, "not valid JSON"),
    ({"event": {}}, "no type"),
    ({"type": "Message", "event": {"Message": {"conversation": "x"}}}, "Info.ID"),
    ({"type": "Message", "event": {"Info": {"ID": "3EB0C", "Chat": CONTACT}, "Message": {"imageMessage": {}}},
      "base64": "***not base64***", "mimeType": "image/png"}, "base64 is corrupt"),
    ({"type": "ReadReceipt", "state": "Read", "event": {"MessageIDs": "3EB0"}}, "MessageIDs"),
])
async def test_malformed_payloads_are_400_and_store_nothing(api, session, inner, detail: str) -> None:
    instance = await add_instance(session, await make_org(session))
    if inner is None:
        body = b"jsonData=%7Bnot+json&userID=u&instanceName=Shop"
        sig = hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "x-hmac-signature": sig}
    else:
        body, headers = signed(instance, inner)
    response = await post(api, instance.id, body, headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "malformed_event" and detail in response.json()["detail"]
    assert await messages_of(instance.id) == []


async def test_inbound_media_is_stored_privately_with_its_metadata(api, session) -> None:
    org = await make_org(session)
    instance = await add_instance(session, org)
    pdf = b"%PDF-1.4 fake document bytes" * 10
    inner = protocol.message_event(message_id="3EB0DOC1", sender=CONTACT, push_name="Ana", unix=1_800_000_000,
                                   text="see attached", media_kind="document", media=pdf,
                                   mime_type="application/pdf", file_name="invoice.pdf")
    body, headers = signed(instance, inner)
    assert (await post(api, instance.id, body, headers)).status_code == 200
    [row] = await messages_of(instance.id)
    assert (row.type, row.media_mime, row.media_size, row.file_name, row.caption) == (
        "document", "application/pdf", len(pdf), "invoice.pdf", "see attached")
    path = media.media_path(org, row.id)
    assert path.read_bytes() == pdf
    assert path.is_relative_to(get_settings().data_dir / "media")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    async with db.session() as s:
        usage = (await s.exec(select(UsageDaily).where(UsageDaily.organization_id == org))).one()
    assert usage.media_bytes == len(pdf) and usage.messages_received == 1


def _odd(wamid: str, change: Any) -> dict[str, Any]:
    event = text_event(wamid, "odd but signed")
    change(event["event"])
    return event


@pytest.mark.parametrize(("change", "check"), [
    pytest.param(lambda e: e.update(Message={"extendedTextMessage": {"text": "hi", "contextInfo": "oops"}}),
                 lambda row: row.text == "hi" and row.reply_to is None, id="context-not-an-object"),
    pytest.param(lambda e: e["Info"].update(Timestamp="2026-01-01T00:00:00"),
                 lambda row: row.sent_at == datetime(2026, 1, 1, tzinfo=UTC), id="time-without-offset"),
    pytest.param(lambda e: e["Info"].update(Timestamp="9999-12-31T23:59:59-23:59"),
                 lambda row: True, id="time-past-the-columns"),
    pytest.param(lambda e: e.update(Message={"imageMessage": {"mimetype": "image/png",
                                                             "fileLength": "9" * 30}}),
                 lambda row: row.type == "image" and row.media_size is None, id="absurd-file-length"),
    pytest.param(lambda e: e.update(Message={"locationMessage": {"degreesLatitude": float("nan"),
                                                                "degreesLongitude": float("inf")}}),
                 lambda row: row.latitude is None and row.longitude is None, id="non-finite-location"),
    pytest.param(lambda e: e["Message"].update(conversation="nul\x00byte"),
                 lambda row: row.text == "nulbyte", id="nul-in-text"),
])
async def test_odd_fields_in_a_signed_event_never_lose_it(api, session, change, check) -> None:
    """WuzAPI retries a 500 and then drops the event: a well-signed event with a strange field is
    stored (the field left out), not refused."""
    instance = await add_instance(session, await make_org(session))
    body, headers = signed(instance, _odd("3EB0ODD1", change), fmt="json")
    response = await post(api, instance.id, body, headers)
    assert response.status_code == 200, response.text
    [row] = await messages_of(instance.id)
    assert row.whatsapp_message_id == "3EB0ODD1" and check(row)


async def test_receipts_move_our_messages_forward_only(api, session, published) -> None:
    org = await make_org(session)
    instance = await add_instance(session, org)
    ours = sent_message(instance, "3EB0OURS1")
    theirs = Message(id=new_id("msg"), organization_id=org, instance_id=instance.id, direction="inbound",
                     chat_jid=CONTACT, type="text", text="yo", whatsapp_message_id="3EB0THEIRS", status="received")
    session.add_all([ours, theirs])
    await session.commit()

    def receipt(state: str) -> dict[str, Any]:
        return protocol.read_receipt_event(chat=CONTACT, message_ids=["3EB0OURS1", "3EB0THEIRS", "3EB0UNKNOWN"],
                                           state=state, unix=1_800_000_000)

    for state, expected in [("Read", "read"), ("Delivered", "read"), ("Read", "read")]:
        body, headers = signed(instance, receipt(state))
        assert (await post(api, instance.id, body, headers)).status_code == 200
        async with db.session() as s:
            assert (await s.get(Message, ours.id)).status == expected
            assert (await s.get(Message, theirs.id)).status == "received"
    reads = [e for e in published if isinstance(e, MessageRead)]
    assert [e.message_id for e in reads] == [ours.id]  # once, not per replay
    assert not [e for e in published if isinstance(e, MessageDelivered)]


async def test_our_own_send_echoed_back_is_not_stored_twice(api, session) -> None:
    org = await make_org(session)
    instance = await add_instance(session, org)
    ours = sent_message(instance, "3EB0ECHO")
    session.add(ours)
    await session.commit()
    body, headers = signed(instance, text_event("3EB0ECHO", "hi", from_me=True))
    response = await post(api, instance.id, body, headers)
    assert response.json()["duplicate"] is True
    assert [m.id for m in await messages_of(instance.id)] == [ours.id]
    # Typed on the phone itself: stored as outbound.
    body, headers = signed(instance, text_event("3EB0PHONE", "from the phone", from_me=True))
    assert (await post(api, instance.id, body, headers)).json()["stored"] is True
    phone_row = next(m for m in await messages_of(instance.id) if m.whatsapp_message_id == "3EB0PHONE")
    assert (phone_row.direction, phone_row.status) == ("outbound", "sent")


async def test_instance_events_are_confirmed_with_the_gateway_so_replays_change_nothing(live, session) -> None:  # type: ignore[no-untyped-def]
    """Instance events carry no nonce: a validly signed old Connected/LoggedOut can be replayed as
    is. Each is checked against WuzAPI's live status, so only real changes move the row."""
    org = await make_org(session)
    instance = await instances.create_instance(session, actor_of(org), "Shop")
    token = instances.wuzapi_token(instance)

    async def replay(inner: dict[str, Any]) -> dict[str, Any]:
        body, headers = signed(instance, inner, key=instances.hmac_key(instance))
        response = await live.http.post(f"/api/hooks/wuzapi/{instance.id}", content=body, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def row() -> tuple[str, bool, str | None]:
        async with db.session() as s:
            fresh = await s.get(Instance, instance.id)
            return fresh.status, fresh.logged_in, fresh.whatsapp_jid

    def mine(kind: type) -> list[Any]:
        return [e for e in live.seen if isinstance(e, kind) and e.instance_id == instance.id]

    jid = "5511988887777@s.whatsapp.net"
    assert (await replay(protocol.connected_event()))["updated"] == 0  # no session at all yet
    assert (await replay(protocol.qr_event("data:image/png;base64,OLD")))["updated"] == 0
    assert await row() == ("disconnected", False, None) and mine(InstanceQrUpdated) == []

    await instances.qr_code(session, actor_of(org), instance.id)
    # Its QR webhook taken in first: ingested after the link below, it would be a stale code (dropped).
    await live.wait_event(InstanceQrUpdated, lambda e: e.instance_id == instance.id)
    waiting = await live.session_of(instance.wuzapi_user_id or "")
    await live.link(qr=waiting["qr"], phone="5511988887777")
    await live.wait_event(InstanceConnected, lambda e: e.instance_id == instance.id)
    assert await row() == ("connected", True, jid)
    for inner in (protocol.logged_out_event(), protocol.disconnected_event(),
                  protocol.qr_event("data:image/png;base64,OLD")):
        assert (await replay(inner))["updated"] == 0  # WuzAPI says linked and online
    assert await row() == ("connected", True, jid)

    await live.control.post("/disconnect", json={"token": token})  # the connection really drops
    await live.wait_event(InstanceDisconnected, lambda e: e.instance_id == instance.id)
    assert (await replay(protocol.connected_event()))["updated"] == 0
    assert await row() == ("disconnected", True, jid)  # still paired, just offline

    [first] = mine(InstanceConnected)
    await live.control.post("/reconnect", json={"token": token})
    await live.wait_event(InstanceConnected, lambda e: e.instance_id == instance.id and e.id != first.id)
    await live.control.post("/logout", json={"token": token})  # the phone removes the device
    await live.wait_event(InstanceLoggedOut, lambda e: e.instance_id == instance.id)
    assert (await replay(protocol.connected_event()))["updated"] == 0
    assert (await replay(protocol.pair_success_event("5511988887777:12@s.whatsapp.net", "1@lid")))["updated"] == 0
    assert await row() == ("disconnected", False, None)
    await get_sandbox().webhooks.drain()
    assert [len(mine(k)) for k in (InstanceConnected, InstanceDisconnected, InstanceLoggedOut)] == [2, 1, 1]
    assert len(mine(InstanceQrUpdated)) == 1  # the real first code only
    await instances.delete_instance(session, actor_of(org), instance.id)


async def test_concurrent_duplicate_deliveries_store_one_row(api, session) -> None:
    org = await make_org(session)
    instance = await add_instance(session, org)
    body, headers = signed(instance, text_event("3EB0RACE", "once"))
    responses = await asyncio.gather(*(post(api, instance.id, body, headers) for _ in range(8)))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert sum(r.json()["stored"] for r in responses) == 1
    assert len(await messages_of(instance.id)) == 1
    async with db.session() as s:
        usage = (await s.exec(select(UsageDaily).where(UsageDaily.organization_id == org))).one()
    assert usage.messages_received == 1


async def test_unsupported_event_types_are_accepted_and_ignored(api, session) -> None:
    instance = await add_instance(session, await make_org(session))
    body, headers = signed(instance, {"type": "Presence", "state": "online", "event": {"From": CONTACT}})
    response = await post(api, instance.id, body, headers)
    assert response.status_code == 200 and response.json()["stored"] is False
    body, headers = signed(instance, {"type": "Message", "event": {
        "Info": {"ID": "3EB0REACT", "Chat": CONTACT}, "Message": {"reactionMessage": {"text": "👍"}}}})
    assert (await post(api, instance.id, body, headers)).status_code == 200
    assert await messages_of(instance.id) == []


def test_form_body_is_parsed_like_wuzapi_sends_it() -> None:
    inner = {"type": "Connected", "event": {}}
    body = "instanceName=Shop&jsonData=" + json.dumps(inner).replace(" ", "") + "&userID=abc"
    parsed = ingest.parse_webhook(body.encode(), "application/x-www-form-urlencoded")
    assert (parsed.type, parsed.user_id, parsed.instance_name) == ("Connected", "abc", "Shop")
    raw = base64.b64encode(b"x").decode()
    assert ingest.parse_queue_message(json.dumps({"type": "Message", "userID": "u", "base64": raw, "event": {
        "Info": {"ID": "1", "Chat": CONTACT}, "Message": {}}}).encode()).user_id == "u"


async def test_a_body_past_the_cap_is_413_without_reading_the_rest() -> None:
    """A chunked body (no Content-Length) is counted as it streams in: refused at the cap."""
    from livchat.api.app import create_api
    from livchat.api.hooks import MAX_BODY_BYTES

    mb = 1024 * 1024
    produced = 0

    async def endless() -> Any:
        nonlocal produced
        while produced < MAX_BODY_BYTES * 3:
            produced += mb
            yield b"x" * mb

    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/api/hooks/wuzapi/inst_unknown", content=endless(),
                                     headers={"Content-Type": "application/json"})
        assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
        assert MAX_BODY_BYTES < produced <= MAX_BODY_BYTES + 2 * mb  # it stopped reading right there
        declared = await client.post("/api/hooks/wuzapi/inst_unknown", content=b"{}",
                                     headers={"Content-Type": "application/json",
                                              "Content-Length": str(MAX_BODY_BYTES + 1)})
        assert declared.status_code == 413
