"""Customer webhook endpoints and the durable delivery outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, false
from sqlmodel import Field, SQLModel

from livchat.models._base import (
    created_at,
    fk,
    id_field,
    json_list,
    long_text,
    org_field,
    timestamp,
    updated_at,
)
from livchat.models.enums import DeliveryStatus


class WebhookEndpoint(SQLModel, table=True):
    """One per instance. The signing secret is encrypted; each rotated-out one keeps signing for
    24 h after its rotation (`previous_secrets`: `{"secret": encrypted, "expiresAt": ISO 8601}`,
    newest first)."""

    __tablename__ = "webhook_endpoints"

    id: str = id_field()
    organization_id: str = org_field()
    instance_id: str = Field(foreign_key="instances.id", max_length=40, unique=True, ondelete="CASCADE")
    url: str = Field(max_length=2000)
    events: list[str] = json_list()
    active: bool = Field(default=True)
    secret_encrypted: str = Field(max_length=500)
    secret_prefix: str = Field(max_length=20)
    previous_secrets: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    failing_since: datetime | None = timestamp()
    paused_at: datetime | None = timestamp()
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint; written in the same transaction as the event itself."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_endpoint_created", "endpoint_id", "created_at"),
        Index("ix_deliveries_org_status", "organization_id", "status"),
        # The delivery log of one instance, newest first, optionally by status (`id < cursor`).
        Index("ix_deliveries_instance_id", "instance_id", "id"),
        Index("ix_deliveries_instance_status_id", "instance_id", "status", "id"),
    )

    id: str = id_field()
    organization_id: str = Field(foreign_key="organizations.id", max_length=40, ondelete="CASCADE")
    endpoint_id: str = Field(foreign_key="webhook_endpoints.id", max_length=40, ondelete="CASCADE")
    instance_id: str = Field(max_length=40)
    event_id: str = Field(max_length=40, index=True)
    event_type: str = Field(max_length=40)
    payload: str = long_text(nullable=False)
    status: str = Field(default=DeliveryStatus.PENDING, max_length=20)
    attempts: int = Field(default=0)
    max_attempts: int = Field(default=3)
    next_attempt_at: datetime | None = timestamp()
    locked_until: datetime | None = timestamp()  # lease held by a dispatcher while it posts
    # Redelivery asked for while a dispatcher held the lease: its holder queues the row again.
    redeliver_requested: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    failure_reason: str | None = Field(default=None, max_length=40)  # when failed: endpoint_paused | attempts_exhausted
    last_attempt_at: datetime | None = timestamp()
    response_status: int | None = None
    latency_ms: int | None = None
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempts"

    id: str = id_field()
    organization_id: str = org_field()
    delivery_id: str = fk("webhook_deliveries.id", nullable=False)
    attempt: int
    response_status: int | None = None
    latency_ms: int | None = None
    response_snippet: str | None = long_text()  # first 1 KB of the body
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at()
