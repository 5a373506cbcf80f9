"""The account pages' Reflex handlers, called as a browser tab would call them."""

from __future__ import annotations

import json

from sqlmodel import select

from livchat.core.db import db
from livchat.models import ApiKey, EmailOutbox, Membership
from livchat.models.enums import Role
from livchat.services.accounts import auth, invitations, users
from livchat.state.account_forms import (
    InviteState,
    PasswordResetState,
    SignInState,
    SignUpState,
)
from livchat.state.api_keys import ApiKeysState
from livchat.state.auth import SIGN_IN_AND_BACK_JS, TabOrganization
from livchat.state.i18n import LangState
from livchat.state.members import MembersState
from livchat.state.shell import ShellState
from livchat.state.visitor import VisitorState
from tests.accounts.accounts_support import event_text, run_handler, set_url
from tests.factories import PASSWORD, actor_of


async def _user_in_org(email: str, role: str | None = None, org=None):  # type: ignore[no-untyped-def]
    async with db.session() as session:
        if org is None:
            signed = await auth.sign_up(session, email, PASSWORD, organization_name=email.split("@")[0])
            user, org = signed.user, signed.organization
        else:
            user = await users.create_user(session, email, PASSWORD)
            await users.add_member(session, org, user, Role(role))
        _, token = await auth.create_session(session, user.id)
        await session.commit()
    return user, org, f"{auth.SESSION_COOKIE}={token}"


def _everything_in(state) -> bytes:  # type: ignore[no-untyped-def]
    """What the disk or Redis state manager would store for this tab: every state, serialized."""
    stored = []

    def walk(each):  # type: ignore[no-untyped-def]
        stored.append(each._serialize())
        for sub in each.substates.values():
            walk(sub)

    walk(state._get_root_state())
    return b"".join(stored)


async def test_sign_in_wrong_password_sets_the_error_and_right_one_posts_a_ticket(database, browser_tab):
    await _user_in_org("ana@example.com")
    tab = browser_tab(SignInState, "", "/sign-in?next=/dashboard/members")
    assert await SignInState.sign_in.fn(tab, {"email": "ana@example.com", "password": "nope-nope"}) is None
    assert tab.error == "accounts.errors.invalid_credentials"
    event = event_text(await SignInState.sign_in.fn(tab, {"email": "ana@example.com", "password": PASSWORD}))
    assert tab.error == ""
    # A form POST to the cookie route (not a link that another site could make the browser follow).
    assert "form.method = 'POST'" in event and "/api/auth/session" in event and '"ticket"' in event
    assert '"next": "/dashboard/members"' in event


async def test_sign_in_page_shows_why_a_sign_in_link_failed_and_skips_signed_in_users(database, browser_tab):
    _, _, cookie = await _user_in_org("ana@example.com")
    failed = browser_tab(SignInState, "", "/sign-in?error=sign_in_link_expired")
    assert await SignInState.load.fn(failed) is None
    assert failed.error == "accounts.errors.sign_in_link_expired"
    made_up = browser_tab(SignInState, "", "/sign-in?error=anything_else")
    await SignInState.load.fn(made_up)
    assert made_up.error == ""  # only errors we know are shown
    signed_in = browser_tab(SignInState, cookie, "/sign-in?next=/dashboard/members")
    assert event_text(await SignInState.load.fn(signed_in)).startswith("/dashboard/members")
    sign_up = browser_tab(SignUpState, cookie, "/sign-up")
    assert event_text(await SignUpState.load.fn(sign_up)).startswith("/dashboard")


async def test_the_guard_sends_signed_out_tabs_to_sign_in_and_back(database, browser_tab):
    tab = browser_tab(ShellState, "", "/dashboard/members?tab=pending")
    event = await ShellState.load.fn(tab)
    # "Back" is the page the browser is on when the redirect runs (its path and query, encoded);
    # tests/browser/test_accounts_flow.py follows it in Chromium.
    assert event_text(event) == SIGN_IN_AND_BACK_JS and tab.ready is False
    assert "'/sign-in?next=' + encodeURIComponent(window.location.pathname + window.location.search)" in event_text(event)


async def test_sign_up_through_an_invitation_joins_that_organization_only(database, browser_tab):
    owner, org, _ = await _user_in_org("owner@example.com")
    async with db.session() as session:
        _, token = await invitations.invite(session, actor_of(org.id, Role.OWNER, owner.id), "new@example.com",
                                            role=Role.ADMIN)
        await session.commit()
    tab = browser_tab(SignUpState, "", f"/sign-up?invite={token}")
    await SignUpState.load.fn(tab)
    assert (tab.invited_email, tab.invited_organization) == ("new@example.com", "owner")
    (await tab.get_state(LangState)).chosen = "pt-BR"
    event = await SignUpState.sign_up.fn(tab, {"email": "new@example.com", "password": PASSWORD, "name": "New"})
    assert tab.error == "" and "/api/auth/session" in event_text(event)
    async with db.session() as session:
        user = await users.get_user_by_email(session, "new@example.com")
        roles = [(m.organization_id, m.role) for m in await session.exec(select(Membership).where(Membership.user_id == user.id))]
    assert roles == [(org.id, Role.ADMIN)]
    assert user.locale == "pt-BR"  # their emails are written in the language they signed up in


async def test_invite_page_accepts_for_the_signed_in_invitee(database, browser_tab):
    owner, org, _ = await _user_in_org("owner@example.com")
    _, _, invitee_cookie = await _user_in_org("bo@example.com")
    async with db.session() as session:
        _, token = await invitations.invite(session, actor_of(org.id, Role.OWNER, owner.id), "bo@example.com")
        await session.commit()
    tab = browser_tab(InviteState, invitee_cookie, f"/invite?token={token}")
    await InviteState.load.fn(tab)
    assert tab.valid and tab.signed_in and tab.organization_name == "owner"
    await InviteState.accept.fn(tab)
    shell = browser_tab(ShellState, invitee_cookie)
    await ShellState.load.fn(shell)
    assert shell.organization_id == org.id and shell.role == Role.MEMBER  # the invited organization is now active


async def test_members_cannot_manage_keys_or_invite(database, browser_tab):
    _, org, _ = await _user_in_org("owner@example.com")
    _, _, member_cookie = await _user_in_org("mem@example.com", Role.MEMBER, org)
    keys = browser_tab(ApiKeysState, member_cookie)
    await ApiKeysState.load.fn(keys)
    assert keys.can_manage is False
    assert await ApiKeysState.create.fn(keys, {"name": "sneaky"}) is None
    assert keys.error == "accounts.errors.insufficient_role" and keys.showing_secret is False
    members = browser_tab(MembersState, member_cookie)
    await MembersState.invite.fn(members, {"email": "x@example.com", "role": "member"})
    assert members.error == "accounts.errors.insufficient_role"
    async with db.session() as session:
        assert list(await session.exec(select(ApiKey))) == []
        assert list(await session.exec(select(EmailOutbox))) == []


async def test_a_new_keys_secret_reaches_the_page_once_and_never_the_state(database, browser_tab):
    _, _org, cookie = await _user_in_org("owner@example.com")
    tab = browser_tab(ApiKeysState, cookie)
    event = event_text(await ApiKeysState.create.fn(tab, {"name": "ci"}))
    secret = event.split('textContent = "', 1)[1].split('"', 1)[0]
    assert secret.startswith("lc_live_") and [k["name"] for k in tab.keys] == ["ci"]
    # Beside it, in the page too, a first call to paste into a terminal.
    curl = json.loads(event.split('getElementById("new-api-key-curl").textContent = ', 1)[1])
    assert curl == f'curl -H "Authorization: Bearer {secret}" http://localhost:3000/api/v1/instances'
    assert tab.showing_secret and tab.keys[0]["prefix"].startswith(secret[:12])
    assert secret.encode() not in _everything_in(tab)  # what the disk/Redis state manager would store
    async with db.session() as session:
        assert (await session.exec(select(ApiKey))).one().key_hash != secret
    dismissed = event_text(ApiKeysState.dismiss_secret.fn(tab))
    assert tab.showing_secret is False and dismissed.endswith('textContent = ""')
    await ApiKeysState.revoke.fn(tab, tab.keys[0]["id"])
    assert tab.keys[0]["revoked"] == "yes"


async def test_last_owner_leaving_gets_a_clear_error(database, browser_tab):
    _, _org, cookie = await _user_in_org("owner@example.com")
    tab = browser_tab(MembersState, cookie)
    assert await MembersState.leave.fn(tab) is None
    assert tab.error == "accounts.errors.last_owner"


async def test_the_members_page_shows_who_was_emailed_but_not_the_link(database, browser_tab):
    _owner, _org, cookie = await _user_in_org("owner@example.com")
    tab = browser_tab(MembersState, cookie)
    await MembersState.invite.fn(tab, {"email": "new@example.com", "role": "member"})
    assert tab.notice == "accounts.members.invited" and [e["to"] for e in tab.emails] == ["new@example.com"]
    assert b"token=" not in _everything_in(tab) and b"/invite?" not in _everything_in(tab)


async def test_the_reset_page_says_sent_first_then_the_link_is_emailed(database, browser_tab):
    await _user_in_org("ana@example.com")
    tab = browser_tab(PasswordResetState, "", "/forgot-password")
    steps = PasswordResetState.request_link.fn(tab, {"email": "ana@example.com"})
    await anext(steps)  # the first update the page gets
    assert tab.sent is True
    async with db.session() as session:
        assert list(await session.exec(select(EmailOutbox))) == []  # not even looked up yet
    await run_handler(steps)
    async with db.session() as session:
        assert [e.to_email for e in await session.exec(select(EmailOutbox))] == ["ana@example.com"]
    unknown = browser_tab(PasswordResetState, "", "/forgot-password")
    await run_handler(PasswordResetState.request_link.fn(unknown, {"email": "nobody@example.com"}))
    assert unknown.sent is True and unknown.error == ""  # the same answer


async def test_a_tab_never_acts_on_the_organization_another_tab_switched_to(database, browser_tab):
    user, first_org, cookie = await _user_in_org("owner@example.com")
    async with db.session() as session:
        from livchat.services.accounts import organizations

        second_org = await organizations.create_for(session, user, "Second")
        await session.commit()
    shell_one = browser_tab(ShellState, cookie, "/dashboard/api-keys")
    await ShellState.switch_organization.fn(shell_one, first_org.id)
    await ShellState.load.fn(shell_one)
    assert shell_one.organization_id == first_org.id
    keys_one = await shell_one.get_state(ApiKeysState)
    await ApiKeysState.load.fn(keys_one)

    shell_two = browser_tab(ShellState, cookie, "/dashboard")  # the second tab: same browser session
    await ShellState.switch_organization.fn(shell_two, second_org.id)

    # Tab one still shows the first organization: its button must not create a key in the second.
    reloaded = await ApiKeysState.create.fn(keys_one, {"name": "meant for the first"})
    assert event_text(reloaded) == "window.location.reload()"
    async with db.session() as session:
        assert list(await session.exec(select(ApiKey))) == []
    # After the reload the tab shows the second organization and says why.
    set_url(shell_one._get_root_state(), cookie, "/dashboard/api-keys")
    notice = event_text(await ShellState.load.fn(shell_one))
    assert shell_one.organization_id == second_org.id
    assert "Another tab switched the organization" in notice and "Second" in notice
    assert await ShellState.load.fn(shell_one) is None  # said once
    await ApiKeysState.load.fn(keys_one)
    await ApiKeysState.create.fn(keys_one, {"name": "now for the second"})
    async with db.session() as session:
        assert [(k.name, k.organization_id) for k in await session.exec(select(ApiKey))] == [
            ("now for the second", second_org.id)]
    assert (await keys_one.get_state(TabOrganization))._organization_id == second_org.id


async def test_members_do_not_link_disconnect_or_redeliver(database, browser_tab):
    from test_tenant_isolation import snapshot

    from livchat.state.instance_detail import InstanceDetailState
    from livchat.state.instances import InstancesState
    from tests import factories

    _, org, owner_cookie = await _user_in_org("owner@example.com")
    _, _, member_cookie = await _user_in_org("mem@example.com", Role.MEMBER, org)
    async with db.session() as session:
        instance_id = await factories.ID_FACTORIES["instance_id"](session, org.id)
        delivery_id = await factories.ID_FACTORIES["delivery_id"](session, org.id)
        await session.commit()
    await InstancesState.load.fn(browser_tab(InstancesState, member_cookie, "/dashboard/instances"))  # opens the org
    before = await snapshot(org.id)
    for name, args in (("show_qr", [instance_id]), ("pair", [instance_id, {"phone": "+55 11 91234-5678"}]),
                       ("disconnect", [instance_id]), ("logout", [instance_id]), ("delete", [instance_id])):
        tab = browser_tab(InstancesState, member_cookie, "/dashboard/instances")
        await InstancesState.event_handlers[name].fn(tab, *args)
        assert tab.error.endswith("insufficient_role"), name
    detail = browser_tab(InstanceDetailState, member_cookie, f"/dashboard/instances/{instance_id}",
                         params={"instance_key": instance_id})
    await InstanceDetailState.load.fn(detail)
    await InstanceDetailState.redeliver.fn(detail, delivery_id)
    assert detail.error.endswith("insufficient_role")
    assert await snapshot(org.id) == before  # nothing happened for the whole organization
    # An admin may (the owner here): the same redelivery goes through.
    owner_detail = browser_tab(InstanceDetailState, owner_cookie, f"/dashboard/instances/{instance_id}",
                               params={"instance_key": instance_id})
    await InstanceDetailState.load.fn(owner_detail)
    await InstanceDetailState.redeliver.fn(owner_detail, delivery_id)
    assert owner_detail.error == "" and owner_detail.notice == "dashboard_whatsapp.webhook.redelivery_queued"


async def test_a_tampered_event_changes_nothing_and_raises_nothing(database, browser_tab):
    _, _org, cookie = await _user_in_org("owner@example.com")
    tab = browser_tab(MembersState, cookie)
    await MembersState.load.fn(tab)
    before = [dict(m) for m in tab.members]
    for membership_id, role in ((["m"], "admin"), ({"id": 1}, "admin"), ("mem\x00", "admin"), ("m", ["owner"])):
        assert await MembersState.change_role.fn(tab, membership_id, role) is None
    assert tab.error == "" and tab.members == before
    reset = browser_tab(PasswordResetState, "", "/forgot-password")
    await run_handler(PasswordResetState.request_link.fn(reset, ["not", "a", "form"]))
    assert reset.sent is False  # dropped before it said anything


async def test_public_pages_offer_a_signed_in_visitor_their_account_instead_of_sign_in(database, browser_tab):
    _, _, cookie = await _user_in_org("visitor@example.com")
    signed_in_tab = browser_tab(VisitorState, cookie, "/sandbox")
    await VisitorState.check.fn(signed_in_tab)
    assert (signed_in_tab.signed_in, signed_in_tab.email) == (True, "visitor@example.com")
    for stranger_cookie in ("", f"{auth.SESSION_COOKIE}=not-a-session"):
        stranger = browser_tab(VisitorState, stranger_cookie, "/sandbox")
        await VisitorState.check.fn(stranger)
        assert (stranger.signed_in, stranger.email) == (False, "")
