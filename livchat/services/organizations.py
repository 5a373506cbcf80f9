"""Organizations a user belongs to, roles and what each may do, members, leaving, ownership."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.models import Membership, Organization, User, UserSession
from livchat.models.enums import Role
from livchat.services import accounts
from livchat.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied

# What each role may do. Members use and read; admins also run the organization; owners own it.
_MEMBER = {"read", "use"}
_ADMIN = _MEMBER | {"manage_members", "manage_keys", "manage_settings"}
_OWNER = _ADMIN | {"manage_billing", "manage_owners", "transfer_ownership", "delete_organization"}
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.MEMBER: frozenset(_MEMBER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.OWNER: frozenset(_OWNER),
}


def can(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


def require(role: str, permission: str) -> None:
    if not can(role, permission):
        raise PermissionDenied("insufficient_role")


@dataclass(frozen=True)
class OrgMembership:
    organization: Organization
    membership: Membership

    @property
    def role(self) -> str:
        return self.membership.role


@dataclass(frozen=True)
class Member:
    membership: Membership
    user: User


async def organizations_of(session: AsyncSession, user_id: str) -> list[OrgMembership]:
    rows = await session.exec(
        select(Organization, Membership)
        .join(Membership, Membership.organization_id == Organization.id)  # type: ignore[arg-type]
        .where(Membership.user_id == user_id)
        .order_by(Organization.name, Organization.id)
    )
    return [OrgMembership(org, mem) for org, mem in rows]


async def membership_of(session: AsyncSession, organization_id: str, user_id: str) -> OrgMembership | None:
    row = (
        await session.exec(
            select(Organization, Membership)
            .join(Membership, Membership.organization_id == Organization.id)  # type: ignore[arg-type]
            .where(Membership.user_id == user_id, Organization.id == organization_id)
        )
    ).first()
    return OrgMembership(*row) if row else None


async def create_for(session: AsyncSession, user: User, name: str) -> Organization:
    """A new organization with `user` as its owner."""
    return await accounts.create_organization(session, name, owner=user)


async def list_members(session: AsyncSession, organization_id: str) -> list[Member]:
    rows = await session.exec(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
        .where(Membership.organization_id == organization_id)
        .order_by(Membership.created_at, Membership.id)
    )
    return [Member(m, u) for m, u in rows]


async def _member(session: AsyncSession, organization_id: str, membership_id: str) -> Membership:
    row = (
        await session.exec(
            select(Membership).where(Membership.id == membership_id, Membership.organization_id == organization_id)
        )
    ).first()
    if row is None:
        raise NotFound()
    return row


async def _owner_count(session: AsyncSession, organization_id: str) -> int:
    return (
        await session.exec(
            select(func.count()).select_from(Membership).where(
                Membership.organization_id == organization_id, Membership.role == Role.OWNER
            )
        )
    ).one()


def _check_can_manage(actor_role: str, target_role: str, new_role: str | None = None) -> None:
    require(actor_role, "manage_members")
    touches_owner = target_role == Role.OWNER or new_role == Role.OWNER
    if touches_owner and not can(actor_role, "manage_owners"):
        raise PermissionDenied("insufficient_role")


async def change_role(
    session: AsyncSession, organization_id: str, actor_role: str, membership_id: str, new_role: str
) -> Membership:
    if new_role not in PERMISSIONS:
        raise InvalidInput("invalid_role")
    member = await _member(session, organization_id, membership_id)
    _check_can_manage(actor_role, member.role, new_role)
    if member.role == Role.OWNER and new_role != Role.OWNER and await _owner_count(session, organization_id) <= 1:
        raise Conflict("last_owner")
    member.role = new_role
    session.add(member)
    await session.flush()
    return member


async def remove_member(session: AsyncSession, organization_id: str, actor_role: str, membership_id: str) -> None:
    member = await _member(session, organization_id, membership_id)
    _check_can_manage(actor_role, member.role)
    if member.role == Role.OWNER and await _owner_count(session, organization_id) <= 1:
        raise Conflict("last_owner")
    await _drop_membership(session, member)


async def leave(session: AsyncSession, organization_id: str, user_id: str) -> None:
    found = await membership_of(session, organization_id, user_id)
    if found is None:
        raise NotFound()
    if found.role == Role.OWNER and await _owner_count(session, organization_id) <= 1:
        raise Conflict("last_owner")
    await _drop_membership(session, found.membership)


async def _drop_membership(session: AsyncSession, member: Membership) -> None:
    # Browsers of that user that had this organization open lose it too.
    sessions = await session.exec(
        select(UserSession).where(
            UserSession.user_id == member.user_id, UserSession.active_organization_id == member.organization_id
        )
    )
    for user_session in sessions:
        user_session.active_organization_id = None
        session.add(user_session)
    await session.delete(member)
    await session.flush()


async def transfer_ownership(
    session: AsyncSession, organization_id: str, actor_user_id: str, membership_id: str
) -> None:
    """The target becomes owner; the acting owner steps down to admin."""
    actor = await membership_of(session, organization_id, actor_user_id)
    if actor is None:
        raise NotFound()
    require(actor.role, "transfer_ownership")
    target = await _member(session, organization_id, membership_id)
    if target.id == actor.membership.id:
        raise InvalidInput("invalid_role")
    target.role = Role.OWNER
    actor.membership.role = Role.ADMIN
    session.add(target)
    session.add(actor.membership)
    await session.flush()


async def rename(session: AsyncSession, organization_id: str, actor_role: str, name: str) -> Organization:
    require(actor_role, "manage_settings")
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidInput("invalid_organization_name")
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound()
    org.name = name
    session.add(org)
    await session.flush()
    return org


async def delete_organization(session: AsyncSession, organization_id: str, actor_role: str) -> None:
    require(actor_role, "delete_organization")
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound()
    # Rows that belong to the organization go with it (ON DELETE CASCADE / SET NULL).
    await session.delete(org)
    await session.flush()
