"""The test panel's services on both databases, against the in-process sandbox over HTTP: the one
definition of its per-IP limits (shared with /api/public), the signed previews of what a
developer's webhook would receive, and keeping the connection on sign-up (migrate)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select

from livchat.core.db import db
from livchat.core.settings import reset_settings_cache
from livchat.models import AnonymousSession, Instance, Message
from livchat.models.enums import Role
from livchat.services.accounts import users
from livchat.services.actors import Actor
from livchat.services.errors import PermissionDenied
from livchat.services.usage.limits import (
    PlanLimitReached,
    RateLimited,
    reset_rate_limits,
)
from livchat.services.webhooks import signing
from livchat.services.whatsapp import events as ev
from livchat.services.whatsapp import panel_feed, panel_limits, test_panel
from livchat.services.whatsapp.events import InstanceConnected, MessageReceived
from tests.whatsapp.wa_support import LiveApp, linked_instance


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    reset_rate_limits()
    yield
    os.environ.pop("LIVCHAT_PANEL_LIMITS", None)
    reset_settings_cache()


def _panel_limits(value: str) -> None:
    os.environ["LIVCHAT_PANEL_LIMITS"] = value
    reset_settings_cache()


def verify_as_documented(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's side, written from the docs (not from our signing module)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    hex_ok = hmac.compare_digest(hmac.new(key, body, hashlib.sha256).hexdigest(), headers["x-hmac-signature"])
    return hex_ok and any(hmac.compare_digest(expected, s.split(",", 1)[1])
                          for s in headers["webhook-signature"].split() if s.startswith("v1,"))


# --- limits -----------------------------------------------------------------------------------

def test_the_limits_are_api_md_s_and_one_setting_overrides_them() -> None:
    limits = panel_limits.panel_limits()
    assert {name: str(item) for name, item in limits.rates.items()} == {
        "session": "10 per 1 hour", "connect": "5 per 1 hour", "qr": "60 per 1 minute",
        "status": "120 per 1 minute", "pairphone": "10 per 1 hour", "message_day": "50 per 1 day",
        "message_second": "1 per 1 second"}
    assert limits.code_seconds == 160 and test_panel.daily_messages() == 50

    _panel_limits('{"pairphone": "2/hour", "message_day": "3/day", "code_seconds": 30}')
    limits = panel_limits.panel_limits()
    assert (limits.rates["pairphone"].amount, limits.code_seconds, test_panel.daily_messages()) == (2, 30, 3)
    assert limits.rates["connect"].amount == 5  # the rest as sold

    for wrong in ('{"pairphones": "2/hour"}', '{"qr": "often"}', '{"code_seconds": 0}', "[1]", "{"):
        _panel_limits(wrong)
        with pytest.raises(ValueError, match="LIVCHAT_PANEL_LIMITS"):
            panel_limits.panel_limits()


async def test_the_panel_and_the_rest_api_count_in_the_same_windows(live: LiveApp) -> None:
    """What the landing page's state spends from an address, the REST twin cannot spend again."""
    _panel_limits('{"session": "2/hour"}')
    for _ in range(2):
        await panel_limits.take("session", "127.0.0.1")  # the state's call, for the visitor's address
    refused = await live.http.post("/api/public/session")  # the REST twin, from that same address
    assert refused.status_code == 429 and refused.headers["ratelimit-limit"] == "2"
    with pytest.raises(RateLimited) as caught:
        await panel_limits.take("session", "127.0.0.1")
    assert caught.value.result.retry_after >= 1
    await panel_limits.take("session", "203.0.113.9")  # another address has its own window


# --- what the feed shows ----------------------------------------------------------------------

async def test_previews_are_signed_like_real_deliveries_with_the_sessions_own_demo_secret(
        live: LiveApp, session: Any) -> None:
    created = await test_panel.create_session(session, "198.51.100.7")
    other = await test_panel.create_session(session, "198.51.100.8")
    secret = panel_feed.demo_secret(created.row.id)
    assert secret == panel_feed.demo_secret(created.row.id) != panel_feed.demo_secret(other.row.id)
    assert secret.startswith("whsec_") and len(signing.key_bytes(secret)) == 32

    instance = await linked_instance(live, session, None, phone="5511933332222",
                                     anonymous_session_id=created.row.id)
    async with db.session() as fresh:  # the sandbox's events updated the row in other sessions
        view = await panel_feed.panel_instance(fresh, instance.id)
    assert view == panel_feed.PanelInstance(created.row.id, True, "5511933332222", "")

    await live.control.post("/inbound", json={"id": instance.wuzapi_user_id, "from": "5511912345678",
                                              "text": "<b>is it open?</b>"})
    event = await live.wait_event(MessageReceived, lambda e: e.instance_id == instance.id)
    assert event.organization_id is None  # an anonymous instance: no endpoint, no delivery rows
    shown = panel_feed.delivery_preview(event, secret)
    headers = dict(line.split(": ", 1) for line in shown["headers"].splitlines())
    assert headers["webhook-id"] == event.id == shown["webhook_id"]
    assert verify_as_documented(secret, headers, shown["body"].encode())
    assert not verify_as_documented(panel_feed.demo_secret(other.row.id), headers, shown["body"].encode())
    assert (shown["type"], shown["direction"], shown["phone"], shown["text"]) == (
        "message.received", "inbound", "5511912345678", "<b>is it open?</b>")  # as typed: the UI renders text


async def test_an_organizations_instance_has_no_panel_view(live: LiveApp, session: Any) -> None:
    org = await users.create_organization(session, "Acme")
    await session.commit()
    instance = await linked_instance(live, session, org.id, phone="5511922221111")
    assert await panel_feed.panel_instance(session, instance.id) is None
    assert await panel_feed.panel_instance(session, "inst_missing") is None


# --- keeping the connection -------------------------------------------------------------------

async def _owner(session: Any, name: str, plan: str = "free", role: str = Role.OWNER) -> Actor:
    org = await users.create_organization(session, name)
    org.plan = plan
    user = await users.create_user(session, f"{name.lower()}@example.com", None)
    await users.add_member(session, org, user, role)
    await session.commit()
    return Actor.for_member(org.id, user.id, role)


async def _linked_visitor(live: LiveApp, session: Any, ip: str, phone: str) -> tuple[str, Instance]:
    created = await test_panel.create_session(session, ip)
    instance = await linked_instance(live, session, None, phone=phone, anonymous_session_id=created.row.id)
    await test_panel.send_test_message(session, created.row, "+55 11 91234-5678", "hi from the panel")
    return created.token, instance


async def test_signing_up_moves_the_linked_number_and_its_messages_and_spends_the_token(
        live: LiveApp, session: Any) -> None:
    token, instance = await _linked_visitor(live, session, "198.51.100.20", "5511944440000")
    actor = await _owner(session, "Newco")

    kept = await test_panel.migrate_to_organization(session, token, actor)
    assert kept is not None and kept.id == instance.id
    async with db.session() as fresh:
        row = await fresh.get(Instance, instance.id)
        assert row is not None and (row.organization_id, row.status, row.whatsapp_jid) == (
            actor.organization_id, "connected", "5511944440000@s.whatsapp.net")
        messages = (await fresh.exec(select(Message).where(Message.instance_id == instance.id))).all()
        assert [m.organization_id for m in messages] == [actor.organization_id]
        anon = (await fresh.exec(select(AnonymousSession).where(
            AnonymousSession.migrated_to_organization_id == actor.organization_id))).one()
        assert anon.migrated_at is not None
    # The token is spent: neither the panel nor a second sign-up can use it again.
    with pytest.raises(test_panel.SessionExpired):
        await test_panel.resolve(session, token)
    with pytest.raises(test_panel.SessionExpired):
        await test_panel.migrate_to_organization(session, token, await _owner(session, "Other"))
    # Still linked in the gateway: nothing to scan again.
    sessions = (await live.control.get("/sessions")).json()["sessions"]
    assert next(s for s in sessions if s["id"] == instance.wuzapi_user_id)["state"] == "linked"


async def test_it_counts_against_the_plan_and_needs_a_role_that_manages_instances(
        live: LiveApp, session: Any) -> None:
    token, instance = await _linked_visitor(live, session, "198.51.100.30", "5511955550000")
    full = await _owner(session, "Fullco", plan="free")
    session.add(Instance(id="inst_existing", organization_id=full.organization_id, name="Existing",
                         wuzapi_token_encrypted="x", hmac_key_encrypted="x"))
    await session.commit()
    with pytest.raises(PlanLimitReached):
        await test_panel.migrate_to_organization(session, token, full)

    member = await _owner(session, "Memberco", role=Role.MEMBER)
    with pytest.raises(PermissionDenied):
        await test_panel.migrate_to_organization(session, token, member)

    # Refused twice, still the visitor's: the panel keeps working and a roomier plan takes it.
    anon = await test_panel.resolve(session, token)
    assert (await test_panel.instance_of(session, anon)).id == instance.id
    starter = await _owner(session, "Roomyco", plan="starter")
    assert (await test_panel.migrate_to_organization(session, token, starter)) is not None


async def test_a_session_that_never_connected_has_nothing_to_keep_and_stays_usable(session: Any) -> None:
    created = await test_panel.create_session(session, "198.51.100.40")
    actor = await _owner(session, "Emptyco")
    assert await test_panel.migrate_to_organization(session, created.token, actor) is None
    assert (await test_panel.resolve(session, created.token)).migrated_at is None


async def test_a_live_session_is_found_by_its_id_until_it_ends(session: Any) -> None:
    first = await test_panel.create_session(session, "198.51.100.50")
    assert (await test_panel.session_by_id(session, first.row.id)).id == first.row.id
    await test_panel.create_session(session, "198.51.100.50")  # the same network starts another
    for gone in (first.row.id, "", "anon_unknown"):
        with pytest.raises(test_panel.SessionExpired):
            await test_panel.session_by_id(session, gone)


def test_feed_events_are_the_ones_developers_subscribe_to() -> None:
    assert {cls.webhook_type for cls in panel_feed.FEED_EVENTS} == set(ev.WEBHOOK_EVENT_TYPES) - {
        "instance.qr_updated"}
    assert InstanceConnected in panel_feed.FEED_EVENTS
