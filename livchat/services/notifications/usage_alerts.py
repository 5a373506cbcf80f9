"""Emails to an organization's owners and admins when today's message quota reaches 80 % and
100 % (each threshold once a day: the quota counter passes each value once as it grows)."""

from __future__ import annotations

import math

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.settings import get_settings
from livchat.i18n import normalize_language
from livchat.models import Membership, Organization, User
from livchat.models.enums import Role
from livchat.services.notifications import email

WARN_SHARE = 0.8


def threshold_reached(used: int, quota: int) -> str | None:
    """The template for the threshold that the `used`-th message of today reaches, if any."""
    if quota <= 0:
        return None
    if used == quota:
        return "usage_100"
    if used == max(1, math.ceil(quota * WARN_SHARE)) and used < quota:
        return "usage_80"
    return None


async def tell_owners(session: AsyncSession, organization_id: str, template: str, used: int, quota: int) -> None:
    """Queue the email to each owner and admin, in their language (in the caller's transaction)."""
    organization = await session.get(Organization, organization_id)
    if organization is None:
        return
    people = (await session.exec(
        select(User.email, User.locale).join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.organization_id == organization_id,
               col(Membership.role).in_([Role.OWNER, Role.ADMIN]))
    )).all()
    link = f"{get_settings().public_url.rstrip('/')}/dashboard/billing"
    for address, locale in people:
        await email.queue(session, email.compose_translated(
            address, template, normalize_language(locale), organization_id,
            organization=organization.name, used=used, limit=quota, link=link))
