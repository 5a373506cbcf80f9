"""Wire shapes of accounts: the organization an API key belongs to (`GET /api/v1/me`, `GET /api/v1/organization`), and the
API keys, members and invitations the dashboard lists."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from livchat.models import ApiKey, Invitation, Membership, Organization, User
from livchat.services.schemas import CamelModel, Timestamp
from livchat.services.usage.limits import plan_limits


class MeOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "organizationId": "org_01JD8Z6Q3W4X5Y6Z7A8B9C0D1E", "organizationName": "Acme", "plan": "free",
        "keyId": "key_01JD8Z6Q3W4X5Y6Z7A8B9C0D1F", "keyPrefix": "lc_live_AbCd"}]})

    organization_id: str
    organization_name: str
    plan: str
    key_id: str
    key_prefix: str


class ApiKeyOut(CamelModel):
    """A key as listed: its display prefix only, never the key."""

    id: str
    name: str
    prefix: str
    created_at: Timestamp
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls.model_validate(key)


class MemberOut(CamelModel):
    id: str  # the membership's
    user_id: str
    name: str
    email: str
    role: str

    @classmethod
    def of(cls, membership: Membership, user: User) -> MemberOut:
        return cls(id=membership.id, user_id=user.id, name=user.name or user.email, email=user.email,
                   role=membership.role)


class InvitationOut(CamelModel):
    id: str
    email: str
    role: str
    expires_at: Timestamp

    @classmethod
    def of(cls, invitation: Invitation) -> InvitationOut:
        return cls.model_validate(invitation)


class OrganizationLimits(CamelModel):
    instances: int = Field(description="WhatsApp instances the plan allows.")
    messages_per_day: int | None = Field(description="Messages a day (null: unlimited).")
    sends_per_second: int = Field(description="Sends per second per instance.")
    api_per_minute: int = Field(description="API requests per minute for the organization.")


class OrganizationOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "org_01JD8Z5P0A1B2C3D4E5F6G7H8J", "name": "Acme", "plan": "starter",
        "limits": {"instances": 5, "messagesPerDay": None, "sendsPerSecond": 10, "apiPerMinute": 1000}}]})

    id: str
    name: str
    plan: str = Field(description="free | starter | scale")
    limits: OrganizationLimits

    @classmethod
    def of(cls, organization: Organization, instances: int | None = None) -> OrganizationOut:
        """`instances`: the plan's plus any extra bought (services/billing), when the caller knows."""
        limits = plan_limits(organization.plan)
        allowed = limits.instances if instances is None else instances
        return cls(id=organization.id, name=organization.name, plan=organization.plan,
                   limits=OrganizationLimits(instances=allowed, messages_per_day=limits.messages_per_day,
                                        sends_per_second=limits.sends_per_second,
                                        api_per_minute=limits.api_per_minute))
