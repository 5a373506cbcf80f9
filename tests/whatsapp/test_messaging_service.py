"""Messaging service: six message types through the in-process sandbox over HTTP, validation
(phones, media types and sizes, corrupt base64), failures and timeouts, history, read marks."""

from __future__ import annotations

import asyncio
import base64
import socket
from typing import Any

import pytest
import uvicorn
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from livchat.core.crypto import encrypt
from livchat.core.db import db
from livchat.core.ids import new_id
from livchat.core.settings import reset_settings_cache
from livchat.models.whatsapp import Instance, Message, UsageDaily
from livchat.services import messaging
from livchat.services.errors import (
    GatewayTimeout,
    InstanceNotConnected,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
)
from livchat.services.gateway import close_gateway
from livchat.services.messaging import OutgoingMessage
from livchat.services.whatsapp_events import MessageFailed, MessageRead, MessageReceived, MessageSent
from livchat.services import instances
from tests.whatsapp.wa_support import LiveApp, linked_instance, make_org

PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")).decode()
OGG = base64.b64encode(b"OggS" + bytes(200)).decode()
PDF = base64.b64encode(b"%PDF-1.4\n" + bytes(300)).decode()


async def outbox(live: LiveApp, instance: Instance) -> list[dict[str, Any]]:
    response = await live.control.get("/outbox", params={"token": instances.wuzapi_token(instance)})
    return response.json()["messages"]


async def rows(instance_id: str) -> list[Message]:
    async with db.session() as s:
        return list((await s.exec(select(Message).where(Message.instance_id == instance_id))).all())


async def test_all_six_types_are_sent_recorded_and_counted(live: LiveApp, session, media_server: str) -> None:
    org = await make_org(session)
    instance = await linked_instance(live, session, org)
    to = "+55 11 91234-5678"
    sends = [
        OutgoingMessage(to=to, type="text", text="hello there"),
        OutgoingMessage(to="5511912345678", type="image", media_base64=f"data:image/png;base64,{PNG}",
                        caption="a pixel"),
        OutgoingMessage(to="11 91234-5678", type="audio", media_base64=OGG, mime_type="audio/ogg; codecs=opus"),
        OutgoingMessage(to=to, type="video", media_url=media_server + "/clip.mp4", mime_type="video/mp4"),
        OutgoingMessage(to=to, type="document", media_base64=PDF, mime_type="application/pdf",
                        file_name="report.pdf", caption="the report"),
        OutgoingMessage(to=to, type="location", latitude=-23.55, longitude=-46.63, text="Sé"),
    ]
    sent = [await messaging.send_message(session, org, instance.id, m) for m in sends]
    assert [m.status for m in sent] == ["sent"] * 6
    assert {m.phone for m in sent} == {"5511912345678"}
    assert all(m.whatsapp_message_id and m.sent_at for m in sent)

    phone_side = await outbox(live, instance)
    assert {o["id"]: o["type"] for o in phone_side} == {m.whatsapp_message_id: m.type for m in sent}
    assert {o["to"] for o in phone_side} == {"5511912345678"}
    events = [e for e in live.seen if isinstance(e, MessageSent)]
    assert [e.message_id for e in events] == [m.id for m in sent]
    assert events[0].data["text"] == "hello there" and events[0].organization_id == org

    async with db.session() as s:
        usage = (await s.exec(select(UsageDaily).where(UsageDaily.organization_id == org))).one()
    media_bytes = len(base64.b64decode(PNG)) + len(base64.b64decode(OGG)) + len(base64.b64decode(PDF))
    assert (usage.messages_sent, usage.media_bytes) == (6, media_bytes)


@pytest.mark.parametrize("to", ["", "123", "not a phone", "+99 1234 5678", "5511", "+55 11 9123", "55119123456789012"])
async def test_bad_phone_numbers_are_rejected_before_anything_is_stored(live: LiveApp, session, to: str) -> None:
    org = await make_org(session)
    instance = await linked_instance(live, session, org)
    with pytest.raises(InvalidInput) as raised:
        await messaging.send_message(session, org, instance.id, OutgoingMessage(to=to, text="hi"))
    assert raised.value.detail == "invalid_phone"
    assert await rows(instance.id) == [] and await outbox(live, instance) == []


BIG_IMAGE = base64.b64encode(bytes(5 * 1024 * 1024 + 1)).decode()


@pytest.mark.parametrize("message, error, code", [
    (OutgoingMessage(to="5511912345678", type="image", media_base64=BIG_IMAGE, mime_type="image/png"),
     PayloadTooLarge, "media_too_large"),
    (OutgoingMessage(to="5511912345678", type="image", media_base64="data:image/png;base64,%%%%not-base64",),
     InvalidInput, "invalid_base64"),
    (OutgoingMessage(to="5511912345678", type="image", media_base64=PNG[:-3], mime_type="image/png"),
     InvalidInput, "invalid_base64"),
    (OutgoingMessage(to="5511912345678", type="image", media_base64=PNG, mime_type="application/x-msdownload"),
     InvalidInput, "unsupported_media_type"),
    (OutgoingMessage(to="5511912345678", type="image", media_base64=PNG), InvalidInput, "mime_type_required"),
    (OutgoingMessage(to="5511912345678", type="video", media_url="ftp://example.com/a.mp4"),
     InvalidInput, "invalid_media_url"),
    (OutgoingMessage(to="5511912345678", type="image"), InvalidInput, "media_required"),
    (OutgoingMessage(to="5511912345678", type="document", media_base64=PDF, mime_type="application/pdf"),
     InvalidInput, "file_name_required"),
    (OutgoingMessage(to="5511912345678", type="location", latitude=91, longitude=0), InvalidInput, "invalid_location"),
    (OutgoingMessage(to="5511912345678", type="text", text="   "), InvalidInput, "text_required"),
    (OutgoingMessage(to="5511912345678", type="sticker", text="x"), InvalidInput, "invalid_message_type"),
])
async def test_bad_media_and_content_get_clear_errors_and_store_nothing(live: LiveApp, session, message, error,
                                                                         code) -> None:
    org = await make_org(session)
    instance = await linked_instance(live, session, org)
    with pytest.raises(error) as raised:
        await messaging.send_message(session, org, instance.id, message)
    assert raised.value.detail == code
    assert await rows(instance.id) == [] and await outbox(live, instance) == []


async def test_unlinked_instance_fails_the_row_and_says_why(live: LiveApp, session) -> None:
    org = await make_org(session)
    instance = await instances.create_instance(session, org, "Shop")
    with pytest.raises(InstanceNotConnected) as raised:
        await messaging.send_message(session, org, instance.id, OutgoingMessage(to="5511912345678", text="hi"))
    assert raised.value.status == 409
    [row] = await rows(instance.id)
    assert row.status == "failed" and "instance_not_connected" in (row.error or "")
    [failed] = [e for e in live.seen if isinstance(e, MessageFailed)]
    assert failed.message_id == row.id and failed.data["status"] == "failed"


async def test_gateway_timeout_marks_failed_unknown_and_sends_once(session) -> None:
    """A WuzAPI that accepts the request and never answers: one attempt, then a clear failure."""
    org = await make_org(session)
    hits: list[bytes] = []
    release = asyncio.Event()

    async def hang(request: Request) -> Response:
        hits.append(await request.body())
        await release.wait()
        return Response("{}")

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/chat/send/text", hang, methods=["POST"])]),
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    import os

    saved = {k: os.environ.get(k) for k in ("WUZAPI_URL", "WUZAPI_TIMEOUT_SECONDS")}
    os.environ["WUZAPI_URL"] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    os.environ["WUZAPI_TIMEOUT_SECONDS"] = "0.5"
    reset_settings_cache()
    try:
        instance = Instance(id=new_id("inst"), organization_id=org, name="Shop", wuzapi_user_id="u1",
                            wuzapi_token_encrypted=encrypt("tok"), hmac_key_encrypted=encrypt("k" * 40),
                            status="connected", logged_in=True)
        session.add(instance)
        await session.commit()
        with pytest.raises(GatewayTimeout) as raised:
            await messaging.send_message(session, org, instance.id, OutgoingMessage(to="5511912345678", text="hi"))
        assert raised.value.status == 504
        assert len(hits) == 1  # never retried
        [row] = await rows(instance.id)
        assert row.status == "failed" and "may or may not have been sent" in (row.error or "")
        assert row.whatsapp_message_id and row.whatsapp_message_id.encode() in hits[0]  # matchable later
    finally:
        release.set()
        await close_gateway()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_settings_cache()
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


async def test_history_receipts_read_marks_and_isolation(live: LiveApp, session) -> None:
    org, other_org = await make_org(session, "Mine"), await make_org(session, "Other")
    instance = await linked_instance(live, session, org)
    token = instances.wuzapi_token(instance)
    to_ana = [await messaging.send_message(session, org, instance.id, OutgoingMessage(to="5511912345678", text=f"a{i}"))
              for i in range(3)]
    await messaging.send_message(session, org, instance.id, OutgoingMessage(to="5521998765432", text="to bia"))
    reply = await live.control.post("/inbound", json={"token": token, "from": "5511912345678", "text": "oi!"})
    assert reply.status_code == 200, reply.text
    received = await live.wait_event(MessageReceived, lambda e: e.instance_id == instance.id)
    assert received.data["text"] == "oi!" and received.data["phone"] == "5511912345678"

    page, cursor = await messaging.list_messages(session, org, instance.id, limit=2)
    assert [m.text for m in page] == ["oi!", "to bia"] and cursor
    page2, cursor2 = await messaging.list_messages(session, org, instance.id, limit=2, cursor=cursor)
    page3, cursor3 = await messaging.list_messages(session, org, instance.id, limit=2, cursor=cursor2)
    assert [m.text for m in page2 + page3] == ["a2", "a1", "a0"] and cursor3 is None
    ana, _ = await messaging.list_messages(session, org, instance.id, chat="+55 (11) 91234-5678")
    assert [m.text for m in ana] == ["oi!", "a2", "a1", "a0"]

    # The contact's phone reads our first message: the status follows through the webhook.
    await live.control.post("/receipt", json={"messageId": to_ana[0].whatsapp_message_id, "state": "Read"})
    await live.wait_event(MessageRead, lambda e: e.message_id == to_ana[0].id)
    async with db.session() as s:
        assert (await messaging.get_message(s, org, to_ana[0].id)).status == "read"

    inbound_id = received.message_id
    assert await messaging.mark_read(session, org, instance.id, [inbound_id]) == 1
    async with db.session() as s:
        assert (await s.get(Message, inbound_id)).status == "read"

    answer = await messaging.send_message(session, org, instance.id,
                                          OutgoingMessage(to="5511912345678", text="sure", reply_to=inbound_id))
    assert answer.reply_to == received.data["whatsappMessageId"]
    with pytest.raises(InvalidInput) as raised:
        await messaging.send_message(session, org, instance.id,
                                     OutgoingMessage(to="5511912345678", text="x", reply_to="msg_nope"))
    assert raised.value.detail == "reply_to_not_found"

    with pytest.raises(NotFound):
        await messaging.get_message(session, other_org, to_ana[0].id)
    with pytest.raises(NotFound):
        await messaging.list_messages(session, other_org, instance.id)
    with pytest.raises(NotFound):
        await messaging.send_message(session, other_org, instance.id, OutgoingMessage(to="5511912345678", text="x"))
    with pytest.raises(NotFound):
        await messaging.mark_read(session, other_org, instance.id, [inbound_id])
