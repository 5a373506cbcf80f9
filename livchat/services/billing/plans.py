"""Which limits an organization's subscription gives it, now.

`Subscription` (one row per organization) holds what was bought: the plan, its status and the
extra instances. `Organization.plan` holds the plan whose limits apply (every limit check reads
it); `apply` keeps the two in step whenever the subscription changes, and `expire_grace` (a
periodic sweep) when a past-due subscription's grace period ends. Falling back to Free deletes
nothing: instances past the limit stay; only creating more is refused until the plan returns.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import db, utcnow
from livchat.core.ids import new_id
from livchat.core.logging import get_logger
from livchat.core.periodic import periodic_lifespan
from livchat.core.settings import get_settings
from livchat.models import Instance, Organization, Subscription
from livchat.models.enums import Plan, SubscriptionStatus
from livchat.services.usage.limits import plan_limits

log = get_logger("billing")

PAID = (Plan.STARTER, Plan.SCALE)


def grace_period() -> timedelta:
    return timedelta(days=get_settings().billing_grace_days)


def grace_ends_at(subscription: Subscription) -> datetime | None:
    if subscription.status != SubscriptionStatus.PAST_DUE or subscription.past_due_since is None:
        return None
    return subscription.past_due_since + grace_period()


def effective_plan(subscription: Subscription, now: datetime | None = None) -> str:
    """The plan whose limits apply: the subscribed one while active (or within a past-due grace)."""
    if subscription.plan not in PAID:
        return Plan.FREE
    if subscription.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING):
        return subscription.plan
    ends = grace_ends_at(subscription)
    if ends is not None and (now or utcnow()) < ends:
        return subscription.plan
    return Plan.FREE


def instances_allowed(plan: str, extra_instances: int) -> int:
    """The plan's instances, plus the extra ones bought on Starter."""
    return plan_limits(plan).instances + (max(0, extra_instances) if plan == Plan.STARTER else 0)


async def subscription_of(session: AsyncSession, organization_id: str) -> Subscription:
    """The organization's subscription row (made on the spot for organizations older than it)."""
    row = (await session.exec(select(Subscription).where(Subscription.organization_id == organization_id))).first()
    if row is None:
        row = Subscription(id=new_id("sub"), organization_id=organization_id, plan=Plan.FREE)
        session.add(row)
        await session.flush()
    return row


async def instance_allowance(session: AsyncSession, organization_id: str, plan: str) -> int:
    """How many instances the organization may have (`plan`: its Organization.plan, already read)."""
    extra = (await session.exec(select(Subscription.instances_extra)
                                .where(Subscription.organization_id == organization_id))).first()
    return instances_allowed(plan, extra or 0)


async def instances_used(session: AsyncSession, organization_id: str) -> int:
    return (await session.exec(select(func.count()).select_from(Instance)
                               .where(Instance.organization_id == organization_id))).one()


async def apply(session: AsyncSession, subscription: Subscription, now: datetime | None = None) -> str:
    """Set the organization's plan from its subscription (in the caller's transaction)."""
    plan = effective_plan(subscription, now)
    organization = await session.get(Organization, subscription.organization_id)
    if organization is not None and organization.plan != plan:
        log.info("plan changed", extra={"organization_id": organization.id, "from": organization.plan, "to": plan})
        organization.plan = plan
        session.add(organization)
    return plan


async def expire_grace(session: AsyncSession, now: datetime | None = None) -> int:
    """Past-due subscriptions whose grace is over fall to Free limits. Commits; returns how many."""
    now = now or utcnow()
    due = (await session.exec(select(Subscription).where(
        Subscription.status == SubscriptionStatus.PAST_DUE,
        col(Subscription.past_due_since).is_not(None),
        col(Subscription.past_due_since) <= now - grace_period(),
    ))).all()
    changed = 0
    for subscription in due:
        organization = await session.get(Organization, subscription.organization_id)
        if organization is not None and organization.plan != Plan.FREE:
            await apply(session, subscription, now)
            changed += 1
    if changed:
        await session.commit()
    return changed


async def _sweep_once() -> None:
    async with db.session() as session:
        await expire_grace(session)


def grace_lifespan(every_seconds: float = 600.0) -> contextlib.AbstractAsyncContextManager[None]:
    """For `app.register_lifespan_task`: lapsed grace periods end within ten minutes."""
    return periodic_lifespan("billing-grace", _sweep_once, every_seconds, first_after=30.0)
