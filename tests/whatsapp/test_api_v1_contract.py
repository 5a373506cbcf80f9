"""Every row of ../shared/API.md "v1", over HTTP with an API key, against the real app served on
a socket with the in-process WuzAPI sandbox (fixtures in conftest.py): paths, methods, status
codes and the exact field names of each answer."""

from __future__ import annotations

import asyncio
import base64
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from livchat.core.settings import reset_settings_cache
from livchat.models.enums import Plan
from livchat.sandbox.testing import serve_in_thread
from livchat.services.accounts import api_keys, users
from livchat.services.usage.limits import reset_rate_limits
from livchat.services.webhooks.dispatcher import DispatcherConfig, dispatcher_lifespan
from livchat.services.whatsapp.events import (
    InstanceConnected,
    MessageRead,
    MessageReceived,
)
from tests.factories import actor_of
from tests.polling import eventually

INSTANCE_FIELDS = {"id", "name", "status", "whatsappJid", "whatsappName", "webhook", "createdAt", "lastConnectedAt",
                   "agentEnabled"}
SENT_FIELDS = {"id", "whatsappMessageId", "status", "timestamp"}
MESSAGE_FIELDS = {"id", "instanceId", "whatsappMessageId", "direction", "chatJid", "phone", "type", "text", "caption",
                  "mediaUrl", "mimeType", "mediaSize", "fileName", "latitude", "longitude", "replyTo", "pushName",
                  "status", "error", "timestamp", "sentAt", "deliveredAt", "readAt"}
WEBHOOK_FIELDS = {"url", "events", "active", "secretPrefix"}
DELIVERY_FIELDS = {"id", "eventId", "eventType", "status", "attempts", "lastAttemptAt", "nextAttemptAt",
                   "responseStatus", "latencyMs"}
USAGE_DAY_FIELDS = {"day", "instanceId", "messagesSent", "messagesReceived", "mediaBytes", "webhooksDelivered",
                    "webhooksFailed"}
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")).decode()

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    reset_rate_limits()  # each test starts with empty windows (memory storage)


async def _org(session: Any, plan: str = Plan.STARTER) -> tuple[str, dict[str, str]]:
    org = await users.create_organization(session, "Acme")
    org.plan = plan
    session.add(org)
    key = await api_keys.create_api_key(session, actor_of(org.id), "contract")
    await session.commit()
    return org.id, {"Authorization": f"Bearer {key.secret}"}


def _new_phone() -> str:
    """A number of its own per test: the sandbox keeps earlier tests' sessions."""
    return "55119" + str(random.randrange(10_000_000, 99_999_999))


async def _linked(live: Any, headers: dict[str, str], phone: str = "") -> str:
    created = await live.http.post("/api/v1/instances", json={"name": "Shop"}, headers=headers)
    assert created.status_code == 201, created.text
    instance_id = created.json()["id"]
    connect = await live.http.post(f"/api/v1/instances/{instance_id}/connect", headers=headers)
    assert connect.status_code == 200 and connect.json()["status"] == "connecting" and connect.json()["qrAvailable"]
    qr = await live.http.get(f"/api/v1/instances/{instance_id}/qr", headers=headers)
    assert qr.status_code == 200
    assert qr.json()["qrCode"].startswith("data:image/png;base64,") and qr.json()["expiresIn"] > 0
    sessions = (await live.control.get("/sessions")).json()["sessions"]
    waiting = next(s for s in sessions if s["name"] == instance_id)
    await live.link(qr=waiting["qr"], phone=phone or _new_phone())
    await live.wait_event(InstanceConnected, lambda e: e.instance_id == instance_id)
    return instance_id


async def test_instances_lifecycle(live, session) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session)
    created = await live.http.post("/api/v1/instances", json={"name": "Front desk"}, headers=headers)
    assert created.status_code == 201 and set(created.json()) == INSTANCE_FIELDS
    assert created.json()["status"] == "disconnected" and created.json()["webhook"] is None
    instance_id = await _linked(live, headers, "5511988887777")

    listed = await live.http.get("/api/v1/instances", headers=headers)
    assert listed.status_code == 200 and set(listed.json()) == {"data", "nextCursor"}
    assert [i["id"] for i in listed.json()["data"]] == [instance_id, created.json()["id"]]  # newest first
    assert all(set(i) == INSTANCE_FIELDS for i in listed.json()["data"]) and listed.json()["nextCursor"] is None

    one = (await live.http.get(f"/api/v1/instances/{instance_id}", headers=headers)).json()
    assert set(one) == INSTANCE_FIELDS
    assert one["status"] == "connected" and one["whatsappJid"] == "5511988887777@s.whatsapp.net"
    assert one["createdAt"].endswith("Z") and one["lastConnectedAt"] and one["name"] == "Shop"

    status = await live.http.get(f"/api/v1/instances/{instance_id}/status", headers=headers)
    assert status.json() == {"connected": True, "loggedIn": True, "whatsappJid": "5511988887777@s.whatsapp.net"}

    again = await live.http.get(f"/api/v1/instances/{instance_id}/qr", headers=headers)
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    assert again.json()["code"] == "already_connected"

    off = await live.http.post(f"/api/v1/instances/{instance_id}/disconnect", headers=headers)
    assert off.status_code == 200 and off.json()["connected"] is False
    assert set(off.json()) == {"connected", "loggedIn", "whatsappJid"}
    # Disconnect keeps the pairing: connecting again needs no QR.
    back = await live.http.post(f"/api/v1/instances/{instance_id}/connect", headers=headers)
    assert back.status_code == 200 and set(back.json()) == {"connected", "loggedIn", "whatsappJid", "status",
                                                            "qrAvailable"}

    async def logged_in() -> bool:
        return (await live.http.get(f"/api/v1/instances/{instance_id}/status", headers=headers)).json()["loggedIn"]

    await eventually(logged_in, timeout=30, every=0.05, what="the reconnection")
    out = await live.http.post(f"/api/v1/instances/{instance_id}/logout", headers=headers)
    assert out.status_code == 200 and out.json() == {"connected": False, "loggedIn": False, "whatsappJid": None}
    unpaired = await live.http.post(f"/api/v1/instances/{instance_id}/connect", headers=headers)
    assert unpaired.json()["qrAvailable"] is True  # logout unpaired it: a QR again

    gone = await live.http.delete(f"/api/v1/instances/{instance_id}", headers=headers)
    assert gone.status_code == 204
    missing = await live.http.get(f"/api/v1/instances/{instance_id}", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert instance_id not in [s["name"] for s in (await live.control.get("/sessions")).json()["sessions"]]


async def test_instance_list_is_cursor_paginated(live, session) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session)
    _, other = await _org(session)
    ids = [(await live.http.post("/api/v1/instances", json={"name": f"n{n}"}, headers=headers)).json()["id"]
           for n in range(3)]
    first = (await live.http.get("/api/v1/instances", params={"limit": 2}, headers=headers)).json()
    assert [i["id"] for i in first["data"]] == ids[::-1][:2] and first["nextCursor"]
    rest = (await live.http.get("/api/v1/instances", params={"limit": 2, "cursor": first["nextCursor"]},
                                headers=headers)).json()
    assert [i["id"] for i in rest["data"]] == [ids[0]] and rest["nextCursor"] is None
    for bad in (0, 101):
        refused = await live.http.get("/api/v1/instances", params={"limit": bad}, headers=headers)
        assert refused.status_code == 422 and refused.json()["code"] == "validation_error"
    assert (await live.http.get("/api/v1/instances", headers=other)).json() == {"data": [], "nextCursor": None}


async def test_pairing_code(live, session) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session)
    instance_id = (await live.http.post("/api/v1/instances", json={"name": "P"}, headers=headers)).json()["id"]
    bad = await live.http.post(f"/api/v1/instances/{instance_id}/pairphone", json={"phone": "12"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_phone"
    code = await live.http.post(f"/api/v1/instances/{instance_id}/pairphone",
                                json={"phone": "+55 11 91234-5678"}, headers=headers)
    assert code.status_code == 200
    assert re.fullmatch(r"[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}", code.json()["pairingCode"])
    assert code.json()["expiresIn"] > 0


async def test_free_plan_instance_limit_is_402(live, session) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session, Plan.FREE)
    first = await live.http.post("/api/v1/instances", json={"name": "One"}, headers=headers)
    assert first.status_code == 201
    second = await live.http.post("/api/v1/instances", json={"name": "Two"}, headers=headers)
    assert second.status_code == 402 and second.json()["code"] == "plan_limit"


async def test_messages_send_history_status_and_idempotency(live, session) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session)
    phone = _new_phone()
    instance_id = await _linked(live, headers, phone)
    base = f"/api/v1/instances/{instance_id}/messages"

    wrong = await live.http.post(base, json={"to": "abc", "type": "text", "text": "x"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_phone"

    send = {"to": "+55 11 91234-5678", "type": "text", "text": "Order shipped"}
    first = await live.http.post(base, json=send, headers={**headers, "Idempotency-Key": "order-1"})
    assert first.status_code == 201, first.text
    sent = first.json()
    assert set(sent) == SENT_FIELDS and sent["status"] == "sent"
    replay = await live.http.post(base, json=send, headers={**headers, "Idempotency-Key": "order-1"})
    assert replay.status_code == 201 and replay.json() == sent
    assert replay.headers["idempotent-replayed"] == "true"
    outbox = (await live.control.get("/outbox", params={"phone": phone})).json()["messages"]
    assert [m["id"] for m in outbox].count(sent["whatsappMessageId"]) == 1  # sent once

    await live.control.post("/receipt", json={"messageId": sent["whatsappMessageId"], "state": "Read"})
    await live.wait_event(MessageRead, lambda e: e.message_id == sent["id"])
    one = await live.http.get(f"/api/v1/messages/{sent['id']}", headers=headers)
    assert one.status_code == 200 and one.json()["status"] == "read" and one.json()["direction"] == "outbound"
    assert set(one.json()) == MESSAGE_FIELDS and one.json()["readAt"]

    await live.control.post("/inbound", json={"phone": phone, "from": "5511912345678", "text": "Thanks!"})
    await live.wait_event(MessageReceived, lambda e: e.instance_id == instance_id)
    history = (await live.http.get(base, params={"chat": "+55 11 91234-5678", "limit": 1}, headers=headers)).json()
    assert history["data"][0]["text"] == "Thanks!" and history["data"][0]["direction"] == "inbound"
    assert set(history) == {"data", "nextCursor"} and set(history["data"][0]) == MESSAGE_FIELDS
    older = (await live.http.get(base, params={"chat": "5511912345678", "cursor": history["nextCursor"]},
                                 headers=headers)).json()
    assert [m["id"] for m in older["data"]] == [sent["id"]] and older["nextCursor"] is None


async def test_send_limits_answer_429_with_headers(live, session) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session, Plan.FREE)
    instance_id = await _linked(live, headers)
    base = f"/api/v1/instances/{instance_id}/messages"
    body = {"to": "5511912345678", "type": "text", "text": "hi"}
    first = await live.http.post(base, json=body, headers=headers)
    assert first.status_code == 201
    assert first.headers["ratelimit-limit"] and first.headers["ratelimit-remaining"] is not None
    second = await live.http.post(base, json=body, headers=headers)  # free plan: 1 send a second
    assert second.status_code == 429 and second.json()["code"] == "rate_limited"
    assert int(second.headers["retry-after"]) >= 1 and second.headers["ratelimit-remaining"] == "0"


async def test_a_bad_send_costs_no_limit_and_a_failed_one_gives_the_quota_back(live, session) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session, Plan.FREE)  # 1 send a second, 50 a day
    instance_id = await _linked(live, headers)
    base = f"/api/v1/instances/{instance_id}/messages"
    for bad in ({"to": "12", "type": "text", "text": "x"}, {"to": "5511912345678", "type": "text", "text": " "},
                {"to": "5511912345678", "type": "location", "latitude": 0, "longitude": -46.6}):
        refused = await live.http.post(base, json=bad, headers=headers)
        assert refused.status_code == 422, refused.text
    assert (await live.http.post(base, json={"to": "5511912345678", "text": "ok"}, headers=headers)).status_code == 201
    assert (await _usage_today(live, headers))["messagesRemaining"] == 49
    await live.http.post(f"/api/v1/instances/{instance_id}/disconnect", headers=headers)

    async def send() -> Any:
        return await live.http.post(base, json={"to": "5511912345678", "text": "x"}, headers=headers)

    # The send second frees up; then WuzAPI says "not connected".
    answer = await eventually(send, lambda sent: sent.json()["code"] != "rate_limited", every=0.1)
    assert answer.status_code == 409 and answer.json()["code"] == "instance_not_connected"
    assert (await _usage_today(live, headers))["messagesRemaining"] == 49  # the failed send gave it back


async def _usage_today(live: Any, headers: dict[str, str]) -> dict[str, Any]:
    return (await live.http.get("/api/v1/usage", headers=headers)).json()["today"]


def _seconds_to_utc_midnight() -> float:
    now = datetime.now(UTC)
    return (datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC) - now).total_seconds()


@pytest.fixture
def fast_free_plan(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The free plan's quota, without its 1 send a second and 100 requests a minute in the way."""
    monkeypatch.setenv("LIVCHAT_PLAN_LIMITS", '{"free": {"sends_per_second": 1000, "api_per_minute": 100000}}')
    reset_settings_cache()
    reset_rate_limits()
    yield
    monkeypatch.delenv("LIVCHAT_PLAN_LIMITS")
    reset_settings_cache()
    reset_rate_limits()


async def test_the_free_plans_fiftieth_message_passes_and_the_fifty_first_is_429(  # type: ignore[no-untyped-def]
        live, session, fast_free_plan) -> None:
    _, headers = await _org(session, Plan.FREE)
    instance_id = await _linked(live, headers)
    base = f"/api/v1/instances/{instance_id}/messages"
    body = {"to": "5511912345678", "type": "text", "text": "hi"}
    for n in range(49):
        assert (await live.http.post(base, json=body, headers=headers)).status_code == 201, n
    fiftieth = await live.http.post(base, json=body, headers=headers)
    assert fiftieth.status_code == 201 and fiftieth.headers["ratelimit-remaining"] == "0"
    assert fiftieth.headers["ratelimit-limit"] == "50"
    over = await live.http.post(base, json=body, headers=headers)
    assert over.status_code == 429 and over.headers["content-type"] == PROBLEM
    assert over.json()["code"] == "quota_exceeded"
    assert abs(int(over.headers["retry-after"]) - _seconds_to_utc_midnight()) <= 5  # until 00:00 UTC
    assert over.headers["ratelimit-limit"] == "50" and over.headers["ratelimit-remaining"] == "0"
    today = await _usage_today(live, headers)
    assert (today["messagesSent"], today["messagesRemaining"]) == (50, 0)


async def test_concurrent_sends_stop_exactly_at_the_quota(live, session, fast_free_plan) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session, Plan.FREE)
    phone = _new_phone()
    instance_id = await _linked(live, headers, phone)
    base = f"/api/v1/instances/{instance_id}/messages"
    answers = await asyncio.gather(*(live.http.post(base, json={"to": "5511912345678", "text": f"m{n}"},
                                                    headers=headers) for n in range(60)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 50 + [429] * 10
    assert {a.json()["code"] for a in answers if a.status_code == 429} == {"quota_exceeded"}
    outbox = (await live.control.get("/outbox", params={"phone": phone, "limit": 100})).json()["messages"]
    assert len(outbox) == 50
    today = await _usage_today(live, headers)
    assert (today["messagesSent"], today["messagesRemaining"]) == (50, 0)


async def test_api_rate_limit_per_organization(live, session) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session, Plan.FREE)  # 100 requests a minute
    for n in range(100):
        ok = await live.http.get("/api/v1/instances", headers=headers)
        assert ok.status_code == 200, n
        assert ok.headers["ratelimit-limit"] == "100" and ok.headers["ratelimit-remaining"] == str(99 - n)
    limited = await live.http.get("/api/v1/instances", headers=headers)
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1 and int(limited.headers["ratelimit-reset"]) >= 1


REDIS_URL = "redis://127.0.0.1:6379/0"


async def test_api_rate_limits_run_on_redis_when_it_is_configured(live, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """REDIS_URL set: the per-minute and per-second windows live in the real Redis (shared by workers)."""
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    reset_settings_cache()
    reset_rate_limits()
    org_id, headers = await _org(session, Plan.FREE)
    redis = aioredis.from_url(REDIS_URL)
    try:
        for n in range(100):
            ok = await live.http.get("/api/v1/instances", headers=headers)
            assert ok.status_code == 200 and ok.headers["ratelimit-remaining"] == str(99 - n), n
        limited = await live.http.get("/api/v1/instances", headers=headers)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert [key async for key in redis.scan_iter(f"*{org_id}*")]  # the window is Redis's
        reset_rate_limits()  # a new worker (or a restart) sees the same window
        assert (await live.http.get("/api/v1/instances", headers=headers)).status_code == 429
    finally:
        keys = [key async for key in redis.scan_iter(f"*{org_id}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        monkeypatch.delenv("REDIS_URL")
        reset_settings_cache()
        reset_rate_limits()


async def test_webhook_config_rotation_deliveries_and_redeliver(live, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from livchat.core.settings import reset_settings_cache

    monkeypatch.setenv("LIVCHAT_WEBHOOK_ALLOW_PRIVATE", "1")
    reset_settings_cache()
    _, headers = await _org(session)
    phone = _new_phone()
    instance_id = await _linked(live, headers, phone)
    hook = f"/api/v1/instances/{instance_id}/webhook"

    assert (await live.http.get(hook, headers=headers)).status_code == 404
    created = await live.http.put(hook, json={"url": live.url + "/receiver", "events": ["message.received"]},
                                  headers=headers)
    assert created.status_code == 200, created.text
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and created.json()["events"] == ["message.received"]
    updated = await live.http.put(hook, json={"url": live.url + "/receiver"}, headers=headers)
    assert "secret" not in updated.json()  # shown the first time only
    view = (await live.http.get(hook, headers=headers)).json()
    assert WEBHOOK_FIELDS <= set(view)
    assert view["secretPrefix"] and secret.startswith(view["secretPrefix"]) and view["active"] is True

    rotated = (await live.http.post(f"{hook}/rotate-secret", headers=headers)).json()
    assert rotated["secret"] != secret and rotated["secret"].startswith("whsec_")

    bad = await live.http.put(hook, json={"url": "ftp://example.com"}, headers=headers)
    assert bad.status_code == 422

    await live.control.post("/inbound", json={"phone": phone, "from": "5511912345678", "text": "hello"})
    event = await live.wait_event(MessageReceived, lambda e: e.instance_id == instance_id)
    log = (await live.http.get(f"{hook}/deliveries", headers=headers)).json()
    assert [d["eventId"] for d in log["data"]] == [event.id] and log["nextCursor"] is None
    assert DELIVERY_FIELDS <= set(log["data"][0])  # the contract's names (more may follow them)
    assert log["data"][0]["eventType"] == "message.received"
    delivery_id = log["data"][0]["id"]
    assert (await live.http.get(f"{hook}/deliveries", params={"status": "failed"}, headers=headers)).json()["data"] == []

    detail = (await live.http.get(f"/api/v1/webhook-deliveries/{delivery_id}", headers=headers)).json()
    assert '"type":"message.received"' in detail["payload"] and isinstance(detail["attemptLog"], list)
    again = await live.http.post(f"/api/v1/webhook-deliveries/{delivery_id}/redeliver", headers=headers)
    assert again.status_code == 202 and again.json()["status"] == "pending"

    assert (await live.http.delete(hook, headers=headers)).status_code == 204
    assert (await live.http.get(hook, headers=headers)).status_code == 404
    reset_settings_cache()


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    """A customer's webhook endpoint that takes everything."""
    async def take(request: Request) -> Response:
        await request.body()
        return Response("ok")

    with serve_in_thread(Starlette(routes=[Route("/hook", take, methods=["POST"])])) as base:
        yield base + "/hook"


async def test_usage_counts_and_plan(live, session, receiver, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LIVCHAT_WEBHOOK_ALLOW_PRIVATE", "1")  # the receiver is on 127.0.0.1
    reset_settings_cache()
    _, headers = await _org(session, Plan.FREE)
    phone = _new_phone()
    instance_id = await _linked(live, headers, phone)
    assert (await live.http.put(f"/api/v1/instances/{instance_id}/webhook", json={"url": receiver},
                                headers=headers)).status_code == 200
    sent = await live.http.post(f"/api/v1/instances/{instance_id}/messages", headers=headers, json={
        "to": "5511912345678", "type": "image", "mediaBase64": f"data:image/png;base64,{PNG}"})
    assert sent.status_code == 201, sent.text
    await live.control.post("/inbound", json={"phone": phone, "from": "5511912345678", "text": "hello"})
    await live.wait_event(MessageReceived, lambda e: e.instance_id == instance_id)
    async with dispatcher_lifespan(DispatcherConfig(poll_interval=0.05)):
        async def usage_now() -> dict[str, Any]:
            return (await live.http.get("/api/v1/usage", headers=headers)).json()

        def delivered(usage: dict[str, Any]) -> bool:  # message.sent and message.received
            row = next((r for r in usage["data"] if r["instanceId"] == instance_id), {})
            return row.get("webhooksDelivered", 0) >= 2

        usage = await eventually(usage_now, delivered, timeout=20, every=0.05, what="both webhooks delivered")
    assert set(usage) == {"from", "to", "plan", "limits", "today", "data"} and usage["plan"] == "free"
    assert usage["limits"] == {"instances": 1, "messagesPerDay": 50, "sendsPerSecond": 1, "apiRequestsPerMinute": 100}
    assert usage["today"] == {"day": datetime.now(UTC).date().isoformat(), "messagesSent": 1, "messagesRemaining": 49,
                              "instances": 1, "instancesRemaining": 0}
    [row] = [r for r in usage["data"] if r["instanceId"] == instance_id]
    assert set(row) == USAGE_DAY_FIELDS and row["day"] == usage["today"]["day"]
    assert (row["messagesSent"], row["messagesReceived"], row["mediaBytes"]) == (1, 1, len(base64.b64decode(PNG)))
    assert (row["webhooksDelivered"], row["webhooksFailed"]) == (2, 0)
    older = (await live.http.get("/api/v1/usage", params={"from": "2026-01-01", "to": "2026-01-02"},
                                 headers=headers)).json()
    assert older["data"] == [] and older["today"]["messagesRemaining"] == 49  # today, whatever the range
    reset_settings_cache()
    reversed_range = await live.http.get("/api/v1/usage", params={"from": "2026-02-02", "to": "2026-02-01"},
                                         headers=headers)
    assert reversed_range.status_code == 422 and reversed_range.json()["code"] == "usage_range_reversed"


async def test_keys_are_required_and_revocation_is_immediate(live, session) -> None:  # type: ignore[no-untyped-def]
    org_id, headers = await _org(session)
    assert (await live.http.get("/api/v1/instances")).status_code == 401
    assert (await live.http.get("/api/v1/instances", headers={"Authorization": "Bearer lc_live_nope"})).status_code == 401
    assert (await live.http.get("/api/v1/instances", headers=headers)).status_code == 200
    key = (await api_keys.list_api_keys(session, org_id))[0]
    await api_keys.revoke_api_key(session, actor_of(org_id), key.id)
    await session.commit()
    revoked = await live.http.get("/api/v1/instances", headers=headers)
    assert revoked.status_code == 401 and revoked.headers["content-type"] == PROBLEM


async def test_openapi_lists_every_contract_path(live) -> None:  # type: ignore[no-untyped-def]
    document = (await live.http.get("/api/v1/openapi.json")).json()
    expected = {
        ("get", "/api/v1/instances"), ("post", "/api/v1/instances"), ("get", "/api/v1/instances/{instance_id}"),
        ("delete", "/api/v1/instances/{instance_id}"), ("post", "/api/v1/instances/{instance_id}/connect"),
        ("post", "/api/v1/instances/{instance_id}/disconnect"), ("post", "/api/v1/instances/{instance_id}/logout"),
        ("get", "/api/v1/instances/{instance_id}/qr"), ("post", "/api/v1/instances/{instance_id}/pairphone"),
        ("get", "/api/v1/instances/{instance_id}/status"), ("post", "/api/v1/instances/{instance_id}/messages"),
        ("get", "/api/v1/instances/{instance_id}/messages"), ("get", "/api/v1/messages/{message_id}"),
        ("get", "/api/v1/instances/{instance_id}/webhook"), ("put", "/api/v1/instances/{instance_id}/webhook"),
        ("delete", "/api/v1/instances/{instance_id}/webhook"),
        ("post", "/api/v1/instances/{instance_id}/webhook/rotate-secret"),
        ("get", "/api/v1/instances/{instance_id}/webhook/deliveries"),
        ("post", "/api/v1/webhook-deliveries/{delivery_id}/redeliver"), ("get", "/api/v1/usage"),
    }
    present = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert expected <= present, expected - present


async def test_control_characters_and_extreme_dates_get_clear_errors(live, session) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session)
    named = await live.http.post("/api/v1/instances", json={"name": "Shop\u001b[31m"}, headers=headers)
    assert named.status_code == 422 and named.json()["code"] == "invalid_instance_name"
    instance_id = await _linked(live, headers)

    hook = await live.http.put(f"/api/v1/instances/{instance_id}/webhook",
                               json={"url": "https://example.com/h\r\nX-Evil: 1"}, headers=headers)
    assert hook.status_code == 422 and hook.json()["code"] == "unsafe_webhook_url"
    assert "control characters" in hook.json()["detail"]

    nul = await live.http.post(f"/api/v1/instances/{instance_id}/messages",
                               json={"to": "5511912345678", "text": "a\u0000b"}, headers=headers)
    assert nul.status_code == 422 and nul.json()["code"] == "nul_character"
    history = await live.http.get(f"/api/v1/instances/{instance_id}/messages", headers=headers)
    assert history.json()["data"] == []  # refused before anything was recorded

    oldest = await live.http.get("/api/v1/usage", params={"to": "0001-01-01"}, headers=headers)
    assert oldest.status_code == 200 and oldest.json()["from"] == "0001-01-01" and oldest.json()["data"] == []


async def test_a_forged_cursor_is_422_on_every_list(live, session) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session)
    created = await live.http.post("/api/v1/instances", json={"name": "Shop"}, headers=headers)
    instance_id = created.json()["id"]
    for path in ("/api/v1/instances", f"/api/v1/instances/{instance_id}/messages",
                 f"/api/v1/instances/{instance_id}/webhook/deliveries"):
        for cursor in ("zzzzzz", "' OR 1=1--", "inst_" + "u" * 26, "~~"):  # 'u' is not Crockford base32
            answer = await live.http.get(path, params={"cursor": cursor}, headers=headers)
            assert answer.status_code == 422 and answer.json()["code"] == "invalid_cursor", (path, cursor, answer.text)
    await live.http.post("/api/v1/instances", json={"name": "Second"}, headers=headers)
    first = (await live.http.get("/api/v1/instances", params={"limit": 1}, headers=headers)).json()
    rest = await live.http.get("/api/v1/instances", params={"cursor": first["nextCursor"]}, headers=headers)
    assert rest.status_code == 200 and [i["id"] for i in rest.json()["data"]] == [instance_id]  # a real one passes


async def test_a_malformed_body_is_401_without_a_key_and_a_clear_422_with_one(live, session) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session)
    json_type = {"content-type": "application/json"}
    anonymous = await live.http.post("/api/v1/instances", content=b"{bad", headers=json_type)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    keyed = await live.http.post("/api/v1/instances", content=b"{bad", headers={**headers, **json_type})
    assert keyed.status_code == 422 and keyed.headers["content-type"] == PROBLEM
    assert keyed.json()["detail"] == "the body is not valid JSON (at character 1)"
    assert keyed.json()["errors"] == [{"field": "", "message": "the body is not valid JSON (at character 1)"}]
