"""Keep our users, organizations and memberships in step with Clerk's webhooks."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.ids import new_id
from livchat.models import Membership, Organization, User
from livchat.models.enums import Role
from livchat.services import accounts, organizations


def _primary_email(data: dict[str, Any]) -> str | None:
    primary = data.get("primary_email_address_id")
    addresses = data.get("email_addresses") or []
    for address in addresses:
        if address.get("id") == primary:
            return address.get("email_address")
    return addresses[0].get("email_address") if addresses else None


async def _user_by_clerk_id(session: AsyncSession, clerk_user_id: str | None) -> User | None:
    if not clerk_user_id:
        return None
    return (await session.exec(select(User).where(User.clerk_user_id == clerk_user_id))).first()


async def _org_by_clerk_id(session: AsyncSession, clerk_org_id: str | None) -> Organization | None:
    if not clerk_org_id:
        return None
    return (await session.exec(select(Organization).where(Organization.clerk_org_id == clerk_org_id))).first()


async def upsert_user(session: AsyncSession, data: dict[str, Any]) -> User | None:
    email = _primary_email(data)
    user = await _user_by_clerk_id(session, data.get("id"))
    if user is None and email:
        user = await accounts.get_user_by_email(session, email)  # a local account signing in with Clerk
    name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p).strip()
    if user is None:
        if not email:
            return None
        user = User(id=new_id("usr"), email=accounts.normalize_email(email), name=name[:120])
    user.clerk_user_id = data.get("id")
    if email:
        user.email = accounts.normalize_email(email)
    if name:
        user.name = name[:120]
    user.avatar_url = data.get("image_url") or user.avatar_url
    session.add(user)
    await session.flush()
    return user


async def _delete_user(session: AsyncSession, data: dict[str, Any]) -> bool:
    user = await _user_by_clerk_id(session, data.get("id"))
    if user is None:
        return False
    await session.delete(user)  # memberships, sessions and tokens cascade
    await session.flush()
    return True


async def upsert_organization(session: AsyncSession, data: dict[str, Any]) -> Organization | None:
    org = await _org_by_clerk_id(session, data.get("id"))
    name = (data.get("name") or "").strip() or "Organization"
    if org is None:
        creator = await _user_by_clerk_id(session, data.get("created_by"))
        org = await accounts.create_organization(session, name, owner=creator)
        org.clerk_org_id = data.get("id")
    org.name = name[:120]
    session.add(org)
    await session.flush()
    return org


async def _delete_organization(session: AsyncSession, data: dict[str, Any]) -> bool:
    org = await _org_by_clerk_id(session, data.get("id"))
    if org is None:
        return False
    await session.delete(org)
    await session.flush()
    return True


def _role(clerk_role: str | None) -> str:
    return Role.ADMIN if (clerk_role or "").removeprefix("org:") == "admin" else Role.MEMBER


async def upsert_membership(session: AsyncSession, data: dict[str, Any]) -> Membership | None:
    org = await _org_by_clerk_id(session, (data.get("organization") or {}).get("id"))
    user = await _user_by_clerk_id(session, (data.get("public_user_data") or {}).get("user_id"))
    if org is None or user is None:
        return None
    membership = await accounts.add_member(session, org, user, Role(_role(data.get("role"))))
    if membership.role != Role.OWNER:  # Clerk has no owner role; ours stays until changed here
        membership.role = _role(data.get("role"))
    membership.clerk_membership_id = data.get("id")
    session.add(membership)
    await session.flush()
    return membership


async def _delete_membership(session: AsyncSession, data: dict[str, Any]) -> bool:
    org = await _org_by_clerk_id(session, (data.get("organization") or {}).get("id"))
    user = await _user_by_clerk_id(session, (data.get("public_user_data") or {}).get("user_id"))
    if org is None or user is None:
        return False
    membership = (
        await session.exec(
            select(Membership).where(Membership.organization_id == org.id, Membership.user_id == user.id)
        )
    ).first()
    if membership is None:
        return False
    await session.delete(membership)
    await session.flush()
    return True


async def apply(session: AsyncSession, event: dict[str, Any]) -> bool:
    """Apply one verified Clerk event; False when it is of a kind we ignore or names unknown rows."""
    kind, data = event["type"], event["data"]
    if kind in ("user.created", "user.updated"):
        return await upsert_user(session, data) is not None
    if kind == "user.deleted":
        return await _delete_user(session, data)
    if kind in ("organization.created", "organization.updated"):
        return await upsert_organization(session, data) is not None
    if kind == "organization.deleted":
        return await _delete_organization(session, data)
    if kind in ("organizationMembership.created", "organizationMembership.updated"):
        return await upsert_membership(session, data) is not None
    if kind == "organizationMembership.deleted":
        return await _delete_membership(session, data)
    return False


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
