"""Messaging service: six message types through the in-process sandbox over HTTP, validation
(phones, media types and sizes, corrupt base64, media fetched by URL), the plan's limits after
validation, failures, timeouts and cancellation, history, read marks."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from livchat.api.problems import service_error_code
from livchat.core.db import db, utcnow
from livchat.core.events import bus
from livchat.core.settings import reset_settings_cache
from livchat.models.accounts import Organization
from livchat.models.whatsapp import Instance, Message, UsageDaily
from livchat.sandbox.testing import serve_in_thread
from livchat.services.errors import (
    GatewayTimeout,
    InstanceNotConnected,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
)
from livchat.services.usage.limits import RateLimited, reset_rate_limits
from livchat.services.whatsapp import instances, media, messaging
from livchat.services.whatsapp.events import (
    MessageFailed,
    MessageRead,
    MessageReceived,
    MessageSent,
)
from livchat.services.whatsapp.gateway import close_gateway
from livchat.services.whatsapp.messaging import OutgoingMessage
from tests.factories import actor_of, make_instance, make_org
from tests.media_support import MEDIA_BYTES
from tests.polling import eventually
from tests.whatsapp.wa_support import LiveApp, linked_instance

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


async def paid_org(session: Any, name: str = "Acme") -> str:
    """An organization on the starter plan (10 sends a second, no daily quota)."""
    org_id = await make_org(session, name)
    org = await session.get(Organization, org_id)
    org.plan = "starter"
    session.add(org)
    await session.commit()
    return org_id


async def quota_used(org: str) -> int:
    async with db.session() as s:
        found = (await s.exec(select(UsageDaily.quota_used).where(UsageDaily.organization_id == org,
                                                                   UsageDaily.instance_id == ""))).all()
    return sum(found)


@pytest.fixture
def private_media_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The media server of the tests is on 127.0.0.1, which the SSRF guard refuses otherwise."""
    monkeypatch.setenv("LIVCHAT_WEBHOOK_ALLOW_PRIVATE", "1")
    reset_settings_cache()
    yield
    monkeypatch.delenv("LIVCHAT_WEBHOOK_ALLOW_PRIVATE")
    reset_settings_cache()


async def test_all_six_types_are_sent_recorded_and_counted(live: LiveApp, session, media_server: str,
                                                           private_media_allowed: None) -> None:
    org = await paid_org(session)
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
    sent = [await messaging.send_message(session, actor_of(org), instance.id, m) for m in sends]
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
    media_bytes = len(base64.b64decode(PNG)) + len(base64.b64decode(OGG)) + len(MEDIA_BYTES) + len(base64.b64decode(PDF))
    assert (usage.messages_sent, usage.media_bytes) == (6, media_bytes)  # the video fetched by URL counts too
    video = sent[3]
    assert (video.media_url, video.media_size, video.media_mime) == (media_server + "/clip.mp4", len(MEDIA_BYTES),
                                                                     "video/mp4")


@pytest.mark.parametrize("to", ["", "123", "not a phone", "+99 1234 5678", "5511", "+55 11 9123", "55119123456789012"])
async def test_bad_phone_numbers_are_rejected_before_anything_is_stored(live: LiveApp, session, to: str) -> None:
    org = await make_org(session)  # the free plan: 1 send a second, 50 a day
    instance = await linked_instance(live, session, org)
    with pytest.raises(InvalidInput) as raised:
        await messaging.send_message(session, actor_of(org), instance.id, OutgoingMessage(to=to, text="hi"))
    assert raised.value.detail == "invalid_phone"
    assert await rows(instance.id) == [] and await outbox(live, instance) == []
    # Checked before any limit: the second's only send and the day's quota are still there.
    assert (await messaging.send_message(session, actor_of(org), instance.id,
                                         OutgoingMessage(to="5511912345678", text="ok"))
            ).status == "sent"
    assert await quota_used(org) == 1


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
    (OutgoingMessage(to="5511912345678", type="location", latitude=91, longitude=10), InvalidInput, "invalid_location"),
    (OutgoingMessage(to="5511912345678", type="location", latitude=0, longitude=-46.6), InvalidInput,
     "location_zero_coordinate"),
    (OutgoingMessage(to="5511912345678", type="location", latitude=-23.5, longitude=0.0), InvalidInput,
     "location_zero_coordinate"),
    (OutgoingMessage(to="5511912345678", type="audio", media_base64=OGG, mime_type="audio/ogg; codecs=\"op us\""),
     InvalidInput, "unsupported_media_type"),
    (OutgoingMessage(to="5511912345678", type="text", text="   "), InvalidInput, "text_required"),
    (OutgoingMessage(to="5511912345678", type="sticker", text="x"), InvalidInput, "invalid_message_type"),
])
async def test_bad_media_and_content_get_clear_errors_and_store_nothing(live: LiveApp, session, message, error,
                                                                         code) -> None:
    org = await make_org(session)
    instance = await linked_instance(live, session, org)
    with pytest.raises(error) as raised:
        await messaging.send_message(session, actor_of(org), instance.id, message)
    assert service_error_code(raised.value)[0] == code
    assert await rows(instance.id) == [] and await outbox(live, instance) == []
    assert await quota_used(org) == 0


async def test_unlinked_instance_fails_the_row_says_why_and_gives_the_quota_back(live: LiveApp, session) -> None:
    org = await make_org(session)  # free plan
    instance = await instances.create_instance(session, actor_of(org), "Shop")
    with pytest.raises(InstanceNotConnected) as raised:
        await messaging.send_message(session, actor_of(org), instance.id,
                                     OutgoingMessage(to="5511912345678", text="hi"))
    assert raised.value.status == 409
    [row] = await rows(instance.id)
    assert row.status == "failed" and "instance_not_connected" in (row.error or "")
    [failed] = [e for e in live.seen if isinstance(e, MessageFailed)]
    assert failed.message_id == row.id and failed.data["status"] == "failed"
    assert await quota_used(org) == 0  # a failed send does not count


async def test_limits_apply_after_validation(live: LiveApp, session) -> None:
    org = await make_org(session)  # free plan: 1 send a second, 50 a day
    instance = await linked_instance(live, session, org)
    send = OutgoingMessage(to="5511912345678", text="hi")
    await messaging.send_message(session, actor_of(org), instance.id, send)
    with pytest.raises(RateLimited) as limited:
        await messaging.send_message(session, actor_of(org), instance.id, send)
    assert limited.value.code == "rate_limited" and limited.value.result.retry_after == 1
    assert len(await rows(instance.id)) == 1 and await quota_used(org) == 1  # refused: nothing recorded or taken


@dataclass
class FakeWuzapi:
    """A WuzAPI on a real socket that records every request. `mode`: "ok" answers like WuzAPI,
    "hang" never answers, "bogus" answers success with a timestamp no clock can hold."""

    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    mode: str = "ok"
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.requests.append((request.url.path, body))
        self.arrived.set()
        if self.mode == "hang":
            await self.release.wait()
        timestamp = 10**18 if self.mode == "bogus" else 1_767_000_000
        return Response(json.dumps({"code": 200, "success": True, "data": {
            "Details": "Sent", "Timestamp": timestamp, "Id": body.get("Id", "")}}), media_type="application/json")


@pytest.fixture
async def fake_wuzapi() -> AsyncIterator[FakeWuzapi]:
    fake = FakeWuzapi()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    routes = [Route(f"/chat/send/{kind}", fake.handle, methods=["POST"])
              for kind in ("text", "image", "audio", "video", "document", "location")]
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=routes), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    saved = {k: os.environ.get(k) for k in ("WUZAPI_URL", "WUZAPI_TIMEOUT_SECONDS")}
    os.environ["WUZAPI_URL"] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    os.environ["WUZAPI_TIMEOUT_SECONDS"] = "0.5"
    reset_settings_cache()
    reset_rate_limits()
    try:
        yield fake
    finally:
        fake.release.set()
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


async def connected_instance(session: Any, org: str) -> Instance:
    """An instance row that believes it is linked (for a fake WuzAPI: no sandbox session)."""
    instance = make_instance(org, wuzapi_user_id="u1", wuzapi_token="tok", hmac_key="k" * 40, status="connected",
                             logged_in=True)
    session.add(instance)
    await session.commit()
    return instance


async def test_gateway_timeout_marks_failed_unknown_and_sends_once(session, fake_wuzapi: FakeWuzapi) -> None:
    """A WuzAPI that accepts the request and never answers: one attempt, then a clear failure."""
    org = await make_org(session)
    fake_wuzapi.mode = "hang"
    instance = await connected_instance(session, org)
    with pytest.raises(GatewayTimeout) as raised:
        await messaging.send_message(session, actor_of(org), instance.id,
                                     OutgoingMessage(to="5511912345678", text="hi"))
    assert raised.value.status == 504
    assert len(fake_wuzapi.requests) == 1  # never retried
    [row] = await rows(instance.id)
    assert row.status == "failed" and "may or may not have been sent" in (row.error or "")
    assert row.whatsapp_message_id and fake_wuzapi.requests[0][1]["Id"] == row.whatsapp_message_id  # matchable later
    assert await quota_used(org) == 0


async def test_a_send_cancelled_mid_flight_is_failed_not_pending(session, fake_wuzapi: FakeWuzapi) -> None:
    org = await make_org(session)
    fake_wuzapi.mode = "hang"
    instance = await connected_instance(session, org)
    sending = asyncio.create_task(messaging.send_message(session, actor_of(org), instance.id,
                                                         OutgoingMessage(to="5511912345678", text="hi")))
    await asyncio.wait_for(fake_wuzapi.arrived.wait(), 10)  # the request is at WuzAPI
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    [row] = await rows(instance.id)
    assert row.status == "failed" and "interrupted (cancelled)" in (row.error or "")
    assert await quota_used(org) == 0


async def test_a_timestamp_no_datetime_holds_still_records_the_send(session, fake_wuzapi: FakeWuzapi) -> None:
    """WuzAPI took the message but answers a timestamp no datetime holds: the row says sent."""
    org = await make_org(session)
    fake_wuzapi.mode = "bogus"
    instance = await connected_instance(session, org)
    before = utcnow()
    sent = await messaging.send_message(session, actor_of(org), instance.id,
                                        OutgoingMessage(to="5511912345678", text="hi"))
    [row] = await rows(instance.id)
    assert (sent.status, row.status) == ("sent", "sent") and row.sent_at is not None and row.sent_at >= before


async def test_a_send_whose_bookkeeping_breaks_after_wuzapi_took_it_is_recorded_sent(session,
                                                                                   fake_wuzapi: FakeWuzapi) -> None:
    """Whatever breaks after WuzAPI accepted the message (here: the outbox write, once), the row
    ends sent and counted, never failed with its quota given back: the message did go out."""
    org = await make_org(session)
    instance = await connected_instance(session, org)
    broken: list[str] = []

    async def outbox_down_once(_session: Any, event: MessageSent) -> None:
        if not broken:
            broken.append(event.message_id)
            raise RuntimeError("outbox write failed")

    undo = bus.subscribe_in_transaction(MessageSent, outbox_down_once)
    try:
        with pytest.raises(RuntimeError, match="outbox write failed"):
            await messaging.send_message(session, actor_of(org), instance.id,
                                         OutgoingMessage(to="5511912345678", text="hi"))
    finally:
        undo()
    [row] = await rows(instance.id)
    assert broken == [row.id] and row.status == "sent" and len(fake_wuzapi.requests) == 1
    assert await quota_used(org) == 1
    async with db.session() as s:
        counted = (await s.exec(select(UsageDaily).where(UsageDaily.instance_id == instance.id))).one()
    assert counted.messages_sent == 1


async def test_audio_keeps_its_full_mime_type_for_wuzapi(session, fake_wuzapi: FakeWuzapi) -> None:
    org = await paid_org(session)
    instance = await connected_instance(session, org)
    row = await messaging.send_message(session, actor_of(org), instance.id, OutgoingMessage(
        to="5511912345678", type="audio", media_base64=OGG, mime_type="audio/ogg; codecs=opus"))
    [(path, body)] = fake_wuzapi.requests
    assert path == "/chat/send/audio" and body["mimetype"] == "audio/ogg; codecs=opus"
    assert body["Audio"].startswith("data:audio/ogg;base64,") and row.media_mime == "audio/ogg; codecs=opus"


async def test_media_by_url_is_fetched_here_and_sent_as_a_data_url(session, fake_wuzapi: FakeWuzapi,
                                                                   media_server: str,
                                                                   private_media_allowed: None) -> None:
    org = await paid_org(session)
    instance = await connected_instance(session, org)
    row = await messaging.send_message(session, actor_of(org), instance.id, OutgoingMessage(
        to="5511912345678", type="video", media_url=media_server + "/moved", caption="clip"))  # a redirect
    [(path, body)] = fake_wuzapi.requests
    assert path == "/chat/send/video" and body["Video"].startswith("data:video/mp4;base64,")
    assert base64.b64decode(body["Video"].split(",", 1)[1]) == MEDIA_BYTES and body["MimeType"] == "video/mp4"
    assert (row.media_url, row.media_size, row.media_mime) == (media_server + "/moved", len(MEDIA_BYTES), "video/mp4")
    async with db.session() as s:
        usage = (await s.exec(select(UsageDaily).where(UsageDaily.instance_id == instance.id))).one()
    assert usage.media_bytes == len(MEDIA_BYTES)


async def _dribble(request: Request) -> Response:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"\x00" * 10
            await asyncio.sleep(0.1)

    return StreamingResponse(body(), media_type="video/mp4")


@pytest.fixture(scope="module")
def dribbling_media() -> Iterator[str]:
    with serve_in_thread(Starlette(routes=[Route("/slow.mp4", _dribble)])) as base:
        yield base + "/slow.mp4"


@pytest.mark.parametrize("path, kind, code, detail", [
    ("/huge", "video", "media_too_large", "over 16 MB"),  # 17 MB streamed without Content-Length
    ("/missing.mp4", "video", "media_unreachable", "HTTP 404"),
    ("/clip.mp4", "image", "unsupported_media_type", ""),  # served as video/mp4
])
async def test_media_by_url_gets_the_same_rules_as_base64(session, fake_wuzapi: FakeWuzapi, media_server: str,
                                                         private_media_allowed: None, path: str, kind: str,
                                                         code: str, detail: str) -> None:
    org = await make_org(session)
    instance = await connected_instance(session, org)
    with pytest.raises(InvalidInput) as raised:
        await messaging.send_message(session, actor_of(org), instance.id, OutgoingMessage(
            to="5511912345678", type=kind, media_url=media_server + path))
    assert service_error_code(raised.value)[0] == code and raised.value.status == 422
    assert detail in raised.value.detail
    assert fake_wuzapi.requests == [] and await rows(instance.id) == [] and await quota_used(org) == 0


async def test_media_by_url_is_refused_on_a_private_address_and_past_the_deadline(
        session, fake_wuzapi: FakeWuzapi, media_server: str, dribbling_media: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    org = await make_org(session)
    instance = await connected_instance(session, org)
    video = OutgoingMessage(to="5511912345678", type="video", media_url=media_server + "/clip.mp4")
    with pytest.raises(InvalidInput) as private:  # 127.0.0.1, and private addresses are not allowed
        await messaging.send_message(session, actor_of(org), instance.id, video)
    assert service_error_code(private.value)[0] == "media_unreachable" and "not allowed" in private.value.detail

    monkeypatch.setenv("LIVCHAT_WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("LIVCHAT_MEDIA_FETCH_SECONDS", "0.5")  # the body takes 10 s to dribble in
    reset_settings_cache()
    with pytest.raises(InvalidInput) as slow:
        await messaging.send_message(session, actor_of(org), instance.id, OutgoingMessage(
            to="5511912345678", type="video", media_url=dribbling_media))
    assert service_error_code(slow.value)[0] == "media_unreachable" and "longer than 0.5 s" in slow.value.detail
    assert fake_wuzapi.requests == [] and await rows(instance.id) == []
    monkeypatch.delenv("LIVCHAT_WEBHOOK_ALLOW_PRIVATE")
    monkeypatch.delenv("LIVCHAT_MEDIA_FETCH_SECONDS")
    reset_settings_cache()


async def test_history_receipts_read_marks_and_isolation(live: LiveApp, session) -> None:
    org, other_org = await paid_org(session, "Mine"), await make_org(session, "Other")
    instance = await linked_instance(live, session, org)
    token = instances.wuzapi_token(instance)
    to_ana = [await messaging.send_message(session, actor_of(org), instance.id,
                                           OutgoingMessage(to="5511912345678", text=f"a{i}"))
              for i in range(3)]
    await messaging.send_message(session, actor_of(org), instance.id,
                                 OutgoingMessage(to="5521998765432", text="to bia"))
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
    assert await messaging.mark_read(session, actor_of(org), instance.id, [inbound_id]) == 1
    async with db.session() as s:
        assert (await s.get(Message, inbound_id)).status == "read"

    answer = await messaging.send_message(session, actor_of(org), instance.id,
                                          OutgoingMessage(to="5511912345678", text="sure", reply_to=inbound_id))
    assert answer.reply_to == received.data["whatsappMessageId"]
    with pytest.raises(InvalidInput) as raised:
        await messaging.send_message(session, actor_of(org), instance.id,
                                     OutgoingMessage(to="5511912345678", text="x", reply_to="msg_nope"))
    assert raised.value.detail == "reply_to_not_found"

    with pytest.raises(NotFound):
        await messaging.get_message(session, other_org, to_ana[0].id)
    with pytest.raises(NotFound):
        await messaging.list_messages(session, other_org, instance.id)
    with pytest.raises(NotFound):
        await messaging.send_message(session, actor_of(other_org), instance.id,
                                     OutgoingMessage(to="5511912345678", text="x"))
    with pytest.raises(NotFound):
        await messaging.mark_read(session, actor_of(other_org), instance.id, [inbound_id])


class HeldMedia:
    """A media server that holds every download open until released, counting those open at once."""

    def __init__(self) -> None:
        self.open = self.most_open = 0
        self.release = threading.Event()
        self.lock = threading.Lock()

    async def serve(self, request: Request) -> Response:
        with self.lock:
            self.open += 1
            self.most_open = max(self.most_open, self.open)
        await asyncio.to_thread(self.release.wait, 20)
        with self.lock:
            self.open -= 1
        return Response(MEDIA_BYTES, media_type="video/mp4")


async def test_downloads_of_media_by_url_are_bounded_per_process(session, fake_wuzapi: FakeWuzapi,
                                                                private_media_allowed: None) -> None:
    """Each download is held in memory: at most MAX_CONCURRENT_DOWNLOADS run at once, the others wait."""
    org = await paid_org(session)
    instance = await connected_instance(session, org)
    held = HeldMedia()
    sends = media.MAX_CONCURRENT_DOWNLOADS + 3
    with serve_in_thread(Starlette(routes=[Route("/clip.mp4", held.serve)])) as base:
        async def send_one() -> str:
            async with db.session() as s:
                row = await messaging.send_message(s, actor_of(org), instance.id, OutgoingMessage(
                    to="5511912345678", type="video", media_url=base + "/clip.mp4"))
                return row.status

        tasks = [asyncio.create_task(send_one()) for _ in range(sends)]
        await eventually(lambda: held.open >= media.MAX_CONCURRENT_DOWNLOADS, what="the downloads' slots to fill")
        assert held.open == media.MAX_CONCURRENT_DOWNLOADS
        held.release.set()
        assert await asyncio.gather(*tasks) == ["sent"] * sends
    assert held.most_open == media.MAX_CONCURRENT_DOWNLOADS and len(fake_wuzapi.requests) == sends
