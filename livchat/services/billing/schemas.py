"""Wire shapes of billing: the organization's plan and usage against it, invoices, what a plan
change did (the dashboard's Billing page reads them)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from livchat.services.schemas import CamelModel, Timestamp


class BillingOut(CamelModel):
    mode: str = Field(description="`stripe`, or `development` (no Stripe keys: plans switch without a charge).")
    plan: str = Field(description="The plan whose limits apply now (free while a lapsed payment's grace is over).")
    subscribed_plan: str = Field(description="The plan subscribed to (may differ from `plan` when past due).")
    status: str
    extra_instances: int
    instances_used: int
    instances_allowed: int
    past_due_since: Timestamp | None = None
    grace_ends_at: Timestamp | None = Field(default=None, description="When a past-due plan falls to Free limits.")
    current_period_end: Timestamp | None = None
    cancel_at_period_end: bool = False
    has_customer: bool = Field(description="A Stripe customer exists: the Customer Portal can open.")


class InvoiceOut(CamelModel):
    id: str
    number: str
    status: str
    amount_cents: int
    currency: str
    created_at: Timestamp
    url: str = Field(description="Stripe's hosted invoice page (\"\" when there is none).")


class PlanChangeOut(CamelModel):
    redirect_url: str = Field(default="", description="Where the browser goes next (Stripe Checkout), or \"\".")
    plan: str
    extra_instances: int


def timestamp_of(epoch: int | None) -> datetime | None:
    from datetime import UTC

    return datetime.fromtimestamp(int(epoch), UTC) if epoch else None
