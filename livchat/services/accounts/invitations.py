"""Invitations by emailed link: whoever holds the link and signs in with that email joins."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import hash_token, new_token
from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.core.settings import get_settings
from livchat.i18n import DEFAULT_LANGUAGE
from livchat.models import Invitation, Membership, Organization, User
from livchat.models.enums import Role
from livchat.services.accounts import organizations, users
from livchat.services.actors import PERMISSIONS, Actor, can
from livchat.services.errors import Conflict, InvalidInput, NotFound
from livchat.services.notifications import email as mail

INVITATION_LIFETIME = timedelta(days=7)


def invitation_link(token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/invite?token={token}"


def _permission_to_invite(invited_role: str) -> str:
    return "manage_owners" if invited_role == Role.OWNER else "manage_members"


async def invite(
    session: AsyncSession,
    actor: Actor,
    email: str,
    role: str = Role.MEMBER,
    language: str = DEFAULT_LANGUAGE,
) -> tuple[Invitation, str]:
    """Create an invitation and email its link. Returns the row and the raw token (shown nowhere else).

    The inviter (a person: the invitation lapses when they may no longer invite) must belong to the
    organization; their role is checked again when the invitation is accepted. The email is in the
    invitee's language when they already have an account, else in `language` (the inviter's).
    """
    actor.require("manage_members")
    if role not in PERMISSIONS:
        raise InvalidInput("invalid_role")
    actor.require(_permission_to_invite(role))
    organization_id = actor.organization_id
    inviter = await organizations.membership_of(session, organization_id, actor.user_id or "")
    if inviter is None:
        raise NotFound()
    email_address = users.normalize_email(email)
    already = (
        await session.exec(
            select(Membership.id)
            .join(User, col(User.id) == Membership.user_id)
            .where(Membership.organization_id == organization_id, User.email == email_address)
        )
    ).first()
    if already:
        raise Conflict("already_member")
    org = inviter.organization
    token = new_token("", 32)
    invitation = Invitation(
        id=new_id("inv"),
        organization_id=organization_id,
        email=email_address,
        role=role,
        token_hash=hash_token(token),
        invited_by_user_id=inviter.membership.user_id,
        expires_at=utcnow() + INVITATION_LIFETIME,
    )
    session.add(invitation)
    await session.flush()
    invitee = await users.get_user_by_email(session, email_address)
    await mail.queue(session, mail.compose_translated(
        email_address, "invitation", invitee.locale if invitee else language, organization_id,
        organization=org.name, link=invitation_link(token),
    ))
    return invitation, token


async def pending_by_token(session: AsyncSession, token: str) -> tuple[Invitation, Organization] | None:
    if not token:
        return None
    row = (
        await session.exec(
            select(Invitation, Organization)
            .join(Organization, col(Organization.id) == Invitation.organization_id)
            .where(
                Invitation.token_hash == hash_token(token),
                col(Invitation.accepted_at).is_(None),
                col(Invitation.revoked_at).is_(None),
                col(Invitation.expires_at) > utcnow(),
            )
        )
    ).first()
    return (row[0], row[1]) if row else None


async def accept(session: AsyncSession, token: str, user: User) -> Membership:
    found = await pending_by_token(session, token)
    if found is None:
        raise InvalidInput("invalid_invitation")
    invitation, org = found
    if invitation.email != user.email:
        raise Conflict("invitation_email_mismatch")
    # Whoever invited must still be allowed to: a removed or demoted admin's invitations lapse.
    inviter = (await organizations.membership_of(session, org.id, invitation.invited_by_user_id)
               if invitation.invited_by_user_id else None)
    if inviter is None or not can(inviter.role, _permission_to_invite(invitation.role)):
        raise InvalidInput("invalid_invitation")
    # Spend the invitation first, conditionally: of two accepts at once only one gets the row.
    spent = await session.exec(
        update(Invitation).where(col(Invitation.id) == invitation.id, col(Invitation.accepted_at).is_(None),
                                 col(Invitation.revoked_at).is_(None))
        .values(accepted_at=utcnow()))
    if spent.rowcount != 1:
        raise InvalidInput("invalid_invitation")
    return await users.add_member(session, org, user, Role(invitation.role))


async def list_pending(session: AsyncSession, organization_id: str) -> list[Invitation]:
    rows = await session.exec(
        select(Invitation)
        .where(
            Invitation.organization_id == organization_id,
            col(Invitation.accepted_at).is_(None),
            col(Invitation.revoked_at).is_(None),
            col(Invitation.expires_at) > utcnow(),
        )
        .order_by(col(Invitation.created_at).desc())
    )
    return list(rows)


async def revoke(session: AsyncSession, actor: Actor, invitation_id: str) -> None:
    actor.require("manage_members")
    invitation = (
        await session.exec(
            select(Invitation).where(Invitation.id == invitation_id,
                                     Invitation.organization_id == actor.organization_id)
        )
    ).first()
    if invitation is None:
        raise NotFound()
    actor.require(_permission_to_invite(invitation.role))  # an admin cannot withdraw an owner's invitation
    invitation.revoked_at = utcnow()
    session.add(invitation)
    await session.flush()
