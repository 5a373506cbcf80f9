"""Keep our users, organizations, memberships and sessions in step with Clerk's webhooks.

Svix delivers at least once, in any order, and retries any answer but 2xx. So:
- a message already applied (same `svix-id`) is skipped;
- an update older than what we hold (Clerk's `updated_at`) is skipped;
- an event that needs a row we have not received yet (a membership before its user or
  organization) raises `NotReady`: the route answers a retryable status and svix comes back;
- an event that can never apply (an address another account holds, the last owner leaving)
  is answered 200 with `handled: false` and a reason, so it is not retried forever.

A Clerk identity takes over a local account with the same email only when Clerk says the address
is verified; the local password, sessions and pending links end then (whoever registered the
address locally, without proving it, must not keep a way in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.ids import new_id
from livchat.core.logging import get_logger
from livchat.models import ClerkWebhookEvent, Membership, Organization, User
from livchat.models.enums import Role
from livchat.services.accounts import auth, organizations, users
from livchat.services.errors import Conflict, ServiceError

log = get_logger("clerk_sync")


class NotReady(Exception):
    """The event names a user or organization whose own event has not arrived yet."""


@dataclass(frozen=True)
class Outcome:
    handled: bool
    reason: str = ""


APPLIED = Outcome(True)


def _ignored(reason: str) -> Outcome:
    return Outcome(False, reason)


def _primary_address(data: dict[str, Any]) -> dict[str, Any] | None:
    primary = data.get("primary_email_address_id")
    addresses = [a for a in data.get("email_addresses") or [] if isinstance(a, dict)]
    for address in addresses:
        if address.get("id") == primary:
            return address
    return addresses[0] if addresses else None


def _verified(address: dict[str, Any]) -> bool:
    return ((address.get("verification") or {}).get("status")) == "verified"


def _stale(row: User | Organization | Membership, data: dict[str, Any]) -> bool:
    """An update older than the last one applied to this row (Clerk's `updated_at`, epoch ms)."""
    version = data.get("updated_at")
    return isinstance(version, int) and row.clerk_updated_at is not None and version < row.clerk_updated_at


def _stamp(row: User | Organization | Membership, data: dict[str, Any]) -> None:
    if isinstance(data.get("updated_at"), int):
        row.clerk_updated_at = data["updated_at"]


async def _user_by_clerk_id(session: AsyncSession, clerk_user_id: str | None) -> User | None:
    if not clerk_user_id:
        return None
    return (await session.exec(select(User).where(User.clerk_user_id == clerk_user_id))).first()


async def _org_by_clerk_id(session: AsyncSession, clerk_org_id: str | None) -> Organization | None:
    if not clerk_org_id:
        return None
    return (await session.exec(select(Organization).where(Organization.clerk_org_id == clerk_org_id))).first()


async def _address_free(session: AsyncSession, email: str, user: User | None) -> bool:
    holder = await users.get_user_by_email(session, email)
    return holder is None or (user is not None and holder.id == user.id)


async def upsert_user(session: AsyncSession, data: dict[str, Any]) -> Outcome:
    address = _primary_address(data)
    email = None
    if address and address.get("email_address"):
        try:
            email = users.normalize_email(str(address["email_address"]))
        except ServiceError:
            email = None
    user = await _user_by_clerk_id(session, data.get("id"))
    if user is not None and _stale(user, data):
        return _ignored("stale")
    if user is None and email:
        local = await users.get_user_by_email(session, email)
        if local is not None:
            if local.clerk_user_id is not None or not _verified(address or {}):
                log.warning("clerk user not linked: address held by another account",
                            extra={"clerk_user_id": data.get("id")})
                return _ignored("email_conflict")
            await auth.end_local_access(session, local)
            user = local
    if user is None:
        if not email:
            return _ignored("no_email")
        user = User(id=new_id("usr"), email=email)
    user.clerk_user_id = data.get("id")
    if email and email != user.email:
        if await _address_free(session, email, user):
            user.email = email
        else:  # keep the old address; the rest of the update still applies
            log.warning("clerk email change refused: address held by another account",
                        extra={"clerk_user_id": data.get("id")})
    name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p).strip()
    if name:
        user.name = name[:120]
    user.avatar_url = data.get("image_url") or user.avatar_url
    _stamp(user, data)
    session.add(user)
    await session.flush()
    if data.get("banned") or data.get("locked"):
        await auth.revoke_all_sessions(session, user.id)
    return APPLIED


async def _delete_user(session: AsyncSession, data: dict[str, Any]) -> Outcome:
    user = await _user_by_clerk_id(session, data.get("id"))
    if user is None:
        return _ignored("unknown_user")
    await session.delete(user)  # memberships, sessions and tokens cascade
    await session.flush()
    return APPLIED


async def upsert_organization(session: AsyncSession, data: dict[str, Any]) -> Outcome:
    org = await _org_by_clerk_id(session, data.get("id"))
    if org is not None and _stale(org, data):
        return _ignored("stale")
    name = (data.get("name") or "").strip()[:120] or "Organization"
    if org is None:
        creator = await _user_by_clerk_id(session, data.get("created_by"))
        if data.get("created_by") and creator is None:
            raise NotReady()  # its creator's user.created comes first, then this makes them owner
        org = await users.create_organization(session, name, owner=creator)
        org.clerk_org_id = data.get("id")
    org.name = name
    _stamp(org, data)
    session.add(org)
    await session.flush()
    return APPLIED


async def _delete_organization(session: AsyncSession, data: dict[str, Any]) -> Outcome:
    org = await _org_by_clerk_id(session, data.get("id"))
    if org is None:
        return _ignored("unknown_organization")
    await session.delete(org)
    await session.flush()
    return APPLIED


def _role(clerk_role: str | None) -> str:
    return Role.ADMIN if (clerk_role or "").removeprefix("org:") == "admin" else Role.MEMBER


async def _membership_parties(session: AsyncSession, data: dict[str, Any]) -> tuple[Organization | None, User | None]:
    org = await _org_by_clerk_id(session, (data.get("organization") or {}).get("id"))
    user = await _user_by_clerk_id(session, (data.get("public_user_data") or {}).get("user_id"))
    return org, user


async def upsert_membership(session: AsyncSession, data: dict[str, Any]) -> Outcome:
    org, user = await _membership_parties(session, data)
    if org is None or user is None:
        raise NotReady()
    existing = (await session.exec(
        select(Membership).where(Membership.organization_id == org.id, Membership.user_id == user.id)
    )).first()
    if existing is not None and _stale(existing, data):
        return _ignored("stale")
    role = _role(data.get("role"))
    has_owner = (await session.exec(
        select(Membership.id).where(Membership.organization_id == org.id, Membership.role == Role.OWNER)
    )).first() is not None
    if not has_owner and role == Role.ADMIN:  # an organization made in Clerk's dashboard: its first admin owns it
        role = Role.OWNER
    membership = existing or await users.add_member(session, org, user, Role(role))
    if membership.role != Role.OWNER:  # Clerk has no owner role; ours stays until changed here
        membership.role = role
    membership.clerk_membership_id = data.get("id")
    _stamp(membership, data)
    session.add(membership)
    await session.flush()
    return APPLIED


async def _delete_membership(session: AsyncSession, data: dict[str, Any]) -> Outcome:
    org, user = await _membership_parties(session, data)
    if org is None or user is None:
        return _ignored("unknown_membership")
    membership = (await session.exec(
        select(Membership).where(Membership.organization_id == org.id, Membership.user_id == user.id)
    )).first()
    if membership is None:
        return _ignored("unknown_membership")
    try:
        await organizations.drop_synced_membership(session, membership)
    except Conflict:
        log.warning("clerk membership kept: last owner of the organization", extra={"organization_id": org.id})
        return _ignored("last_owner")
    return APPLIED


async def _end_session(session: AsyncSession, data: dict[str, Any]) -> Outcome:
    ended = await auth.revoke_clerk_session(session, str(data.get("id") or ""))
    return APPLIED if ended else _ignored("unknown_session")


_HANDLERS = {
    "user.created": upsert_user,
    "user.updated": upsert_user,
    "user.deleted": _delete_user,
    "organization.created": upsert_organization,
    "organization.updated": upsert_organization,
    "organization.deleted": _delete_organization,
    "organizationMembership.created": upsert_membership,
    "organizationMembership.updated": upsert_membership,
    "organizationMembership.deleted": _delete_membership,
    "session.ended": _end_session,
    "session.removed": _end_session,
    "session.revoked": _end_session,
}


class Duplicate(Exception):
    """Another delivery of the same message committed first: roll back, answer 200."""


async def apply(session: AsyncSession, event: dict[str, Any], message_id: str) -> Outcome:
    """Apply one verified Clerk event in the caller's transaction (commit to keep it).

    Raises NotReady or Duplicate: roll back. The message id is recorded with the effects, so a
    redelivery after a commit is skipped and one after a rollback applies again.
    """
    handler = _HANDLERS.get(event["type"])
    if handler is None:
        return _ignored("event_type")
    message_id = message_id[:100]
    if await session.get(ClerkWebhookEvent, message_id) is not None:
        return _ignored("duplicate")
    outcome = await handler(session, event["data"])
    session.add(ClerkWebhookEvent(id=message_id, type=str(event["type"])[:60]))
    try:
        await session.flush()
    except IntegrityError as exc:  # the same message, delivered twice at once
        raise Duplicate() from exc
    return outcome


async def signed_in_member(
    session: AsyncSession, clerk_user_id: str, clerk_org_id: str | None
) -> tuple[User, organizations.OrgMembership | None] | None:
    """Our user for a verified Clerk session, and their membership in Clerk's active organization
    (or their only one). None until the user.created webhook has made the user."""
    user = await _user_by_clerk_id(session, clerk_user_id)
    if user is None:
        return None
    org = await _org_by_clerk_id(session, clerk_org_id)
    if org is not None:
        return user, await organizations.membership_of(session, org.id, user.id)
    mine = await organizations.organizations_of(session, user.id)
    return user, mine[0] if len(mine) == 1 else None
