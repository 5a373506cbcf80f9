"""Who is acting, and what their role lets them do — checked in the services, once, for every
surface (REST API, dashboard, CLI).

Every mutating service call takes an `Actor` and calls `actor.require(permission)` before it
changes anything; the organization it acts in is `actor.organization_id`. The REST API builds
one from the API key (`Actor.for_api_key`), the dashboard from the signed-in member
(`Actor.for_member`), the CLI its own (`Actor.for_console`). The landing page's anonymous test
panel is no organization's actor: its calls pass `actor=None` with their `anonymous_session_id`.
An API key acts with admin rights in its organization: it may manage instances, webhooks, the
inbox and the knowledge base, never members, billing or owners.
"""

from __future__ import annotations

from dataclasses import dataclass

from livchat.models.enums import Role
from livchat.services.errors import PermissionDenied

# Operators (members) read everything and work the inbox; admins change settings; owners own.
_MEMBER = {"read", "use", "work_inbox"}
_ADMIN = _MEMBER | {"manage_instances", "manage_members", "manage_keys", "manage_settings", "manage_webhooks",
                    "manage_widget", "manage_knowledge"}
_OWNER = _ADMIN | {"manage_billing", "manage_owners", "transfer_ownership", "delete_organization"}
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.MEMBER: frozenset(_MEMBER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.OWNER: frozenset(_OWNER),
}
API_KEY_ROLE = Role.ADMIN
# What an API key may not do although its role could: who belongs to the organization is for people.
NOT_FOR_API_KEYS = frozenset({"manage_members"})


def can(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


def require(role: str, permission: str) -> None:
    if not can(role, permission):
        raise PermissionDenied("insufficient_role")


@dataclass(frozen=True)
class Actor:
    organization_id: str
    role: str
    user_id: str | None = None
    api_key_id: str | None = None

    @classmethod
    def for_member(cls, organization_id: str, user_id: str, role: str) -> Actor:
        return cls(organization_id=organization_id, role=role, user_id=user_id)

    @classmethod
    def for_api_key(cls, organization_id: str, api_key_id: str) -> Actor:
        return cls(organization_id=organization_id, role=API_KEY_ROLE, api_key_id=api_key_id)

    @classmethod
    def for_console(cls, organization_id: str) -> Actor:
        """The `livchat` command run on the server: whoever runs it holds the database (and the
        secret key) already, so it acts as an owner of the organization it names."""
        return cls(organization_id=organization_id, role=Role.OWNER)

    @property
    def is_api_key(self) -> bool:
        return self.api_key_id is not None

    def can(self, permission: str) -> bool:
        if self.is_api_key and permission in NOT_FOR_API_KEYS:
            return False
        return can(self.role, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied("insufficient_role")
