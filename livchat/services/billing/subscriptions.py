"""An organization's plan: what it has, changing it, the Customer Portal and invoices.

With STRIPE_SECRET_KEY (Stripe mode) a paid plan starts in Stripe Checkout (BRL, Starter plus
`extra` extra-instance units), later instance changes update the subscription's quantity with
proration, and Stripe's webhooks (services/billing/stripe_events.py) set what the organization
has. Without it (development mode) an owner switches plans here directly and nothing is charged.
Only owners change billing (`manage_billing`); every member may look.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import utcnow
from livchat.core.settings import get_settings
from livchat.integrations import stripe_client
from livchat.models import Organization, Subscription, User
from livchat.models.enums import Plan, SubscriptionStatus
from livchat.services.actors import Actor
from livchat.services.billing import plans, prices
from livchat.services.billing.schemas import (
    BillingOut,
    InvoiceOut,
    PlanChangeOut,
    timestamp_of,
)
from livchat.services.errors import InvalidInput, NotFound, ServiceError

DEVELOPMENT = "development"
STRIPE = "stripe"


class BillingUnavailable(ServiceError):
    """Stripe refused or could not be reached (or its prices are not configured)."""

    code = "billing_unavailable"
    status = 502


def mode() -> str:
    return STRIPE if get_settings().stripe_enabled else DEVELOPMENT


def _config() -> stripe_client.StripeConfig:
    settings = get_settings()
    return stripe_client.StripeConfig(settings.stripe_secret_key, settings.stripe_api_base)


async def _stripe(call: Any) -> Any:
    try:
        return await call
    except stripe_client.StripeUnavailable as exc:
        raise BillingUnavailable(str(exc)[:300]) from exc


async def overview(session: AsyncSession, organization_id: str) -> BillingOut:
    subscription = await plans.subscription_of(session, organization_id)
    organization = await session.get(Organization, organization_id)
    if organization is None:
        raise NotFound()
    return BillingOut(
        mode=mode(), plan=organization.plan, subscribed_plan=subscription.plan, status=subscription.status,
        extra_instances=subscription.instances_extra,
        instances_used=await plans.instances_used(session, organization_id),
        instances_allowed=plans.instances_allowed(organization.plan, subscription.instances_extra),
        past_due_since=subscription.past_due_since, grace_ends_at=plans.grace_ends_at(subscription),
        current_period_end=subscription.current_period_end, cancel_at_period_end=subscription.cancel_at_period_end,
        has_customer=bool(subscription.stripe_customer_id),
    )


def _target(plan: str, instances: int) -> tuple[str, int]:
    """(plan, extra instances) for a choice: Starter counts its instances; the others have none extra."""
    if plan not in tuple(Plan):
        raise InvalidInput("invalid_plan")
    try:
        count = int(instances)
    except (TypeError, ValueError):
        raise InvalidInput("invalid_instances") from None
    if not 1 <= count <= prices.MAX_QUOTED_INSTANCES:
        raise InvalidInput("invalid_instances")
    if plan == Plan.STARTER:
        if count >= prices.SCALE_FROM:
            raise InvalidInput("scale_on_request")
        return plan, max(0, count - prices.STARTER_INCLUDED_INSTANCES)
    return plan, 0


async def change_plan(session: AsyncSession, actor: Actor, plan: str, instances: int = 1) -> PlanChangeOut:
    """Move to `plan` (`instances` in all, for Starter). Development mode: done here. Stripe mode:
    Free → Starter opens Checkout (`redirect_url`); Starter → Starter changes the prorated quantity;
    leaving a paid plan happens in the Customer Portal (its URL is returned); Scale is on request.
    Commits."""
    actor.require("manage_billing")
    plan, extra = _target(plan, instances)
    subscription = await plans.subscription_of(session, actor.organization_id)
    if mode() == DEVELOPMENT:
        subscription.plan, subscription.instances_extra = plan, extra
        subscription.status, subscription.past_due_since = SubscriptionStatus.ACTIVE, None
        session.add(subscription)
        await plans.apply(session, subscription)
        await session.commit()
        return PlanChangeOut(plan=plan, extra_instances=extra)
    if plan == Plan.SCALE:
        raise InvalidInput("scale_on_request")
    live = subscription.stripe_subscription_id and subscription.status != SubscriptionStatus.CANCELED
    if plan == Plan.FREE:
        if not live:
            return PlanChangeOut(plan=subscription.plan, extra_instances=subscription.instances_extra)
        return PlanChangeOut(redirect_url=await portal_url(session, actor), plan=subscription.plan,
                             extra_instances=subscription.instances_extra)
    settings = get_settings()
    if not (settings.stripe_price_starter and settings.stripe_price_extra_instance):
        raise BillingUnavailable("STRIPE_PRICE_STARTER and STRIPE_PRICE_EXTRA_INSTANCE must be set")
    if live and subscription.plan == Plan.STARTER:
        await _change_extra_instances(session, subscription, extra)
        await session.commit()
        return PlanChangeOut(plan=subscription.plan, extra_instances=subscription.instances_extra)
    customer = await _customer(session, actor, subscription)
    items = [{"price": settings.stripe_price_starter, "quantity": 1}]
    if extra:
        items.append({"price": settings.stripe_price_extra_instance, "quantity": extra})
    back = f"{settings.public_url.rstrip('/')}/dashboard/billing"
    checkout = await _stripe(stripe_client.create_checkout(
        _config(), customer=customer, organization_id=actor.organization_id, line_items=items,
        success_url=f"{back}?checkout=done", cancel_url=f"{back}?checkout=cancelled"))
    await session.commit()  # the customer id is kept even if the visitor never pays
    return PlanChangeOut(redirect_url=str(checkout.get("url") or ""), plan=subscription.plan,
                         extra_instances=subscription.instances_extra)


async def _customer(session: AsyncSession, actor: Actor, subscription: Subscription) -> str:
    if subscription.stripe_customer_id:
        return subscription.stripe_customer_id
    organization = await session.get(Organization, actor.organization_id)
    user = await session.get(User, actor.user_id) if actor.user_id else None
    customer = await _stripe(stripe_client.create_customer(
        _config(), email=user.email if user else "", name=organization.name if organization else "",
        organization_id=actor.organization_id))
    subscription.stripe_customer_id = str(customer["id"])
    session.add(subscription)
    return subscription.stripe_customer_id


async def _change_extra_instances(session: AsyncSession, subscription: Subscription, extra: int) -> None:
    """Set the extra-instance quantity on the Stripe subscription (prorated), then here."""
    assert subscription.stripe_subscription_id
    price = get_settings().stripe_price_extra_instance
    current = await _stripe(stripe_client.retrieve_subscription(_config(), subscription.stripe_subscription_id))
    item = next((i for i in _items(current) if _price_id(i) == price), None)
    change = {"id": item["id"], "quantity": extra} if item else {"price": price, "quantity": extra}
    updated = await _stripe(stripe_client.update_items(_config(), subscription.stripe_subscription_id, [change]))
    await apply_stripe_subscription(session, subscription, updated)


async def portal_url(session: AsyncSession, actor: Actor) -> str:
    """A Customer Portal session (payment method, invoices, cancelling) for the organization."""
    actor.require("manage_billing")
    if mode() == DEVELOPMENT:
        raise InvalidInput("billing_development_mode")
    subscription = await plans.subscription_of(session, actor.organization_id)
    if not subscription.stripe_customer_id:
        raise InvalidInput("no_billing_account")
    back = f"{get_settings().public_url.rstrip('/')}/dashboard/billing"
    portal = await _stripe(stripe_client.create_portal(_config(), customer=subscription.stripe_customer_id,
                                                       return_url=back))
    return str(portal.get("url") or "")


async def invoices(session: AsyncSession, organization_id: str, limit: int = 12) -> list[InvoiceOut]:
    """The organization's latest Stripe invoices, newest first ([] in development mode)."""
    if mode() == DEVELOPMENT:
        return []
    customer = (await session.exec(select(Subscription.stripe_customer_id)
                                   .where(Subscription.organization_id == organization_id))).first()
    if not customer:
        return []
    rows = await _stripe(stripe_client.list_invoices(_config(), customer, limit))
    return [InvoiceOut(id=str(row["id"]), number=str(row.get("number") or row["id"]), status=str(row.get("status") or ""),
                       amount_cents=int(row.get("total") or row.get("amount_due") or 0),
                       currency=str(row.get("currency") or prices.CURRENCY).upper(),
                       created_at=timestamp_of(row.get("created")), url=str(row.get("hosted_invoice_url") or ""))
            for row in rows]


# --- a Stripe subscription object, applied ----------------------------------------------------------

def _items(subscription: dict[str, Any]) -> list[dict[str, Any]]:
    return list((subscription.get("items") or {}).get("data") or [])


def _price_id(item: dict[str, Any]) -> str:
    price = item.get("price") or {}
    return str(price.get("id") if isinstance(price, dict) else price)


def _stripe_status(value: str) -> str:
    """Stripe's status; `unpaid` is past due for us (its grace decides), the rest as Stripe says."""
    return SubscriptionStatus.PAST_DUE if value == "unpaid" else value


async def apply_stripe_subscription(session: AsyncSession, row: Subscription, stripe_sub: dict[str, Any]) -> None:
    """Copy what a Stripe subscription says (plan by price id, extra instances, status, period)
    into the organization's row and its limits (in the caller's transaction)."""
    settings = get_settings()
    plan, extra = Plan.FREE, 0
    for item in _items(stripe_sub):
        price = _price_id(item)
        if price and price == settings.stripe_price_starter:
            plan = Plan.STARTER
        elif price and price == settings.stripe_price_scale:
            plan = Plan.SCALE
        elif price and price == settings.stripe_price_extra_instance:
            extra = int(item.get("quantity") or 0)
    status = _stripe_status(str(stripe_sub.get("status") or ""))
    row.stripe_subscription_id = str(stripe_sub["id"])
    if stripe_sub.get("customer"):
        row.stripe_customer_id = str(stripe_sub["customer"])
    row.plan, row.instances_extra, row.status = plan, extra, status
    if status == SubscriptionStatus.CANCELED:
        row.plan, row.instances_extra = Plan.FREE, 0
    if status == SubscriptionStatus.PAST_DUE:
        row.past_due_since = row.past_due_since or utcnow()
    else:
        row.past_due_since = None
    first = (_items(stripe_sub) or [{}])[0]  # newer API versions keep the period on the items
    row.current_period_start = timestamp_of(stripe_sub.get("current_period_start") or first.get("current_period_start"))
    row.current_period_end = timestamp_of(stripe_sub.get("current_period_end") or first.get("current_period_end"))
    row.cancel_at_period_end = bool(stripe_sub.get("cancel_at_period_end"))
    session.add(row)
    await plans.apply(session, row)
