"""The anonymous test-panel API (API.md's first table) over HTTP against the sandbox."""

from __future__ import annotations

import random
from typing import Any

import pytest

from livchat.core.db import db, utcnow
from livchat.core.settings import reset_settings_cache
from livchat.services.accounts import api_keys, users
from livchat.services.actors import Actor
from livchat.services.usage.limits import reset_rate_limits
from livchat.services.whatsapp import test_panel
from livchat.services.whatsapp.events import InstanceConnected
from tests.factories import actor_of


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    reset_rate_limits()


async def _visitor(live: Any) -> dict[str, str]:
    created = await live.http.post("/api/public/session")
    assert created.status_code == 200, created.text
    body = created.json()
    assert set(body) == {"anonymousId", "anonymousToken", "expiresAt"}
    return {"X-Anonymous-Token": body["anonymousToken"]}


async def _link(live: Any, headers: dict[str, str]) -> str:
    connect = await live.http.post("/api/public/connect", headers=headers)
    assert connect.status_code == 200 and connect.json() == {"status": "connecting", "qrAvailable": True}
    qr = (await live.http.get("/api/public/qr", headers=headers)).json()
    assert qr["qrCode"].startswith("data:image/png;base64,") and qr["expiresIn"] > 0
    phone = "55119" + str(random.randrange(10_000_000, 99_999_999))
    async with db.session() as session:
        anon = await test_panel.resolve(session, headers["X-Anonymous-Token"])
        instance = await test_panel.instance_of(session, anon)
    waiting = await live.session_of(instance.wuzapi_user_id or "")
    await live.link(qr=waiting["qr"], phone=phone)
    await live.wait_event(InstanceConnected)
    return phone


async def test_visitor_links_whatsapp_and_sends_test_messages(live) -> None:  # type: ignore[no-untyped-def]
    headers = await _visitor(live)
    before = (await live.http.get("/api/public/status", headers=headers)).json()
    assert before == {"connected": False, "loggedIn": False, "messagesRemaining": 50}
    phone = await _link(live, headers)

    status = (await live.http.get("/api/public/status", headers=headers)).json()
    assert status["connected"] and status["loggedIn"] and status["whatsappJid"] == f"{phone}@s.whatsapp.net"

    sent = await live.http.post("/api/public/message", json={"to": "+55 11 91234-5678", "message": "Hi!"},
                                headers=headers)
    # At once, before anything else: the per-second window (1/s, from the first send's own check)
    # is still open however slow the machine is, and the next request is refused.
    too_fast = await live.http.post("/api/public/message", json={"to": "5511912345678", "message": "again"},
                                    headers=headers)
    assert sent.status_code == 200, sent.text
    assert sent.json()["success"] is True and sent.json()["messageId"] and sent.json()["timestamp"]
    assert too_fast.status_code == 429 and int(too_fast.headers["retry-after"]) >= 1
    outbox = (await live.control.get("/outbox", params={"phone": phone})).json()["messages"]
    assert [m["text"] for m in outbox] == ["Hi!"]
    assert (await live.http.get("/api/public/status", headers=headers)).json()["messagesRemaining"] == 49

    bad = await live.http.post("/api/public/pairphone", json={"phone": "123"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_phone"


async def test_tokens_are_required_and_a_new_session_replaces_the_old(live) -> None:  # type: ignore[no-untyped-def]
    missing = await live.http.get("/api/public/status")
    assert missing.status_code == 401 and missing.json()["code"] == "anonymous_session_expired"
    wrong = await live.http.get("/api/public/status", headers={"X-Anonymous-Token": "lc_anon_nope"})
    assert wrong.status_code == 401
    first = await _visitor(live)
    second = await _visitor(live)
    assert (await live.http.get("/api/public/status", headers=first)).status_code == 401
    assert (await live.http.get("/api/public/status", headers=second)).status_code == 200


async def test_session_creation_is_limited_per_ip(live) -> None:  # type: ignore[no-untyped-def]
    for _ in range(10):
        assert (await live.http.post("/api/public/session")).status_code == 200
    limited = await live.http.post("/api/public/session")
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert limited.headers["ratelimit-limit"] == "10" and limited.headers["ratelimit-remaining"] == "0"


async def test_behind_a_trusted_proxy_each_visitor_has_their_own_limit(live, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With TRUSTED_PROXY_HOPS=1 the limit keys on the address the proxy saw, not the proxy's own."""
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")
    reset_settings_cache()
    try:
        def visitor(ip: str) -> dict[str, str]:
            return {"X-Forwarded-For": ip}

        for _ in range(10):
            assert (await live.http.post("/api/public/session", headers=visitor("203.0.113.7"))).status_code == 200
        assert (await live.http.post("/api/public/session", headers=visitor("203.0.113.7"))).status_code == 429
        assert (await live.http.post("/api/public/session", headers=visitor("198.51.100.9"))).status_code == 200
    finally:
        monkeypatch.delenv("TRUSTED_PROXY_HOPS")
        reset_settings_cache()


async def test_signing_up_keeps_the_connection(live, session) -> None:  # type: ignore[no-untyped-def]
    headers = await _visitor(live)
    await _link(live, headers)
    org = await users.create_organization(session, "New customer")
    key = await api_keys.create_api_key(session, actor_of(org.id), "k")
    await session.commit()

    actor = Actor.for_api_key(org.id, key.key.id)
    instance = await test_panel.migrate_to_organization(session, headers["X-Anonymous-Token"], actor)
    assert instance is not None
    listed = (await live.http.get("/api/v1/instances", headers={"Authorization": f"Bearer {key.secret}"})).json()
    assert [i["id"] for i in listed["data"]] == [instance.id] and listed["data"][0]["status"] == "connected"
    assert (await live.http.get("/api/public/status", headers=headers)).status_code == 401  # session used up


async def test_a_wrong_number_spends_no_limit_and_the_daily_quota_says_when_it_resets(live) -> None:  # type: ignore[no-untyped-def]
    headers = await _visitor(live)
    await _link(live, headers)
    async with db.session() as session:
        anon = await test_panel.resolve(session, headers["X-Anonymous-Token"])
        anon.messages_used_today, anon.messages_day = test_panel.daily_messages(), utcnow().date()
        session.add(anon)
        await session.commit()

    wrong = await live.http.post("/api/public/message", json={"to": "123", "message": "hi"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_phone"
    # Right after: had the wrong number spent the 1/s limit this would be rate_limited.
    used_up = await live.http.post("/api/public/message", json={"to": "5511912345678", "message": "hi"},
                                   headers=headers)
    assert used_up.status_code == 429 and used_up.json()["code"] == "quota_exceeded", used_up.text
    assert 1 <= int(used_up.headers["retry-after"]) <= 86_400
    assert used_up.headers["ratelimit-limit"] == str(test_panel.daily_messages())
    assert used_up.headers["ratelimit-remaining"] == "0"
