"""Local accounts, sessions, password reset, organizations, roles and invitations (services only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from livchat.core.crypto import hash_token
from livchat.core.db import utcnow
from livchat.models import EmailOutbox, Membership, UserSession
from livchat.models.enums import Role
from livchat.services import accounts, auth, invitations, organizations
from livchat.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    auth.reset_throttle()
    yield
    auth.reset_throttle()


async def test_sign_up_creates_owner_of_a_new_organization(session):
    signed = await auth.sign_up(session, "Ana@Example.com", PASSWORD, name="Ana", organization_name="Acme")
    assert signed.user.email == "ana@example.com"
    assert signed.user.password_hash and signed.user.password_hash.startswith("$argon2id$")
    found = await organizations.organizations_of(session, signed.user.id)
    assert [(m.organization.name, m.role) for m in found] == [("Acme", Role.OWNER)]


async def test_sign_up_rejects_taken_email_and_short_password(session):
    await auth.sign_up(session, "ana@example.com", PASSWORD)
    with pytest.raises(Conflict, match="email_taken"):
        await auth.sign_up(session, "ANA@example.com", PASSWORD)
    with pytest.raises(InvalidInput, match="password_too_short"):
        await auth.sign_up(session, "bo@example.com", "short")


async def test_check_password_accepts_right_and_rejects_wrong(session):
    await auth.sign_up(session, "ana@example.com", PASSWORD)
    user = await auth.check_password(session, " ANA@example.com ", PASSWORD, ip="10.0.0.1")
    assert user.email == "ana@example.com"
    with pytest.raises(auth.InvalidCredentials):
        await auth.check_password(session, "ana@example.com", "wrong password", ip="10.0.0.1")
    with pytest.raises(auth.InvalidCredentials):
        await auth.check_password(session, "nobody@example.com", PASSWORD, ip="10.0.0.1")


async def test_failed_sign_ins_are_throttled_per_account_then_per_ip(session):
    await auth.sign_up(session, "ana@example.com", PASSWORD)
    for _ in range(auth.ACCOUNT_FAILURES.amount):
        with pytest.raises(auth.InvalidCredentials):
            await auth.check_password(session, "ana@example.com", "nope-nope", ip="10.0.0.2")
    # Even the right password is refused while the account is throttled.
    with pytest.raises(auth.TooManyAttempts):
        await auth.check_password(session, "ana@example.com", PASSWORD, ip="10.0.0.3")

    auth.reset_throttle()
    for i in range(auth.IP_FAILURES.amount):
        with pytest.raises(auth.InvalidCredentials):
            await auth.check_password(session, f"user{i}@example.com", "nope-nope", ip="10.0.0.9")
    with pytest.raises(auth.TooManyAttempts):
        await auth.check_password(session, "ana@example.com", PASSWORD, ip="10.0.0.9")
    # Another IP still gets through to the (unthrottled) account.
    assert (await auth.check_password(session, "ana@example.com", PASSWORD, ip="10.0.0.10")).email == "ana@example.com"


async def test_sessions_are_stored_hashed_expire_and_revoke(session):
    signed = await auth.sign_up(session, "ana@example.com", PASSWORD)
    row, token = await auth.create_session(session, signed.user.id, ip="127.0.0.1", user_agent="pytest")
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    resolved = await auth.resolve_session(session, token)
    assert resolved is not None and resolved[1].id == signed.user.id
    assert await auth.resolve_session(session, token + "x") is None

    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    await session.flush()
    assert await auth.resolve_session(session, token) is None

    _, second = await auth.create_session(session, signed.user.id)
    await auth.revoke_session(session, second)
    assert await auth.resolve_session(session, second) is None


async def test_sign_in_ticket_is_single_use(session):
    signed = await auth.sign_up(session, "ana@example.com", PASSWORD)
    ticket = await auth.issue_sign_in_ticket(session, signed.user.id)
    token = await auth.redeem_sign_in_ticket(session, ticket)
    assert token and (await auth.resolve_session(session, token)) is not None
    assert await auth.redeem_sign_in_ticket(session, ticket) is None
    assert await auth.redeem_sign_in_ticket(session, "made-up") is None


async def test_active_organization_is_chosen_only_when_unambiguous(session):
    signed = await auth.sign_up(session, "ana@example.com", PASSWORD, organization_name="One")
    row, _ = await auth.create_session(session, signed.user.id)
    assert (await auth.active_membership(session, row)).organization.id == signed.organization.id

    second = await organizations.create_for(session, signed.user, "Two")
    row2, _ = await auth.create_session(session, signed.user.id)
    assert await auth.active_membership(session, row2) is None  # two organizations: the user picks
    await auth.select_organization(session, row2, second.id)
    assert (await auth.active_membership(session, row2)).organization.id == second.id

    stranger = await auth.sign_up(session, "eve@example.com", PASSWORD, organization_name="Evil")
    with pytest.raises(NotFound):
        await auth.select_organization(session, row2, stranger.organization.id)


async def test_password_reset_by_emailed_link(session):
    signed = await auth.sign_up(session, "ana@example.com", PASSWORD)
    _, old_token = await auth.create_session(session, signed.user.id)
    await auth.request_password_reset(session, "nobody@example.com")  # silent
    await auth.request_password_reset(session, "ana@example.com")
    emails = list(await session.exec(select(EmailOutbox)))
    assert [e.to_email for e in emails] == ["ana@example.com"]
    link = next(line for line in emails[0].body_text.splitlines() if "/reset-password?token=" in line)
    token = link.split("token=", 1)[1].strip()

    with pytest.raises(InvalidInput, match="password_too_short"):
        await auth.reset_password(session, token, "short")
    await auth.reset_password(session, token, "a brand new password")
    assert await auth.check_password(session, "ana@example.com", "a brand new password")
    assert await auth.resolve_session(session, old_token) is None  # every old session ended
    with pytest.raises(InvalidInput, match="invalid_reset_token"):
        await auth.reset_password(session, token, "yet another password")


async def _org_with(session, *roles: str):
    owner = await auth.sign_up(session, "owner@example.com", PASSWORD, organization_name="Acme")
    people = []
    for i, role in enumerate(roles):
        user = await accounts.create_user(session, f"p{i}@example.com", PASSWORD)
        people.append(await accounts.add_member(session, owner.organization, user, Role(role)))
    return owner, people


async def test_roles_decide_who_manages_members(session):
    owner, (admin, member, other) = await _org_with(session, "admin", "member", "member")
    org_id = owner.organization.id
    owner_membership = (await organizations.membership_of(session, org_id, owner.user.id)).membership

    with pytest.raises(PermissionDenied):
        await organizations.remove_member(session, org_id, Role.MEMBER, other.id)
    with pytest.raises(PermissionDenied):  # admins cannot touch owners or make owners
        await organizations.remove_member(session, org_id, Role.ADMIN, owner_membership.id)
    with pytest.raises(PermissionDenied):
        await organizations.change_role(session, org_id, Role.ADMIN, member.id, Role.OWNER)
    await organizations.change_role(session, org_id, Role.ADMIN, member.id, Role.ADMIN)
    await organizations.remove_member(session, org_id, Role.ADMIN, other.id)
    remaining = {m.membership.id for m in await organizations.list_members(session, org_id)}
    assert other.id not in remaining and member.id in remaining

    with pytest.raises(NotFound):  # another organization's membership id looks missing
        stranger = await auth.sign_up(session, "eve@example.com", PASSWORD)
        theirs = (await organizations.membership_of(session, stranger.organization.id, stranger.user.id)).membership
        await organizations.remove_member(session, org_id, Role.OWNER, theirs.id)
    assert organizations.can(Role.OWNER, "delete_organization")
    assert not organizations.can(Role.ADMIN, "delete_organization")
    assert organizations.can(Role.ADMIN, "manage_keys") and not organizations.can(Role.MEMBER, "manage_keys")


async def test_last_owner_cannot_leave_but_can_after_transfer(session):
    owner, (admin,) = await _org_with(session, "admin")
    org_id = owner.organization.id
    with pytest.raises(Conflict, match="last_owner"):
        await organizations.leave(session, org_id, owner.user.id)
    await organizations.transfer_ownership(session, org_id, owner.user.id, admin.id)
    await organizations.leave(session, org_id, owner.user.id)
    members = await organizations.list_members(session, org_id)
    assert [(m.user.email, m.membership.role) for m in members] == [("p0@example.com", Role.OWNER)]


async def test_delete_organization_is_for_owners_and_takes_its_rows(session):
    owner, (admin,) = await _org_with(session, "admin")
    org_id = owner.organization.id
    with pytest.raises(PermissionDenied):
        await organizations.delete_organization(session, org_id, Role.ADMIN)
    await organizations.delete_organization(session, org_id, Role.OWNER)
    await session.commit()
    assert list(await session.exec(select(Membership).where(Membership.organization_id == org_id))) == []


async def test_invitation_by_emailed_link_creates_the_membership(session):
    owner, _ = await _org_with(session)
    org_id = owner.organization.id
    with pytest.raises(PermissionDenied):
        await invitations.invite(session, org_id, Role.MEMBER, "new@example.com")
    with pytest.raises(PermissionDenied):
        await invitations.invite(session, org_id, Role.ADMIN, "new@example.com", role=Role.OWNER)
    invitation, token = await invitations.invite(session, org_id, Role.ADMIN, "New@Example.com", role=Role.ADMIN)
    email = (await session.exec(select(EmailOutbox).where(EmailOutbox.to_email == "new@example.com"))).one()
    assert invitations.invitation_link(token) in email.body_text and email.organization_id == org_id

    other = await accounts.create_user(session, "other@example.com", PASSWORD)
    with pytest.raises(Conflict, match="invitation_email_mismatch"):
        await invitations.accept(session, token, other)
    newcomer = await accounts.create_user(session, "new@example.com", PASSWORD)
    membership = await invitations.accept(session, token, newcomer)
    assert membership.organization_id == org_id and membership.role == Role.ADMIN
    with pytest.raises(InvalidInput, match="invalid_invitation"):
        await invitations.accept(session, token, newcomer)
    with pytest.raises(Conflict, match="already_member"):
        await invitations.invite(session, org_id, Role.OWNER, "new@example.com")


async def test_removed_member_loses_the_active_organization(session):
    owner, (member,) = await _org_with(session, "member")
    org_id = owner.organization.id
    row, _ = await auth.create_session(session, member.user_id)
    await auth.select_organization(session, row, org_id)
    await organizations.remove_member(session, org_id, Role.OWNER, member.id)
    await session.refresh(row)
    assert row.active_organization_id is None
    assert await auth.active_membership(session, row) is None
    assert (await session.get(UserSession, row.id)).revoked_at is None  # still signed in, no org


async def test_throttle_lives_in_redis_when_configured_so_workers_share_it(session, monkeypatch):
    import uuid

    from livchat.core.settings import reset_settings_cache

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    reset_settings_cache()
    auth.reset_throttle()
    email = f"redis-{uuid.uuid4().hex[:8]}@example.com"  # fresh counters in the shared Redis
    try:
        for _ in range(auth.ACCOUNT_FAILURES.amount):
            with pytest.raises(auth.InvalidCredentials):
                await auth.check_password(session, email, "nope-nope", ip=None)
        auth.reset_throttle()  # a new limiter, as another worker process would have
        with pytest.raises(auth.TooManyAttempts):
            await auth.check_password(session, email, "nope-nope", ip=None)
    finally:
        monkeypatch.delenv("REDIS_URL")
        reset_settings_cache()
        auth.reset_throttle()
