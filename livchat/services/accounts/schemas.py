"""Wire shapes of accounts: the organization an API key belongs to (`GET /api/v1/me`), and the
API keys, members and invitations the dashboard lists."""

from __future__ import annotations

from pydantic import ConfigDict

from livchat.models import ApiKey, Invitation, Membership, User
from livchat.services.schemas import CamelModel, Timestamp


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
