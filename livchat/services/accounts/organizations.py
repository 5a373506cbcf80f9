"""Organizations a user belongs to, members, roles, leaving, ownership.

What each role may do (the table is livchat/services/actors.py's; an API key acts as an admin,
people aside):

| permission           | member | admin | owner | what it covers                                           |
|----------------------|:------:|:-----:|:-----:|----------------------------------------------------------|
| read                 |   x    |   x   |   x   | see instances (refresh their status), messages, usage... |
| use                  |   x    |   x   |   x   | send messages (test send), answer in the inbox           |
| work_inbox           |   x    |   x   |   x   | take, answer and resolve conversations                   |
| manage_instances     |        |   x   |   x   | create, QR / pairing code, disconnect, log out, delete   |
| manage_webhooks      |        |   x   |   x   | an instance's webhook: save, rotate, test, redeliver     |
| manage_members       |        |   x   |   x   | invite admins/members, change their roles, remove them   |
| manage_keys          |        |   x   |   x   | create and revoke API keys                               |
| manage_settings      |        |   x   |   x   | rename the organization                                  |
| manage_widget        |        |   x   |   x   | the chat widget's settings                               |
| manage_knowledge     |        |   x   |   x   | the knowledge base                                       |
| manage_billing       |        |       |   x   | plan and payment                                          |
| manage_owners        |        |       |   x   | invite owners, promote to / demote or remove an owner    |
| transfer_ownership   |        |       |   x   | make someone owner and step down to admin                |
| delete_organization  |        |       |   x   | delete it with everything in it                          |

Members do not connect, pair, disconnect or redeliver: those change what the whole organization
receives. Admins never touch owners. An organization always keeps one owner: the changes that
could take the last one away are single conditional statements run under a lock on the
organization row (PostgreSQL; SQLite serialises writers), so two owners demoting each other at
the same moment leave one owner, not none.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, exists, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.settings import get_settings
from livchat.core.text import has_control_characters
from livchat.models import Membership, Organization, User, UserSession
from livchat.models.enums import Plan, Role
from livchat.services.accounts import users
from livchat.services.actors import PERMISSIONS, Actor
from livchat.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class FreeOrganizationLimit(Conflict):
    code = "free_organization_limit"


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
        .join(Membership, col(Membership.organization_id) == Organization.id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.name, Organization.id)
    )
    return [OrgMembership(org, mem) for org, mem in rows]


async def membership_of(session: AsyncSession, organization_id: str, user_id: str) -> OrgMembership | None:
    row = (
        await session.exec(
            select(Organization, Membership)
            .join(Membership, col(Membership.organization_id) == Organization.id)
            .where(Membership.user_id == user_id, Organization.id == organization_id)
        )
    ).first()
    return OrgMembership(*row) if row else None


async def create_for(session: AsyncSession, user: User, name: str) -> Organization:
    """A new organization with `user` as its owner. Every new organization starts on Free, so one
    person may own at most LIVCHAT_FREE_ORGS_PER_USER free ones: more would multiply the free plan."""
    owned_free = (await session.exec(
        select(func.count()).select_from(Organization)
        .join(Membership, col(Membership.organization_id) == col(Organization.id))
        .where(Membership.user_id == user.id, Membership.role == Role.OWNER, Organization.plan == Plan.FREE)
    )).one()
    cap = get_settings().free_orgs_per_user
    if owned_free >= cap:
        raise FreeOrganizationLimit(f"you already own {owned_free} free organizations (at most {cap}); "
                                    "upgrade one of them to a paid plan to create another")
    return await users.create_organization(session, name, owner=user)


async def list_members(session: AsyncSession, organization_id: str) -> list[Member]:
    rows = await session.exec(
        select(Membership, User)
        .join(User, col(User.id) == Membership.user_id)
        .where(Membership.organization_id == organization_id)
        .order_by(col(Membership.created_at), col(Membership.id))
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


async def lock_organization(session: AsyncSession, organization_id: str) -> bool:
    """Serialise changes that count an organization's rows (owners, instances) until commit: a
    write that changes nothing takes the row's lock on PostgreSQL and the write lock on SQLite,
    so a count read after it cannot be stale. False when there is no such organization."""
    locked = await session.exec(update(Organization).where(col(Organization.id) == organization_id)
                                .values(updated_at=Organization.updated_at))  # explicit: no onupdate bump
    return bool(locked.rowcount == 1)


def _keeps_an_owner(member: Membership) -> ColumnElement[bool]:
    """True for a row whose change leaves the organization an owner: not an owner, or not the last."""
    other = aliased(Membership)
    return or_(
        col(Membership.role) != Role.OWNER,
        exists().where(col(other.organization_id) == member.organization_id, col(other.role) == Role.OWNER,
                       col(other.id) != member.id),
    )


async def _set_role(session: AsyncSession, member: Membership, role: str) -> None:
    result = await session.exec(
        update(Membership).where(col(Membership.id) == member.id, _keeps_an_owner(member)).values(role=role)
    )
    if result.rowcount != 1:
        raise Conflict("last_owner")
    await session.refresh(member)


def _check_can_manage(actor: Actor, target_role: str, new_role: str | None = None) -> None:
    """Owners are changed by owners only (the target's role is known only once it is loaded)."""
    if (target_role == Role.OWNER or new_role == Role.OWNER) and not actor.can("manage_owners"):
        raise PermissionDenied("insufficient_role")


async def change_role(session: AsyncSession, actor: Actor, membership_id: str, new_role: str) -> Membership:
    actor.require("manage_members")
    if new_role not in PERMISSIONS:
        raise InvalidInput("invalid_role")
    await lock_organization(session, actor.organization_id)
    member = await _member(session, actor.organization_id, membership_id)
    _check_can_manage(actor, member.role, new_role)
    await _set_role(session, member, new_role)
    return member


async def remove_member(session: AsyncSession, actor: Actor, membership_id: str) -> None:
    actor.require("manage_members")
    await lock_organization(session, actor.organization_id)
    member = await _member(session, actor.organization_id, membership_id)
    _check_can_manage(actor, member.role)
    await drop_membership(session, member)


def _person(actor: Actor) -> str:
    """The user behind an actor, for what only a person can do (leave, hand over ownership)."""
    if actor.user_id is None:
        raise PermissionDenied("insufficient_role")
    return actor.user_id


async def leave(session: AsyncSession, actor: Actor) -> None:
    actor.require("read")
    user_id = _person(actor)
    await lock_organization(session, actor.organization_id)
    found = await membership_of(session, actor.organization_id, user_id)
    if found is None:
        raise NotFound()
    await drop_membership(session, found.membership)


async def drop_membership(session: AsyncSession, member: Membership) -> None:
    """Delete a membership unless it is the organization's last owner (Conflict). Call with the
    organization locked (`_lock`)."""
    result = await session.exec(
        delete(Membership).where(col(Membership.id) == member.id, _keeps_an_owner(member))
    )
    if result.rowcount != 1:
        raise Conflict("last_owner")
    # Browsers of that user that had this organization open lose it too.
    await session.exec(
        update(UserSession)
        .where(col(UserSession.user_id) == member.user_id, col(UserSession.active_organization_id) == member.organization_id)
        .values(active_organization_id=None)
    )
    session.expunge(member)
    await session.flush()


async def drop_synced_membership(session: AsyncSession, member: Membership) -> None:
    """Clerk removed this membership. If it held the last ownership, the longest-standing admin
    inherits it; with no admin left it stays (Conflict), so the organization keeps an owner."""
    await lock_organization(session, member.organization_id)
    if member.role == Role.OWNER:
        heir = (await session.exec(
            select(Membership).where(Membership.organization_id == member.organization_id,
                                     Membership.role == Role.ADMIN, Membership.id != member.id)
            .order_by(col(Membership.created_at), col(Membership.id))
        )).first()
        if heir is not None:
            await _set_role(session, heir, Role.OWNER)
    await drop_membership(session, member)


async def transfer_ownership(session: AsyncSession, actor: Actor, membership_id: str) -> None:
    """The target becomes owner; the acting owner steps down to admin."""
    actor.require("transfer_ownership")
    user_id = _person(actor)
    await lock_organization(session, actor.organization_id)
    mine = await membership_of(session, actor.organization_id, user_id)
    if mine is None:
        raise NotFound()
    target = await _member(session, actor.organization_id, membership_id)
    if target.id == mine.membership.id:
        raise InvalidInput("invalid_role")
    await _set_role(session, target, Role.OWNER)
    await _set_role(session, mine.membership, Role.ADMIN)


async def rename(session: AsyncSession, actor: Actor, name: str) -> Organization:
    actor.require("manage_settings")
    name = name.strip()
    if not name or len(name) > 120 or has_control_characters(name):
        raise InvalidInput("invalid_organization_name")
    org = await session.get(Organization, actor.organization_id)
    if org is None:
        raise NotFound()
    org.name = name
    session.add(org)
    await session.flush()
    return org


async def delete_organization(session: AsyncSession, actor: Actor) -> None:
    actor.require("delete_organization")
    org = await session.get(Organization, actor.organization_id)
    if org is None:
        raise NotFound()
    # Rows that belong to the organization go with it (ON DELETE CASCADE / SET NULL).
    await session.delete(org)
    await session.flush()
