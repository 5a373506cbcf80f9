"""Billing, email, idempotency and in-app notices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from livchat.models._base import (
    created_at,
    id_field,
    long_text,
    org_field,
    timestamp,
    updated_at,
)
from livchat.models.enums import EmailStatus, Plan, SubscriptionStatus


class Subscription(SQLModel, table=True):
    __tablename__ = "subscriptions"

    id: str = id_field()
    organization_id: str = Field(foreign_key="organizations.id", max_length=40, unique=True, ondelete="CASCADE")
    plan: str = Field(default=Plan.FREE, max_length=20)
    status: str = Field(default=SubscriptionStatus.ACTIVE, max_length=20)
    instances_extra: int = Field(default=0)
    stripe_customer_id: str | None = Field(default=None, max_length=64, index=True)
    stripe_subscription_id: str | None = Field(default=None, max_length=64, unique=True)
    current_period_start: datetime | None = timestamp()
    current_period_end: datetime | None = timestamp()
    cancel_at_period_end: bool = Field(default=False)
    # When a payment first failed (status past_due): the paid limits hold for the grace period
    # after it (LIVCHAT_BILLING_GRACE_DAYS), then the free ones; cleared once an invoice is paid.
    past_due_since: datetime | None = timestamp()
    # `created` (epoch seconds) of the last Stripe event applied: Stripe does not keep its events in
    # order, so an older one arriving late changes nothing.
    stripe_event_created: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class StripeWebhookEvent(SQLModel, table=True):
    """A Stripe event already applied, by its id (`evt_...`): a redelivery is a no-op."""

    __tablename__ = "stripe_webhook_events"

    id: str = Field(primary_key=True, max_length=255)
    organization_id: str | None = org_field(nullable=True)  # the one it changed, when known
    type: str = Field(max_length=80)
    created_at: datetime = created_at()


class EmailOutbox(SQLModel, table=True):
    """Every email we send. Without BREVO_API_KEY it stays here and shows in the dashboard."""

    __tablename__ = "email_outbox"

    id: str = id_field()
    organization_id: str | None = org_field(nullable=True)
    to_email: str = Field(max_length=320, index=True)
    subject: str = Field(max_length=300)
    body_text: str = long_text(nullable=False)
    body_html: str | None = long_text()
    template: str | None = Field(default=None, max_length=60)
    status: str = Field(default=EmailStatus.PENDING, max_length=20, index=True)
    attempts: int = Field(default=0)
    error: str | None = Field(default=None, max_length=500)
    # The sender (Brevo) tries a pending row again from then on (None: at once); backoff after failures.
    next_attempt_at: datetime | None = timestamp()
    sent_at: datetime | None = timestamp()
    created_at: datetime = created_at()


class IdempotencyKey(SQLModel, table=True):
    """The first response to a POST with an Idempotency-Key, replayed for 24 h."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    id: str = id_field()
    organization_id: str = org_field()
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    response_status: int | None = None  # None while the first request is still running
    response_body: str | None = long_text()
    response_headers: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # While running: the claim is the holder's until then (a crashed holder does not block the key).
    lease_expires_at: datetime | None = timestamp()
    # Set once the request may have left for WuzAPI: from then on a retry never runs it again.
    dispatched_at: datetime | None = timestamp()
    expires_at: datetime = timestamp(index=True, required=True)
    created_at: datetime = created_at()


class Notification(SQLModel, table=True):
    """A notice shown in the dashboard (paused webhook, plan limit reached, ...)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_org_unread", "organization_id", "read_at", "id"),)

    id: str = id_field()
    organization_id: str = org_field()
    kind: str = Field(max_length=40)
    # The English text (logs, fallbacks); the dashboard renders `notifications.<kind>.*` from params.
    title: str = Field(max_length=200)
    body: str = long_text(nullable=False)
    params: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    read_at: datetime | None = timestamp()
    created_at: datetime = created_at()
