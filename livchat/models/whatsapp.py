"""WhatsApp instances (one WuzAPI user each), the test panel's anonymous sessions, messages."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from livchat.models._base import (
    created_at,
    fk,
    id_field,
    long_text,
    org_field,
    timestamp,
    updated_at,
)
from livchat.models.enums import InstanceStatus, MessageStatus


class AnonymousSession(SQLModel, table=True):
    """A landing-page visitor before sign-up. Signing up moves its instance into the new org."""

    __tablename__ = "anonymous_sessions"

    id: str = id_field()
    token_hash: str = Field(max_length=64, unique=True)
    ip_address: str = Field(max_length=64, index=True)
    user_agent: str | None = Field(default=None, max_length=500)
    messages_day: date | None = Field(default=None)
    messages_used_today: int = Field(default=0)
    last_message_at: datetime | None = timestamp()
    migrated_to_organization_id: str | None = fk("organizations.id", ondelete="SET NULL", index=False)
    migrated_at: datetime | None = timestamp()
    last_used_at: datetime | None = timestamp()
    expires_at: datetime = timestamp(index=True, required=True)
    created_at: datetime = created_at()


class Instance(SQLModel, table=True):
    __tablename__ = "instances"
    __table_args__ = (Index("ix_instances_org_created", "organization_id", "created_at"),)

    id: str = id_field()
    # NULL while it belongs to an anonymous test-panel session.
    organization_id: str | None = org_field(nullable=True)
    anonymous_session_id: str | None = fk("anonymous_sessions.id", ondelete="SET NULL")
    name: str = Field(max_length=100)
    wuzapi_user_id: str | None = Field(default=None, max_length=64)
    wuzapi_token_encrypted: str = Field(max_length=500)
    hmac_key_encrypted: str = Field(max_length=500)
    status: str = Field(default=InstanceStatus.DISCONNECTED, max_length=20)
    logged_in: bool = Field(default=False)
    whatsapp_jid: str | None = Field(default=None, max_length=100)
    whatsapp_name: str | None = Field(default=None, max_length=200)
    whatsapp_picture_url: str | None = Field(default=None, max_length=1000)
    agent_enabled: bool = Field(default=False)
    last_connected_at: datetime | None = timestamp()
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (
        # Event ingest is idempotent on WhatsApp's message id.
        UniqueConstraint("instance_id", "whatsapp_message_id", name="uq_messages_instance_wamid"),
        # History pages walk `id < cursor` newest first (ids are time-ordered ULIDs).
        Index("ix_messages_instance_id", "instance_id", "id"),
        Index("ix_messages_instance_chat_id", "instance_id", "chat_jid", "id"),
        Index("ix_messages_org_created", "organization_id", "created_at"),
    )

    id: str = id_field()
    organization_id: str | None = Field(
        default=None, foreign_key="organizations.id", max_length=40, ondelete="CASCADE"
    )
    instance_id: str = Field(foreign_key="instances.id", max_length=40, ondelete="CASCADE")
    direction: str = Field(max_length=10)
    chat_jid: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=20)  # E.164 digits of the other party
    type: str = Field(max_length=20)
    text: str | None = long_text()
    caption: str | None = long_text()
    media_url: str | None = Field(default=None, max_length=2000)
    media_mime: str | None = Field(default=None, max_length=100)
    media_size: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    file_name: str | None = Field(default=None, max_length=255)
    latitude: float | None = None
    longitude: float | None = None
    reply_to: str | None = Field(default=None, max_length=100)
    push_name: str | None = Field(default=None, max_length=200)
    whatsapp_message_id: str | None = Field(default=None, max_length=100)
    status: str = Field(default=MessageStatus.PENDING, max_length=20)
    error: str | None = long_text()
    sent_at: datetime | None = timestamp()
    delivered_at: datetime | None = timestamp()
    read_at: datetime | None = timestamp()
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class UsageDaily(SQLModel, table=True):
    """Per-day counters. instance_id is '' for organization-wide rows (NULLs are never equal)."""

    __tablename__ = "usage_daily"
    __table_args__ = (UniqueConstraint("organization_id", "instance_id", "day", name="uq_usage_org_instance_day"),)

    id: str = id_field()
    organization_id: str = org_field()
    instance_id: str = Field(default="", max_length=40)
    day: date = Field(index=True)
    messages_sent: int = Field(default=0)
    messages_received: int = Field(default=0)
    media_bytes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    webhooks_delivered: int = Field(default=0)
    webhooks_failed: int = Field(default=0)
    api_requests: int = Field(default=0)
    # Organization-wide row only: messages counted against the plan's daily quota (taken before a
    # send, given back when it fails), so the quota is exact across workers and restarts.
    quota_used: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    updated_at: datetime = updated_at()
