"""Invitations by emailed link: whoever holds the link and signs in with that email joins."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import hash_token, new_token
from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.core.settings import get_settings
from livchat.models import Invitation, Membership, Organization, User
from livchat.models.enums import Role
from livchat.services import accounts, organizations
from livchat.services.email import send_email
from livchat.services.errors import Conflict, InvalidInput, NotFound

INVITATION_LIFETIME = timedelta(days=7)


def invitation_link(token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/invite?token={token}"


async def invite(
    session: AsyncSession,
    organization_id: str,
    actor_role: str,
    email: str,
    role: str = Role.MEMBER,
    invited_by_user_id: str | None = None,
) -> tuple[Invitation, str]:
    """Create an invitation and email its link. Returns the row and the raw token (shown nowhere else)."""
    if role not in organizations.PERMISSIONS:
        raise InvalidInput("invalid_role")
    organizations.require(actor_role, "manage_owners" if role == Role.OWNER else "manage_members")
    email = accounts.normalize_email(email)
    already = (
        await session.exec(
            select(Membership.id)
            .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
            .where(Membership.organization_id == organization_id, User.email == email)
        )
    ).first()
    if already:
        raise Conflict("already_member")
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound()
    token = new_token("", 32)
    invitation = Invitation(
        id=new_id("inv"),
        organization_id=organization_id,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by_user_id=invited_by_user_id,
        expires_at=utcnow() + INVITATION_LIFETIME,
    )
    session.add(invitation)
    await session.flush()
    await send_email(
        session,
        email,
        f"You are invited to {org.name} on LivChat / Convite para {org.name} no LivChat",
        f"Join {org.name} on LivChat (valid for 7 days):\n"
        f"Entre em {org.name} no LivChat (válido por 7 dias):\n\n{invitation_link(token)}\n",
        org_id=organization_id,
        template="invitation",
    )
    return invitation, token


async def pending_by_token(session: AsyncSession, token: str) -> tuple[Invitation, Organization] | None:
    if not token:
        return None
    row = (
        await session.exec(
            select(Invitation, Organization)
            .join(Organization, Organization.id == Invitation.organization_id)  # type: ignore[arg-type]
            .where(
                Invitation.token_hash == hash_token(token),
                Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
                Invitation.revoked_at.is_(None),  # type: ignore[union-attr]
                Invitation.expires_at > utcnow(),  # type: ignore[arg-type,operator]
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
    membership = await accounts.add_member(session, org, user, invitation.role)  # type: ignore[arg-type]
    invitation.accepted_at = utcnow()
    session.add(invitation)
    await session.flush()
    return membership


async def list_pending(session: AsyncSession, organization_id: str) -> list[Invitation]:
    rows = await session.exec(
        select(Invitation)
        .where(
            Invitation.organization_id == organization_id,
            Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
            Invitation.revoked_at.is_(None),  # type: ignore[union-attr]
            Invitation.expires_at > utcnow(),  # type: ignore[arg-type,operator]
        )
        .order_by(Invitation.created_at.desc())  # type: ignore[attr-defined]
    )
    return list(rows)


async def revoke(session: AsyncSession, organization_id: str, actor_role: str, invitation_id: str) -> None:
    organizations.require(actor_role, "manage_members")
    invitation = (
        await session.exec(
            select(Invitation).where(Invitation.id == invitation_id, Invitation.organization_id == organization_id)
        )
    ).first()
    if invitation is None:
        raise NotFound()
    invitation.revoked_at = utcnow()
    session.add(invitation)
    await session.flush()
