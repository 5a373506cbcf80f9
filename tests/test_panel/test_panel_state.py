"""The landing page's panel state as a tab drives it, on both databases against the in-process
sandbox: each screen reached through the real services and the real limiter (limits lowered with
LIVCHAT_PANEL_LIMITS, the setting operators have), and keeping the connection on sign-up."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from reflex_base import constants

from livchat.core.db import db
from livchat.core.settings import reset_settings_cache
from livchat.services.accounts import auth
from livchat.services.usage.limits import reset_rate_limits
from livchat.services.whatsapp import events as ev
from livchat.services.whatsapp import instances, panel_feed, test_panel
from livchat.services.whatsapp.gateway import get_gateway
from livchat.state import test_panel as panel_state
from livchat.state.test_panel import (
    KeepConnectionState,
    PanelFeed,
    PanelState,
    change_feed,
)
from tests.whatsapp.wa_support import LiveApp, linked_instance

pytestmark = pytest.mark.usefixtures("forget_sandbox_users")


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    reset_rate_limits()
    yield
    os.environ.pop("LIVCHAT_PANEL_LIMITS", None)
    reset_settings_cache()


def _limits(**values: Any) -> None:
    os.environ["LIVCHAT_PANEL_LIMITS"] = json.dumps(values)
    reset_settings_cache()


def _scripts(events: Any) -> str:
    """The JavaScript a handler's answer runs in the browser (joined)."""
    found = []
    for spec in events if isinstance(events, list) else [events]:
        if isinstance(spec, rx.event.EventSpec):
            found.extend(str(value) for _, value in spec.args)
    return " ".join(found)


async def _feed_of(anonymous_session_id: str, until: Any = lambda feed: True, timeout: float = 10.0) -> PanelFeed:
    """The session's shared feed, as every linked tab sees it, once `until` holds (the bus moves it
    right after the event's other subscribers: polled with a deadline)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        seen: list[PanelFeed] = []
        await change_feed(anonymous_session_id, seen.append)
        if until(seen[0]) or asyncio.get_running_loop().time() > deadline:
            return seen[0]
        await asyncio.sleep(0.05)


def _visitor_tab(state_cls: type[rx.State], ip: str, cookie: str = "", url: str = "/") -> Any:
    """A tab from `ip` (each test its own address: the limits are per address)."""
    root = rx.State(_reflex_internal_init=True)
    router = RouterData.from_router_data({
        constants.RouteVar.HEADERS: {"cookie": cookie, "origin": "http://localhost:3000", "user-agent": "pytest"},
        constants.RouteVar.ORIGIN: url, constants.RouteVar.PATH: url, constants.RouteVar.QUERY: {},
        constants.RouteVar.CLIENT_IP: ip,
    })
    state = root.get_substate(state_cls.get_full_name().split(".")[1:])
    for each in {id(root): root, id(state): state}.values():
        each.router = router
    return state


async def _arrive(ip: str = "127.0.0.9", token: str = "") -> PanelState:
    page = _visitor_tab(PanelState, ip)
    await PanelState.start.fn(page)
    answer = await PanelState.resume.fn(page, token)
    if not token:
        assert "localStorage.setItem" in _scripts(answer)  # the new token goes to the browser, once
    return page


async def test_a_first_visit_makes_a_session_and_a_return_keeps_it(live: LiveApp) -> None:
    page = await _arrive()
    assert page.ready and page.problem == "" and page.remaining == page.daily == 50
    assert page.secret == panel_feed.demo_secret(page._anonymous_session_id)
    async with db.session() as session:
        token = (await test_panel.create_session(session, "203.0.113.1")).token
    again = await _arrive("203.0.113.1", token)
    assert again.ready and again.problem == "" and again._anonymous_session_id != page._anonymous_session_id

    dead = await _arrive("203.0.113.2", "lc_anon_not-a-live-token")
    assert dead.problem == "session_expired" and dead._anonymous_session_id == "" and dead.secret == ""
    PanelState.dismiss.fn(dead)  # "Start a new test session"
    await PanelState.new_session.fn(dead)
    assert dead.problem == "" and dead._anonymous_session_id != ""


async def test_qr_follows_rotation_links_sends_and_the_feed_carries_signed_deliveries(live: LiveApp) -> None:
    page = await _arrive()
    panel_state.install(panel_state._app())  # the served app's lifespan does this
    try:
        await PanelState.show_qr.fn(page)
        assert page.problem == "" and page.showing == "qr"
        anon_id = page._anonymous_session_id
        feed = await _feed_of(anon_id)
        assert feed.status == "connecting" and feed.qr_code.startswith("data:image/png;base64,")

        async with db.session() as session:
            instance = await test_panel.instance_of(session, await test_panel.session_by_id(session, anon_id))
        waiting = await live.session_of(instance.wuzapi_user_id or "")
        await live.link(qr=waiting["qr"], phone="5511966665555")
        await live.wait_event(ev.InstanceConnected, lambda e: e.instance_id == instance.id)
        feed = await _feed_of(anon_id, lambda f: f.status == "connected")
        assert (feed.status, feed.number, feed.qr_code) == ("connected", "5511966665555", "")
        assert feed.events[0]["type"] == "instance.connected"

        PanelState.set_to.fn(page, "+55 11 91234-5678")
        PanelState.set_message.fn(page, "Hello <i>from</i> the panel")
        await PanelState.send.fn(page)
        assert page.error == "" and page.sent and page.message == "" and page.remaining == 49
        await live.control.post("/inbound", json={"id": instance.wuzapi_user_id, "from": "5511912345678",
                                                  "text": "Got it!"})
        await live.wait_event(ev.MessageReceived, lambda e: e.instance_id == instance.id)
        feed = await _feed_of(anon_id, lambda f: any(e["type"] == "message.received" for e in f.events))
        received = next(e for e in feed.events if e["type"] == "message.received")
        assert received["text"] == "Got it!" and received["phone"] == "5511912345678"
        assert "webhook-signature: v1," in received["headers"] and "x-hmac-signature: " in received["headers"]
        assert any(e["type"] == "message.sent" and e["text"] == "Hello <i>from</i> the panel" for e in feed.events)
    finally:
        panel_state.uninstall()


async def test_each_limit_has_its_screen(live: LiveApp) -> None:
    _limits(pairphone="1/hour", message_day="1/day", message_second="100/second")
    page = await _arrive()
    PanelState.set_phone.fn(page, "+55 11 97777-0000")
    await PanelState.pair.fn(page)
    assert page.showing == "pairing" and len(page.pairing_code.replace("-", "")) == 8
    await PanelState.pair.fn(page)  # the second within the hour
    assert page.problem == "rate_limited" and page.retry_after > 60 and page.retry_text.endswith(" min")

    async with db.session() as session:
        instance = await test_panel.instance_of(session, await test_panel.session_by_id(
            session, page._anonymous_session_id))
    await live.link(pairing_code=page.pairing_code, phone="5511977770000")
    await live.wait_event(ev.InstanceConnected, lambda e: e.instance_id == instance.id)
    PanelState.dismiss.fn(page)
    await PanelState.sync.fn(page)
    assert page.problem == "" and page.remaining == 1

    PanelState.set_to.fn(page, "5511912345678")
    PanelState.set_message.fn(page, "one")
    await PanelState.send.fn(page)
    assert page.sent and not page.used_up
    PanelState.set_message.fn(page, "two")
    await PanelState.send.fn(page)
    assert page.used_up and page.resets_at.endswith("Z") and page.remaining == 0 and page.message == "two"

    PanelState.set_to.fn(page, "123")  # a wrong number is said inline, and spends nothing
    await PanelState.send.fn(page)
    assert page.error == "test_panel.errors.invalid_phone" and page.problem == ""


async def test_the_gateway_failing_and_a_code_expiring_have_their_screens(live: LiveApp) -> None:
    _limits(code_seconds=1)
    page = await _arrive()
    await PanelState.show_qr.fn(page)
    await PanelState.watch_code.fn(page)  # returns once the one-second code has expired
    assert page.code_expired and page.showing == "qr"
    async with db.session() as session:
        instance = await test_panel.instance_of(session, await test_panel.session_by_id(
            session, page._anonymous_session_id))
    assert (await live.session_of(instance.wuzapi_user_id or ""))["state"] != "waiting"  # no more rotations

    # WuzAPI loses the session's user (an outage, a wiped gateway): its calls are refused.
    await get_gateway().delete_user_full(instance.wuzapi_user_id or "")
    answer = PanelState.new_code.fn(page)
    assert answer is PanelState.show_qr and not page.code_expired
    await PanelState.show_qr.fn(page)
    assert page.problem == "gateway_unavailable"


async def test_keeping_the_connection_opens_the_dashboard_on_it(live: LiveApp) -> None:
    async with db.session() as session:
        visitor = await test_panel.create_session(session, "203.0.113.61")
        signed = await auth.sign_up(session, "panel@example.com", "correct horse battery", organization_name="Panel")
        _, cookie_token = await auth.create_session(session, signed.user.id)
        await session.commit()
    async with db.session() as session:
        instance = await linked_instance(live, session, None, phone="5511988880000",
                                         anonymous_session_id=visitor.row.id)

    keep = _visitor_tab(KeepConnectionState, "203.0.113.61", f"{auth.SESSION_COOKIE}={cookie_token}",
                        url="/test-panel/keep")
    answer = str(await KeepConnectionState.keep.fn(keep, visitor.token))
    assert f"/dashboard/instances/{instance.id}" in answer and "anonymous_token" in answer  # and the token goes
    async with db.session() as session:
        assert [i.id for i in await instances.list_instances(session, signed.organization.id)] == [instance.id]

    await KeepConnectionState.keep.fn(keep, visitor.token)  # spent: a second try keeps nothing
    assert keep.outcome == "expired"
    await KeepConnectionState.keep.fn(keep, "")
    assert keep.outcome == "nothing"

    signed_out = _visitor_tab(KeepConnectionState, "203.0.113.61", url="/test-panel/keep")
    assert "/sign-in" in str(await KeepConnectionState.keep.fn(signed_out, visitor.token))  # and back here after
