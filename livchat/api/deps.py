"""Typed FastAPI dependencies: who is calling.

    @router.get("/things/{thing_id}")
    async def get_thing(auth: ApiKeyAuth, thing_id: str): ...   # auth.organization.id

Every route that takes an id of an organization's row must load it filtered by
`auth.organization.id` and answer 404 otherwise; tests/accounts/test_tenant_isolation.py checks
each such route by itself (see `livchat.api.tenancy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from livchat.api.problems import ApiError
from livchat.core.db import db
from livchat.core.settings import get_settings
from livchat.models import ApiKey, Instance, Organization
from livchat.services.accounts import api_keys

_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="livchat"'}


def client_ip(request: Request) -> str | None:
    """The client's address: the peer's, or behind TRUSTED_PROXY_HOPS proxies the one they saw
    (X-Forwarded-For is the client's own say-so otherwise). The same rule as Reflex's websocket."""
    peer = request.client.host if request.client else None
    hops = get_settings().trusted_proxy_hops
    if not hops:
        return peer
    forwarded = [ip.strip() for ip in request.headers.get("x-forwarded-for", "").split(",") if ip.strip()]
    return forwarded[-hops] if len(forwarded) >= hops else peer


@dataclass(frozen=True)
class ApiKeyPrincipal:
    organization: Organization
    key: ApiKey
    instance: Instance | None = None  # the route's {instance_id}, loaded with the key when it is the organization's


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def api_key_principal(request: Request) -> ApiKeyPrincipal:
    secret = _bearer(request)
    if secret is None:
        raise ApiError(401, "unauthorized", "Send your API key as `Authorization: Bearer lc_live_...`.",
                       headers=_UNAUTHORIZED_HEADERS)
    async with db.session(short=True) as session:
        # One query: the key, its organization, and the instance a route like /instances/{instance_id}/… names.
        found = await api_keys.authenticate_for(session, secret, request.path_params.get("instance_id"))
        if found is None:
            raise ApiError(401, "unauthorized", "This API key is unknown or has been revoked.",
                           headers=_UNAUTHORIZED_HEADERS)
        if await api_keys.mark_used(session, found.key):
            await session.commit()  # a minute's first use; otherwise nothing was written: no commit
    return ApiKeyPrincipal(organization=found.organization, key=found.key, instance=found.instance)


ApiKeyAuth = Annotated[ApiKeyPrincipal, Depends(api_key_principal)]
