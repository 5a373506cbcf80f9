"""The account pages' Reflex handlers, called as a browser tab would call them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from livchat.core.db import db
from livchat.models import ApiKey, EmailOutbox, Membership
from livchat.models.enums import Role
from livchat.services import accounts, auth, invitations
from livchat.state.account_forms import InviteState, SignInState, SignUpState
from livchat.state.api_keys import ApiKeysState
from livchat.state.members import MembersState
from livchat.state.shell import ShellState

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    auth.reset_throttle()
    yield


async def _user_in_org(email: str, role: str | None = None, org=None):  # type: ignore[no-untyped-def]
    async with db.session() as session:
        if org is None:
            signed = await auth.sign_up(session, email, PASSWORD, organization_name=email.split("@")[0])
            user, org = signed.user, signed.organization
        else:
            user = await accounts.create_user(session, email, PASSWORD)
            await accounts.add_member(session, org, user, Role(role))
        _, token = await auth.create_session(session, user.id)
        await session.commit()
    return user, org, f"{auth.SESSION_COOKIE}={token}"


async def test_sign_in_wrong_password_sets_the_error_and_right_one_opens_a_session(database, browser_tab):
    await _user_in_org("ana@example.com")
    tab = browser_tab(SignInState, "", "/sign-in?next=/dashboard/members")
    assert await SignInState.sign_in.fn(tab, {"email": "ana@example.com", "password": "nope-nope"}) is None
    assert tab.error == "accounts.errors.invalid_credentials"
    event = await SignInState.sign_in.fn(tab, {"email": "ana@example.com", "password": PASSWORD})
    assert tab.error == "" and "/api/auth/session?ticket=" in str(event)
    assert "next=%2Fdashboard%2Fmembers" in str(event)


async def test_signed_out_tab_is_sent_to_sign_in(database, browser_tab):
    tab = browser_tab(ShellState, "")
    event = await ShellState.load.fn(tab)
    assert "/sign-in" in str(event) and tab.ready is False


async def test_sign_up_through_an_invitation_joins_that_organization_only(database, browser_tab):
    owner, org, _ = await _user_in_org("owner@example.com")
    async with db.session() as session:
        _, token = await invitations.invite(session, org.id, Role.OWNER, "new@example.com", role=Role.ADMIN)
        await session.commit()
    tab = browser_tab(SignUpState, "", f"/sign-up?invite={token}")
    await SignUpState.load.fn(tab)
    assert (tab.invited_email, tab.invited_organization) == ("new@example.com", "owner")
    event = await SignUpState.sign_up.fn(tab, {"email": "new@example.com", "password": PASSWORD, "name": "New"})
    assert tab.error == "" and "/api/auth/session" in str(event)
    async with db.session() as session:
        user = await accounts.get_user_by_email(session, "new@example.com")
        roles = [(m.organization_id, m.role) for m in await session.exec(select(Membership).where(Membership.user_id == user.id))]
    assert roles == [(org.id, Role.ADMIN)]


async def test_invite_page_accepts_for_the_signed_in_invitee(database, browser_tab):
    owner, org, _ = await _user_in_org("owner@example.com")
    _, _, invitee_cookie = await _user_in_org("bo@example.com")
    async with db.session() as session:
        _, token = await invitations.invite(session, org.id, Role.OWNER, "bo@example.com")
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
    await ApiKeysState.create.fn(keys, {"name": "sneaky"})
    assert keys.error == "accounts.errors.insufficient_role" and keys.new_secret == ""
    members = browser_tab(MembersState, member_cookie)
    await MembersState.invite.fn(members, {"email": "x@example.com", "role": "member"})
    assert members.error == "accounts.errors.insufficient_role"
    async with db.session() as session:
        assert list(await session.exec(select(ApiKey))) == []
        assert list(await session.exec(select(EmailOutbox))) == []


async def test_owner_creates_key_shown_once_and_revokes_it(database, browser_tab):
    _, org, cookie = await _user_in_org("owner@example.com")
    tab = browser_tab(ApiKeysState, cookie)
    await ApiKeysState.create.fn(tab, {"name": "ci"})
    secret = tab.new_secret
    assert secret.startswith("lc_live_") and [k["name"] for k in tab.keys] == ["ci"]
    assert tab.keys[0]["prefix"].startswith(secret[:12]) and secret not in str(tab.keys)
    await ApiKeysState.load.fn(tab)  # coming back to the page: the secret is gone
    assert tab.new_secret == ""
    await ApiKeysState.revoke.fn(tab, tab.keys[0]["id"])
    assert tab.keys[0]["revoked"] == "yes"


async def test_last_owner_leaving_gets_a_clear_error(database, browser_tab):
    _, org, cookie = await _user_in_org("owner@example.com")
    tab = browser_tab(MembersState, cookie)
    assert await MembersState.leave.fn(tab) is None
    assert tab.error == "accounts.errors.last_owner"
