"""The /sandbox page's state drives the in-process sandbox through Python, scoped to the viewer:
a signed-in user sees and acts on their organization's sessions only (by the instance's name),
an anonymous visitor on their own test-panel session only, nobody else on anything."""

from __future__ import annotations

import pytest

import livchat.livchat  # noqa: F401  (every state registered in the main context, like the served app)
from livchat.core.db import db
from livchat.sandbox.runtime import get_sandbox
from livchat.services.whatsapp import instances, test_panel
from livchat.state.sandbox_phone import SandboxPhoneState
from tests.accounts.accounts_support import event_text, tab_with_cookie
from tests.factories import actor_of, signed_in_owner
from tests.whatsapp.wa_support import LiveApp

pytestmark = pytest.mark.usefixtures("forget_sandbox_users")


async def owner_with_waiting_instance(email: str, name: str) -> tuple[str, str, str]:
    """(organization id, Cookie header, instance id) with the instance showing QR codes."""
    organization_id, cookie = await signed_in_owner(email)
    async with db.session() as session:
        instance = await instances.create_instance(session, actor_of(organization_id), name)
        await instances.qr_code(session, actor_of(organization_id), instance.id)
    return organization_id, cookie, instance.id


def page(cookie: str = "") -> SandboxPhoneState:
    return tab_with_cookie(SandboxPhoneState, cookie, url="/sandbox")


async def opened_by_visitor(anonymous_token: str) -> SandboxPhoneState:
    """The page opened by a browser whose local storage holds this test-panel token: the page load
    asks the browser for it, and the browser answers through `use_anonymous_token`."""
    state = page()
    asked = await state.refresh()
    assert "localStorage.getItem" in event_text(asked)
    await state.use_anonymous_token(anonymous_token)
    assert anonymous_token not in repr(state.dict())  # traded for its session's id, never kept
    return state


async def wuzapi_user(instance_id: str):  # type: ignore[no-untyped-def]
    async with db.session() as session:
        row = await instances.find_by_id(session, instance_id)
    return get_sandbox().find_session(session_id=row.wuzapi_user_id or "")


async def test_a_signed_in_user_sees_and_links_only_their_organizations_sessions(live: LiveApp) -> None:
    _, ana_cookie, ana_instance = await owner_with_waiting_instance("ana@example.com", "Loja da Ana")
    _, _, bo_instance = await owner_with_waiting_instance("bo@example.com", "Bo's shop")
    bo_user = await wuzapi_user(bo_instance)
    sandbox = get_sandbox()

    state = page(ana_cookie)
    await state.refresh()
    assert [(s["instance_id"], s["name"], s["state"]) for s in state.sessions] == [
        (ana_instance, "Loja da Ana", "waiting")]
    assert not state.signed_out and "qr" not in state.sessions[0]  # no code leaves the server

    # Another organization's session: not by its id, not by its QR payload, not by its pairing code.
    await state.link_session(bo_instance)
    assert (state.notice_key, state.notice_ok) == ("sandbox.error.no_session", False)
    state.set_qr_payload(sandbox.view(bo_user).qr)
    await state.link_qr()
    assert state.notice_key == "sandbox.error.code_not_found"
    code = sandbox.pair_phone(bo_user, "5511966665555")
    state.set_pairing_code(code)
    await state.link_code()
    assert state.notice_key == "sandbox.error.code_not_found"
    assert sandbox.view(sandbox.find_session(session_id=bo_user.id)).state == "waiting"

    state.set_phone("+55 11 97777-1234")
    await state.link_session(ana_instance)
    assert (state.notice_key, state.active_session) == ("sandbox.done.linked", ana_instance)
    assert [(s["state"], s["phone"]) for s in state.sessions] == [("linked", "5511977771234")]
    assert [s["instance_id"] for s in state.linked_sessions] == [ana_instance]

    state.set_sender("5511912345678")
    state.set_text("")
    await state.send()
    assert (state.notice_key, state.notice_ok) == ("sandbox.error.text_required", False)
    state.set_text("hello from a contact")
    await state.send()
    assert state.notice_key == "sandbox.done.sent" and state.text == ""
    ana_user = await wuzapi_user(ana_instance)
    assert [m.content["text"] for m in sandbox.store.messages(ana_user.id, "in")] == ["hello from a contact"]

    message_id, _ = sandbox.send(ana_user, "text", {"phone": "5511912345678", "body": "reply"})
    await state.poll()  # new outbox items appear without reloading the page
    assert [(o["id"], o["text"], o["type"], o["status"]) for o in state.outbox] == [
        (message_id, "reply", "text", "sent")]
    await state.mark(message_id, "Delivered")
    assert state.outbox[0]["status"] == "delivered"
    await state.mark(message_id, "Read")
    assert state.outbox[0]["status"] == "read"

    await state.disconnect()
    assert state.notice_key == "sandbox.done.disconnected"
    assert [s["state"] for s in state.sessions] == ["offline"] and state.active_session == ""
    await state.logout()  # nothing linked and selected any more
    assert state.notice_ok is False
    await state.reconnect(bo_instance)
    assert state.notice_key == "sandbox.error.no_session"
    await state.reconnect(ana_instance)
    assert state.notice_key == "sandbox.done.reconnected" and state.active_session == ana_instance
    await state.logout()
    assert state.notice_key == "sandbox.done.logged_out"
    assert [s["state"] for s in state.sessions] == ["disconnected"]


async def test_an_anonymous_visitor_links_their_own_test_panel_session_only(live: LiveApp) -> None:
    async with db.session() as session:
        visitor = await test_panel.create_session(session, "203.0.113.7")
        await test_panel.qr(session, visitor.row)
        other = await test_panel.create_session(session, "203.0.113.8")
        await test_panel.qr(session, other.row)

    nobody = page()
    await nobody.refresh()
    assert (nobody.signed_out, nobody.sessions) == (True, [])
    stranger = await opened_by_visitor("lc_anon_not-a-real-token")
    assert stranger.sessions == []

    state = await opened_by_visitor(visitor.token)
    [mine] = state.sessions
    assert (mine["name"], mine["state"]) == ("Test panel", "waiting")
    await state.link_session(mine["instance_id"])
    assert state.notice_key == "sandbox.done.linked"
    assert [s["state"] for s in state.sessions] == ["linked"]

    theirs = await opened_by_visitor(other.token)
    assert [s["state"] for s in theirs.sessions] == ["waiting"]  # untouched
    await theirs.link_session(mine["instance_id"])
    assert theirs.notice_key == "sandbox.error.no_session"
