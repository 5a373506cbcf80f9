"""One test per row group of ../shared/API.md "v1", over HTTP with an API key, against the real
app served on a socket with the in-process WuzAPI sandbox (fixtures in conftest.py)."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from livchat.models.enums import Plan
from livchat.services import accounts, api_keys
from livchat.services.limits import reset_rate_limits
from livchat.services.whatsapp_events import InstanceConnected, MessageRead, MessageReceived

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    reset_rate_limits()  # each test starts with empty windows (memory storage)


async def _org(session: Any, plan: str = Plan.STARTER) -> tuple[str, dict[str, str]]:
    org = await accounts.create_organization(session, "Acme")
    org.plan = plan
    session.add(org)
    key = await api_keys.create_api_key(session, org.id, "contract")
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
    instance_id = await _linked(live, headers, "5511988887777")

    listed = await live.http.get("/api/v1/instances", headers=headers)
    assert listed.status_code == 200 and [i["id"] for i in listed.json()["data"]] == [instance_id]
    assert listed.json()["nextCursor"] is None

    one = (await live.http.get(f"/api/v1/instances/{instance_id}", headers=headers)).json()
    assert set(one) == {"id", "name", "status", "whatsappJid", "whatsappName", "webhook", "createdAt", "lastConnectedAt"}
    assert one["status"] == "connected" and one["whatsappJid"] == "5511988887777@s.whatsapp.net"
    assert one["createdAt"].endswith("Z") and one["lastConnectedAt"]

    status = await live.http.get(f"/api/v1/instances/{instance_id}/status", headers=headers)
    assert status.json() == {"connected": True, "loggedIn": True, "whatsappJid": "5511988887777@s.whatsapp.net"}

    again = await live.http.get(f"/api/v1/instances/{instance_id}/qr", headers=headers)
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    assert again.json()["code"] == "already_connected"

    off = await live.http.post(f"/api/v1/instances/{instance_id}/disconnect", headers=headers)
    assert off.status_code == 200 and off.json()["connected"] is False
    out = await live.http.post(f"/api/v1/instances/{instance_id}/logout", headers=headers)
    assert out.status_code == 200 and out.json() == {"connected": False, "loggedIn": False, "whatsappJid": None}

    gone = await live.http.delete(f"/api/v1/instances/{instance_id}", headers=headers)
    assert gone.status_code == 204
    missing = await live.http.get(f"/api/v1/instances/{instance_id}", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert instance_id not in [s["name"] for s in (await live.control.get("/sessions")).json()["sessions"]]


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
    assert set(sent) == {"id", "whatsappMessageId", "status", "timestamp"} and sent["status"] == "sent"
    replay = await live.http.post(base, json=send, headers={**headers, "Idempotency-Key": "order-1"})
    assert replay.status_code == 201 and replay.json() == sent
    assert replay.headers["idempotent-replayed"] == "true"
    outbox = (await live.control.get("/outbox", params={"phone": phone})).json()["messages"]
    assert [m["id"] for m in outbox].count(sent["whatsappMessageId"]) == 1  # sent once

    await live.control.post("/receipt", json={"messageId": sent["whatsappMessageId"], "state": "Read"})
    await live.wait_event(MessageRead, lambda e: e.message_id == sent["id"])
    one = await live.http.get(f"/api/v1/messages/{sent['id']}", headers=headers)
    assert one.status_code == 200 and one.json()["status"] == "read" and one.json()["direction"] == "outbound"

    await live.control.post("/inbound", json={"phone": phone, "from": "5511912345678", "text": "Thanks!"})
    await live.wait_event(MessageReceived, lambda e: e.instance_id == instance_id)
    history = (await live.http.get(base, params={"chat": "+55 11 91234-5678", "limit": 1}, headers=headers)).json()
    assert history["data"][0]["text"] == "Thanks!" and history["data"][0]["direction"] == "inbound"
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


async def test_api_rate_limit_per_organization(live, session) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session, Plan.FREE)  # 100 requests a minute
    for n in range(100):
        ok = await live.http.get("/api/v1/instances", headers=headers)
        assert ok.status_code == 200, n
        assert ok.headers["ratelimit-limit"] == "100" and ok.headers["ratelimit-remaining"] == str(99 - n)
    limited = await live.http.get("/api/v1/instances", headers=headers)
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1 and int(limited.headers["ratelimit-reset"]) >= 1


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
    assert view["secretPrefix"] and secret.startswith(view["secretPrefix"]) and view["active"] is True

    rotated = (await live.http.post(f"{hook}/rotate-secret", headers=headers)).json()
    assert rotated["secret"] != secret and rotated["secret"].startswith("whsec_")

    bad = await live.http.put(hook, json={"url": "ftp://example.com"}, headers=headers)
    assert bad.status_code == 422

    await live.control.post("/inbound", json={"phone": phone, "from": "5511912345678", "text": "hello"})
    event = await live.wait_event(MessageReceived, lambda e: e.instance_id == instance_id)
    log = (await live.http.get(f"{hook}/deliveries", headers=headers)).json()
    assert [d["eventId"] for d in log["data"]] == [event.id]
    delivery_id = log["data"][0]["id"]
    assert (await live.http.get(f"{hook}/deliveries", params={"status": "failed"}, headers=headers)).json()["data"] == []

    detail = (await live.http.get(f"/api/v1/webhook-deliveries/{delivery_id}", headers=headers)).json()
    assert '"type":"message.received"' in detail["payload"] and isinstance(detail["attemptLog"], list)
    again = await live.http.post(f"/api/v1/webhook-deliveries/{delivery_id}/redeliver", headers=headers)
    assert again.status_code == 202 and again.json()["status"] == "pending"

    assert (await live.http.delete(hook, headers=headers)).status_code == 204
    assert (await live.http.get(hook, headers=headers)).status_code == 404
    reset_settings_cache()


async def test_usage_counts_and_plan(live, session) -> None:  # type: ignore[no-untyped-def]
    _, headers = await _org(session, Plan.FREE)
    instance_id = await _linked(live, headers)
    sent = await live.http.post(f"/api/v1/instances/{instance_id}/messages",
                                json={"to": "5511912345678", "type": "text", "text": "hi"}, headers=headers)
    assert sent.status_code == 201
    usage = (await live.http.get("/api/v1/usage", headers=headers)).json()
    assert usage["plan"] == "free"
    assert usage["limits"] == {"instances": 1, "messagesPerDay": 50, "sendsPerSecond": 1, "apiRequestsPerMinute": 100}
    assert usage["today"]["messagesSent"] == 1 and usage["today"]["messagesRemaining"] == 49
    assert usage["today"]["instancesRemaining"] == 0
    row = next(r for r in usage["data"] if r["instanceId"] == instance_id)
    assert row["messagesSent"] == 1
    reversed_range = await live.http.get("/api/v1/usage", params={"from": "2026-02-02", "to": "2026-02-01"},
                                         headers=headers)
    assert reversed_range.status_code == 422 and reversed_range.json()["code"] == "usage_range_reversed"


async def test_keys_are_required_and_revocation_is_immediate(live, session) -> None:  # type: ignore[no-untyped-def]
    org_id, headers = await _org(session)
    assert (await live.http.get("/api/v1/instances")).status_code == 401
    assert (await live.http.get("/api/v1/instances", headers={"Authorization": "Bearer lc_live_nope"})).status_code == 401
    assert (await live.http.get("/api/v1/instances", headers=headers)).status_code == 200
    key = (await api_keys.list_api_keys(session, org_id))[0]
    await api_keys.revoke_api_key(session, org_id, key.id)
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
