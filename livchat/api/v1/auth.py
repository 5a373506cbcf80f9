"""The caller of a v1 route: an API key, within its organization's per-minute request limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from livchat.api.deps import ApiKeyAuth, ApiKeyPrincipal
from livchat.api.ratelimit import enforce
from livchat.services.actors import Actor
from livchat.services.usage.limits import get_rate_limits


async def rate_limited_principal(principal: ApiKeyAuth, request: Request) -> ApiKeyPrincipal:
    org = principal.organization
    enforce(request, await get_rate_limits().api_request(org.id, org.plan))
    return principal


Caller = Annotated[ApiKeyPrincipal, Depends(rate_limited_principal)]


def actor_of(caller: ApiKeyPrincipal) -> Actor:
    """Who the services see acting: the key, with admin rights in its organization."""
    return Actor.for_api_key(caller.organization.id, caller.key.id)
