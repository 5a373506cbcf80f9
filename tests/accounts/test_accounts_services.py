"""Local accounts, sessions, password reset, organizations, roles and invitations (services only)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from livchat.core.crypto import hash_token
from livchat.core.db import db, utcnow
from livchat.models import EmailOutbox, Membership, UserSession
from livchat.models.enums import Role
from livchat.services import actors
from livchat.services.accounts import auth, invitations, organizations, users
from livchat.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from livchat.services.notifications import email
from tests.factories import PASSWORD, actor_of


def _link(row: EmailOutbox, marker: str) -> str:
    line = next(line for line in email.body_of(row).splitlines() if marker in line)
    return line.split("token=", 1)[1].strip()


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


# --- throttling -------------------------------------------------------------------------------


async def _fail(session, email_address: str, ip: str | None, times: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        with pytest.raises(auth.InvalidCredentials):
            await auth.check_password(session, email_address, "nope-nope", ip=ip)


async def test_a_guesser_locks_only_itself_out_of_an_account(session):
    await auth.sign_up(session, "ana@example.com", PASSWORD)
    await _fail(session, "ana@example.com", "10.0.0.66", auth.SIGN_IN_PER_ACCOUNT_IP.amount)
    # That client is stopped, even with the right password...
    with pytest.raises(auth.TooManyAttempts):
        await auth.check_password(session, "ana@example.com", PASSWORD, ip="10.0.0.66")
    # ...its refused attempts no longer count against the account, and its owner signs in elsewhere.
    for _ in range(20):
        with pytest.raises(auth.TooManyAttempts):
            await auth.check_password(session, "ana@example.com", "nope-nope", ip="10.0.0.66")
    assert (await auth.check_password(session, "ana@example.com", PASSWORD, ip="10.0.0.7")).email == "ana@example.com"


async def test_a_success_forgives_that_clients_failures(session):
    await auth.sign_up(session, "ana@example.com", PASSWORD)
    budget = auth.SIGN_IN_PER_ACCOUNT_IP.amount
    await _fail(session, "ana@example.com", "10.0.0.8", budget - 1)
    await auth.check_password(session, "ana@example.com", PASSWORD, ip="10.0.0.8")
    await _fail(session, "ana@example.com", "10.0.0.8", budget - 1)  # a fresh budget, not one left


async def test_one_client_trying_many_accounts_is_stopped(session):
    await auth.sign_up(session, "ana@example.com", PASSWORD)
    for i in range(auth.SIGN_IN_PER_IP.amount):
        with pytest.raises(auth.InvalidCredentials):
            await auth.check_password(session, f"user{i}@example.com", "nope-nope", ip="10.0.0.9")
    with pytest.raises(auth.TooManyAttempts):
        await auth.check_password(session, "ana@example.com", PASSWORD, ip="10.0.0.9")
    assert (await auth.check_password(session, "ana@example.com", PASSWORD, ip="10.0.0.10")).email == "ana@example.com"


async def test_many_clients_against_one_account_meet_a_backoff_not_a_lock(session):
    await auth.sign_up(session, "ana@example.com", PASSWORD)
    first_step = auth.SIGN_IN_PER_ACCOUNT[0]
    per_client = auth.SIGN_IN_PER_ACCOUNT_IP.amount
    clients = [f"10.1.0.{i}" for i in range(first_step.amount // per_client)]
    for ip in clients:
        await _fail(session, "ana@example.com", ip, per_client)
    with pytest.raises(auth.TooManyAttempts):
        await auth.check_password(session, "ana@example.com", PASSWORD, ip="10.1.9.9")
    # The account is held back for the first step's window (minutes), not locked for good.
    stats = await auth._limiter().get_window_stats(first_step, "sign-in-account", "ana@example.com")
    assert stats.remaining == 0 and stats.reset_time - time.time() <= first_step.get_expiry()
    assert first_step.get_expiry() <= 5 * 60


async def test_the_owners_usual_client_is_not_held_by_failures_from_elsewhere(session):
    """Successes do not use the account-wide budget; a client that signed in from its address is
    not held when attackers elsewhere exhaust it."""
    await auth.sign_up(session, "ana@example.com", PASSWORD)
    first_step = auth.SIGN_IN_PER_ACCOUNT[0]
    for _ in range(first_step.amount + 5):  # the owner signing in often costs the account nothing
        await auth.check_password(session, "ana@example.com", PASSWORD, ip="10.2.0.1")
    per_client = auth.SIGN_IN_PER_ACCOUNT_IP.amount
    for i in range(first_step.amount // per_client):  # attackers from many addresses
        await _fail(session, "ana@example.com", f"10.2.1.{i}", per_client)
    with pytest.raises(auth.TooManyAttempts):  # a new address meets the backoff...
        await auth.check_password(session, "ana@example.com", PASSWORD, ip="10.2.9.9")
    # ...the owner's usual one does not.
    assert (await auth.check_password(session, "ana@example.com", PASSWORD, ip="10.2.0.1")).email == "ana@example.com"


async def test_concurrent_attempts_are_each_counted_before_the_password_is_checked(database):
    async with db.session() as session:
        await auth.sign_up(session, "ana@example.com", PASSWORD)
        await session.commit()

    async def attempt() -> str:
        async with db.session() as session:
            try:
                await auth.check_password(session, "ana@example.com", "nope-nope", ip="10.0.0.11")
            except auth.ServiceError as exc:
                return exc.code
        return "signed-in"

    outcomes = await asyncio.gather(*(attempt() for _ in range(20)))
    assert outcomes.count("invalid_credentials") == auth.SIGN_IN_PER_ACCOUNT_IP.amount
    assert outcomes.count("too_many_attempts") == 20 - auth.SIGN_IN_PER_ACCOUNT_IP.amount


async def test_throttle_lives_in_redis_when_configured_so_workers_share_it(session, clerk_configured):
    clerk_configured({"REDIS_URL": "redis://127.0.0.1:6379/15"})
    auth.reset_throttle()
    email_address = f"redis-{uuid.uuid4().hex[:8]}@example.com"  # fresh counters in the shared Redis
    await _fail(session, email_address, "10.0.0.12", auth.SIGN_IN_PER_ACCOUNT_IP.amount)
    auth.reset_throttle()  # a new limiter, as another worker process would have
    with pytest.raises(auth.TooManyAttempts):
        await auth.check_password(session, email_address, "nope-nope", ip="10.0.0.12")


# --- sessions and tickets -----------------------------------------------------------------------


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


async def test_last_seen_is_written_at_most_once_a_minute(session):
    signed = await auth.sign_up(session, "ana@example.com", PASSWORD)
    row, token = await auth.create_session(session, signed.user.id)
    await session.commit()
    first_seen = row.last_seen_at
    await auth.resolve_session(session, token)
    assert not session.dirty  # seen seconds ago: nothing to write
    row.last_seen_at = utcnow() - timedelta(minutes=2)
    session.add(row)
    await session.commit()
    await auth.resolve_session(session, token)
    await session.commit()
    assert (await session.get(UserSession, row.id)).last_seen_at > first_seen


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


# --- password reset -----------------------------------------------------------------------------


async def test_password_reset_by_emailed_link(session):
    signed = await auth.sign_up(session, "ana@example.com", PASSWORD)
    _, old_token = await auth.create_session(session, signed.user.id)
    await auth.request_password_reset(session, "nobody@example.com")  # silent
    await auth.request_password_reset(session, "ana@example.com")
    emails = list(await session.exec(select(EmailOutbox)))
    assert [e.to_email for e in emails] == ["ana@example.com"]
    token = _link(emails[0], "/reset-password?token=")

    with pytest.raises(InvalidInput, match="password_too_short"):
        await auth.reset_password(session, token, "short")
    await auth.reset_password(session, token, "a brand new password")
    assert await auth.check_password(session, "ana@example.com", "a brand new password")
    assert await auth.resolve_session(session, old_token) is None  # every old session ended
    with pytest.raises(InvalidInput, match="invalid_reset_token"):
        await auth.reset_password(session, token, "yet another password")


async def test_a_reset_ends_the_users_other_reset_links_and_sign_in_tickets(session):
    signed = await auth.sign_up(session, "ana@example.com", PASSWORD)
    await auth.request_password_reset(session, "ana@example.com")
    await auth.request_password_reset(session, "ana@example.com")
    first, second = [_link(e, "token=") for e in await session.exec(select(EmailOutbox).order_by(EmailOutbox.id))]
    ticket = await auth.issue_sign_in_ticket(session, signed.user.id)
    await auth.reset_password(session, second, "a brand new password")
    with pytest.raises(InvalidInput, match="invalid_reset_token"):
        await auth.reset_password(session, first, "the attackers password")
    assert await auth.redeem_sign_in_ticket(session, ticket) is None


async def test_reset_requests_are_throttled_per_address_and_per_client(session):
    for _ in range(auth.RESET_PER_EMAIL.amount):
        await auth.count_password_reset("ana@example.com", "10.0.0.20")
    with pytest.raises(auth.TooManyAttempts):
        await auth.count_password_reset("ANA@example.com", "10.0.0.21")  # the address, from anywhere
    for i in range(auth.RESET_PER_IP.amount):
        await auth.count_password_reset(f"user{i}@example.com", "10.0.0.22")
    with pytest.raises(auth.TooManyAttempts):
        await auth.count_password_reset("someone@example.com", "10.0.0.22")  # the client, for any address


async def test_reset_emails_are_in_the_users_language_and_encrypted_at_rest(session):
    await auth.sign_up(session, "ana@example.com", PASSWORD, locale="pt-BR")
    await auth.request_password_reset(session, "ana@example.com")
    await session.commit()
    row = (await session.exec(select(EmailOutbox))).one()
    assert row.subject == "Redefina sua senha do LivChat"
    body = email.body_of(row)
    assert "Abra este link" in body and "Open this link" not in body  # one language, the recipient's
    async with db.async_engine.connect() as conn:
        stored = (await conn.execute(text("SELECT body_text FROM email_outbox"))).scalar_one()
    assert "/reset-password?token=" not in stored and _link(row, "token=") not in stored


# --- organizations and roles --------------------------------------------------------------------


async def _org_with(session, *roles: str):
    owner = await auth.sign_up(session, "owner@example.com", PASSWORD, organization_name="Acme")
    people = []
    for i, role in enumerate(roles):
        user = await users.create_user(session, f"p{i}@example.com", PASSWORD)
        people.append(await users.add_member(session, owner.organization, user, Role(role)))
    return owner, people


async def test_roles_decide_who_manages_members(session):
    owner, (_admin, member, other) = await _org_with(session, "admin", "member", "member")
    org_id = owner.organization.id
    owner_membership = (await organizations.membership_of(session, org_id, owner.user.id)).membership

    with pytest.raises(PermissionDenied):
        await organizations.remove_member(session, actor_of(org_id, Role.MEMBER), other.id)
    with pytest.raises(PermissionDenied):  # admins cannot remove, demote or make owners
        await organizations.remove_member(session, actor_of(org_id, Role.ADMIN), owner_membership.id)
    with pytest.raises(PermissionDenied):
        await organizations.change_role(session, actor_of(org_id, Role.ADMIN), owner_membership.id, Role.ADMIN)
    with pytest.raises(PermissionDenied):
        await organizations.change_role(session, actor_of(org_id, Role.ADMIN), member.id, Role.OWNER)
    await organizations.change_role(session, actor_of(org_id, Role.ADMIN), member.id, Role.ADMIN)
    await organizations.remove_member(session, actor_of(org_id, Role.ADMIN), other.id)
    remaining = {m.membership.id for m in await organizations.list_members(session, org_id)}
    assert other.id not in remaining and member.id in remaining

    with pytest.raises(NotFound):  # another organization's membership id looks missing
        stranger = await auth.sign_up(session, "eve@example.com", PASSWORD)
        theirs = (await organizations.membership_of(session, stranger.organization.id, stranger.user.id)).membership
        await organizations.remove_member(session, actor_of(org_id, Role.OWNER), theirs.id)
    assert actors.can(Role.OWNER, "delete_organization")
    assert not actors.can(Role.ADMIN, "delete_organization")
    assert actors.can(Role.ADMIN, "manage_keys") and not actors.can(Role.MEMBER, "manage_keys")
    # Connecting, pairing, QR codes, disconnecting and redelivering are for admins and owners.
    assert actors.can(Role.ADMIN, "manage_instances") and not actors.can(Role.MEMBER, "manage_instances")


async def test_last_owner_cannot_leave_but_can_after_transfer(session):
    owner, (admin,) = await _org_with(session, "admin")
    org_id = owner.organization.id
    with pytest.raises(Conflict, match="last_owner"):
        await organizations.leave(session, actor_of(org_id, Role.OWNER, owner.user.id))
    owner_membership = (await organizations.membership_of(session, org_id, owner.user.id)).membership
    with pytest.raises(Conflict, match="last_owner"):
        await organizations.change_role(session, actor_of(org_id, Role.OWNER), owner_membership.id, Role.ADMIN)
    await organizations.transfer_ownership(session, actor_of(org_id, Role.OWNER, owner.user.id), admin.id)
    await organizations.leave(session, actor_of(org_id, Role.OWNER, owner.user.id))
    members = await organizations.list_members(session, org_id)
    assert [(m.user.email, m.membership.role) for m in members] == [("p0@example.com", Role.OWNER)]


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(database):
    """Each demotion alone is allowed (there is another owner); both at once must not leave none."""
    for round_ in range(3):
        async with db.session() as session:
            owner = await auth.sign_up(session, f"o{round_}@example.com", PASSWORD, organization_name=f"Race {round_}")
            second = await users.create_user(session, f"s{round_}@example.com", PASSWORD)
            other = await users.add_member(session, owner.organization, second, Role.OWNER)
            first = (await organizations.membership_of(session, owner.organization.id, owner.user.id)).membership
            await session.commit()
        org_id = owner.organization.id

        async def demote(membership_id: str, org_id: str = org_id) -> str:
            async with db.session() as session:
                try:
                    await organizations.change_role(session, actor_of(org_id, Role.OWNER), membership_id, Role.ADMIN)
                    await session.commit()
                except Conflict as exc:
                    return exc.detail
            return "demoted"

        outcomes = sorted(await asyncio.gather(demote(first.id), demote(other.id)))
        assert outcomes == ["demoted", "last_owner"]
        async with db.session() as session:
            roles = [m.membership.role for m in await organizations.list_members(session, org_id)]
        assert roles.count(Role.OWNER) == 1


async def test_two_owners_leaving_at_once_leave_one_owner(database):
    for round_ in range(3):
        async with db.session() as session:
            owner = await auth.sign_up(session, f"o{round_}@example.com", PASSWORD, organization_name=f"Race {round_}")
            second = await users.create_user(session, f"s{round_}@example.com", PASSWORD)
            await users.add_member(session, owner.organization, second, Role.OWNER)
            await session.commit()
        org_id = owner.organization.id

        async def leave(user_id: str, org_id: str = org_id) -> str:
            async with db.session() as session:
                try:
                    await organizations.leave(session, actor_of(org_id, Role.OWNER, user_id))
                    await session.commit()
                except Conflict as exc:
                    return exc.detail
            return "left"

        assert sorted(await asyncio.gather(leave(owner.user.id), leave(second.id))) == ["last_owner", "left"]
        async with db.session() as session:
            assert [m.membership.role for m in await organizations.list_members(session, org_id)] == [Role.OWNER]


async def test_delete_organization_is_for_owners_and_takes_its_rows(session):
    owner, (_admin,) = await _org_with(session, "admin")
    org_id = owner.organization.id
    with pytest.raises(PermissionDenied):
        await organizations.delete_organization(session, actor_of(org_id, Role.ADMIN))
    await organizations.delete_organization(session, actor_of(org_id, Role.OWNER))
    await session.commit()
    assert list(await session.exec(select(Membership).where(Membership.organization_id == org_id))) == []


async def test_removed_member_loses_the_active_organization(session):
    owner, (member,) = await _org_with(session, "member")
    org_id = owner.organization.id
    row, _ = await auth.create_session(session, member.user_id)
    await auth.select_organization(session, row, org_id)
    await organizations.remove_member(session, actor_of(org_id, Role.OWNER), member.id)
    await session.refresh(row)
    assert row.active_organization_id is None
    assert await auth.active_membership(session, row) is None
    assert (await session.get(UserSession, row.id)).revoked_at is None  # still signed in, no org


# --- invitations ----------------------------------------------------------------------------------


async def test_invitation_by_emailed_link_creates_the_membership(session):
    owner, (admin, member) = await _org_with(session, "admin", "member")
    org_id = owner.organization.id
    with pytest.raises(PermissionDenied):
        await invitations.invite(session, actor_of(org_id, Role.MEMBER, member.user_id), "new@example.com")
    with pytest.raises(PermissionDenied):
        await invitations.invite(session, actor_of(org_id, Role.ADMIN, admin.user_id), "new@example.com",
                                 role=Role.OWNER)
    with pytest.raises(NotFound):  # someone outside the organization
        stranger = await auth.sign_up(session, "eve@example.com", PASSWORD)
        await invitations.invite(session, actor_of(org_id, Role.ADMIN, stranger.user.id), "new@example.com")
    _invitation, token = await invitations.invite(session, actor_of(org_id, Role.ADMIN, admin.user_id),
                                                 "New@Example.com", role=Role.ADMIN)
    row = (await session.exec(select(EmailOutbox).where(EmailOutbox.to_email == "new@example.com"))).one()
    assert invitations.invitation_link(token) in email.body_of(row) and row.organization_id == org_id
    assert invitations.invitation_link(token) not in row.body_text  # encrypted at rest

    other = await users.create_user(session, "other@example.com", PASSWORD)
    with pytest.raises(Conflict, match="invitation_email_mismatch"):
        await invitations.accept(session, token, other)
    newcomer = await users.create_user(session, "new@example.com", PASSWORD)
    membership = await invitations.accept(session, token, newcomer)
    assert membership.organization_id == org_id and membership.role == Role.ADMIN
    with pytest.raises(InvalidInput, match="invalid_invitation"):
        await invitations.accept(session, token, newcomer)
    with pytest.raises(Conflict, match="already_member"):
        await invitations.invite(session, actor_of(org_id, Role.OWNER, owner.user.id), "new@example.com")


@pytest.mark.parametrize("what_happens", ["demoted", "removed"])
async def test_an_invitation_lapses_when_its_inviter_may_no_longer_invite(session, what_happens):
    owner, (admin,) = await _org_with(session, "admin")
    org_id = owner.organization.id
    _, token = await invitations.invite(session, actor_of(org_id, Role.ADMIN, admin.user_id), "new@example.com",
                                        role=Role.ADMIN)
    if what_happens == "demoted":
        await organizations.change_role(session, actor_of(org_id, Role.OWNER), admin.id, Role.MEMBER)
    else:
        await organizations.remove_member(session, actor_of(org_id, Role.OWNER), admin.id)
    newcomer = await users.create_user(session, "new@example.com", PASSWORD)
    with pytest.raises(InvalidInput, match="invalid_invitation"):
        await invitations.accept(session, token, newcomer)
    assert await organizations.membership_of(session, org_id, newcomer.id) is None


async def test_admins_cannot_withdraw_an_owners_invitation(session):
    owner, (_admin,) = await _org_with(session, "admin")
    invitation, _ = await invitations.invite(session, actor_of(owner.organization.id, Role.OWNER, owner.user.id),
                                             "new@example.com",
                                             role=Role.OWNER)
    with pytest.raises(PermissionDenied):
        await invitations.revoke(session, actor_of(owner.organization.id, Role.ADMIN), invitation.id)
    await invitations.revoke(session, actor_of(owner.organization.id, Role.OWNER), invitation.id)


async def test_invitation_emails_speak_the_invitees_language(session):
    owner, _ = await _org_with(session)
    await users.create_user(session, "known@example.com", PASSWORD, locale="en")
    org_id = owner.organization.id
    await invitations.invite(session, actor_of(org_id, Role.OWNER, owner.user.id), "stranger@example.com",
                             language="pt-BR")
    await invitations.invite(session, actor_of(org_id, Role.OWNER, owner.user.id), "known@example.com",
                             language="pt-BR")
    subjects = {e.to_email: e.subject for e in await session.exec(select(EmailOutbox))}
    # A newcomer gets the inviter's language; someone with an account gets their own.
    assert subjects == {"stranger@example.com": "Você foi convidado para Acme no LivChat",
                        "known@example.com": "You are invited to Acme on LivChat"}


# --- Clerk mode -------------------------------------------------------------------------------------


async def test_with_clerk_every_local_account_entry_point_refuses(session, clerk_configured):
    signed = await auth.sign_up(session, "ana@example.com", PASSWORD)
    await auth.request_password_reset(session, "ana@example.com")
    token = _link((await session.exec(select(EmailOutbox))).one(), "token=")
    clerk_configured({"CLERK_PUBLISHABLE_KEY": "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k", "CLERK_SECRET_KEY": "sk_test_x"})
    refused = [
        auth.sign_up(session, "bo@example.com", PASSWORD),
        auth.sign_up_invited(session, "any", "bo@example.com", PASSWORD),
        auth.check_password(session, "ana@example.com", PASSWORD),
        auth.count_password_reset("ana@example.com", "10.0.0.30"),
        auth.request_password_reset(session, "ana@example.com"),
        auth.reset_password(session, token, "a brand new password"),
    ]
    for call in refused:
        with pytest.raises(PermissionDenied, match="local_accounts_disabled"):
            await call
    assert await users.get_user_by_email(session, "bo@example.com") is None
    assert (await users.get_user_by_email(session, "ana@example.com")).password_hash == signed.user.password_hash


async def test_accounts_linked_to_clerk_get_no_reset_link(session):
    signed = await auth.sign_up(session, "ana@example.com", PASSWORD)
    await auth.request_password_reset(session, "ana@example.com")  # asked before Clerk took over
    token = _link((await session.exec(select(EmailOutbox))).one(), "token=")
    signed.user.clerk_user_id = "user_2abc"
    session.add(signed.user)
    await session.flush()
    await auth.request_password_reset(session, "ana@example.com")
    assert len(list(await session.exec(select(EmailOutbox)))) == 1  # nothing new sent
    with pytest.raises(InvalidInput, match="invalid_reset_token"):
        await auth.reset_password(session, token, "a brand new password")


@pytest.mark.parametrize("address", ["a\x1b[31mb@example.com", "a\x00b@example.com", "a\u200bb@example.com",
                                     "['z@example.com']x\x7f@example.com"])
def test_addresses_with_control_or_invisible_characters_are_refused(address):
    with pytest.raises(InvalidInput) as refused:
        users.normalize_email(address)
    assert refused.value.detail == "invalid_email"


async def test_names_with_control_characters_are_refused_and_a_long_name_still_signs_up(session):
    for name in ("Evil\r\nBcc: x@evil.com", "A\x00B", "Tab\there"):
        with pytest.raises(InvalidInput) as refused:
            await users.create_organization(session, name)
        assert refused.value.detail == "invalid_organization_name"
    assert (await users.create_organization(session, "Café 🚀 Ltda")).name == "Café 🚀 Ltda"  # emoji are fine
    signed = await auth.sign_up(session, f"{'n' * 130}@example.com", "long-password", name="J" * 130)
    assert signed.user.name == "J" * 120 and signed.organization.name == "J" * 120  # named after them, cut to fit
    from livchat.services.accounts import api_keys

    with pytest.raises(InvalidInput) as refused:
        await api_keys.create_api_key(session, actor_of(signed.organization.id), "key\nname")
    assert refused.value.detail == "invalid_key_name"


async def test_two_accepts_of_one_invitation_at_once_make_one_membership(database):
    async with db.session() as session:
        owner = await auth.sign_up(session, "boss@example.com", PASSWORD, organization_name="Race Co")
        _, token = await invitations.invite(session, actor_of(owner.organization.id, Role.OWNER, owner.user.id),
                                            "twice@example.com")
        invitee = await users.create_user(session, "twice@example.com", PASSWORD)
        await session.commit()

    async def accept() -> object:
        async with db.session() as own:
            try:
                membership = await invitations.accept(own, token, invitee)
                await own.commit()
                return membership
            except InvalidInput as exc:
                await own.rollback()
                return exc

    outcomes = await asyncio.gather(accept(), accept())
    assert sorted(type(o).__name__ for o in outcomes) == ["InvalidInput", "Membership"]
    async with db.session() as session:
        rows = (await session.exec(select(Membership).where(Membership.user_id == invitee.id))).all()
    assert len(rows) == 1


async def test_sign_ups_are_limited_per_ip(database):
    auth.reset_throttle()
    try:
        for _ in range(20):
            await auth.count_sign_up("198.51.100.20")
        with pytest.raises(auth.TooManyAttempts) as refused:
            await auth.count_sign_up("198.51.100.20")
        assert refused.value.detail == "too_many_sign_ups"
        await auth.count_sign_up("198.51.100.21")  # another client is not held by it
    finally:
        auth.reset_throttle()
