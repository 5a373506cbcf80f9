"""Organizations, people, how they sign in, and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from livchat.models._base import (
    created_at,
    fk,
    id_field,
    org_field,
    timestamp,
    updated_at,
)
from livchat.models.enums import Plan, Role


def clerk_version() -> Any:  # the field; the column holds an int or None
    """Clerk's `updated_at` (epoch ms) of the last webhook applied: an older event is ignored."""
    return Field(default=None, sa_column=Column(BigInteger, nullable=True))


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: str = id_field()
    name: str = Field(max_length=120)
    slug: str = Field(max_length=140, unique=True, index=True)
    plan: str = Field(default=Plan.FREE, max_length=20)
    clerk_org_id: str | None = Field(default=None, max_length=64, unique=True)
    clerk_updated_at: int | None = clerk_version()
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: str = id_field()
    email: str = Field(max_length=320, unique=True, index=True)  # stored lower-cased
    name: str = Field(default="", max_length=120)
    password_hash: str | None = Field(default=None, max_length=255)  # None: Clerk-only account
    clerk_user_id: str | None = Field(default=None, max_length=64, unique=True)
    clerk_updated_at: int | None = clerk_version()
    avatar_url: str | None = Field(default=None, max_length=1000)
    locale: str = Field(default="en", max_length=10)
    email_verified_at: datetime | None = timestamp()
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    id: str = id_field()
    organization_id: str = org_field()
    user_id: str = fk("users.id", nullable=False)
    role: str = Field(default=Role.MEMBER, max_length=20)
    clerk_membership_id: str | None = Field(default=None, max_length=64, unique=True)
    clerk_updated_at: int | None = clerk_version()
    created_at: datetime = created_at()


class Invitation(SQLModel, table=True):
    __tablename__ = "invitations"

    id: str = id_field()
    organization_id: str = org_field()
    email: str = Field(max_length=320, index=True)
    role: str = Field(default=Role.MEMBER, max_length=20)
    token_hash: str = Field(max_length=64, unique=True)
    invited_by_user_id: str | None = fk("users.id", ondelete="SET NULL", index=False)
    expires_at: datetime = timestamp(required=True)
    accepted_at: datetime | None = timestamp()
    revoked_at: datetime | None = timestamp()
    created_at: datetime = created_at()


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries the token; only its hash is stored."""

    __tablename__ = "user_sessions"

    id: str = id_field()
    user_id: str = fk("users.id", nullable=False)
    token_hash: str = Field(max_length=64, unique=True)
    active_organization_id: str | None = fk("organizations.id", ondelete="SET NULL", index=False)
    ip_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=500)
    clerk_session_id: str | None = Field(default=None, max_length=64, index=True)  # Clerk's `sid`, if via Clerk
    expires_at: datetime = timestamp(index=True, required=True)
    last_seen_at: datetime | None = timestamp()
    revoked_at: datetime | None = timestamp()
    created_at: datetime = created_at()


class AuthToken(SQLModel, table=True):
    """One-time tokens sent by email (password reset, email verification)."""

    __tablename__ = "auth_tokens"

    id: str = id_field()
    user_id: str = fk("users.id", nullable=False)
    purpose: str = Field(max_length=30)
    token_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = timestamp(required=True)
    used_at: datetime | None = timestamp()
    created_at: datetime = created_at()


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = id_field()
    organization_id: str = org_field()
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=20)  # shown in lists: "lc_live_AbCd"
    key_hash: str = Field(max_length=64, unique=True)
    created_by_user_id: str | None = fk("users.id", ondelete="SET NULL", index=False)
    last_used_at: datetime | None = timestamp()
    revoked_at: datetime | None = timestamp()
    created_at: datetime = created_at()


class ClerkWebhookEvent(SQLModel, table=True):
    """A Clerk (svix) webhook message already applied, by its `svix-id`: a redelivery is a no-op."""

    __tablename__ = "clerk_webhook_events"

    id: str = Field(primary_key=True, max_length=100)  # svix-id
    type: str = Field(max_length=60)
    created_at: datetime = created_at()
