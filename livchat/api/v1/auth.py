"""The caller of a v1 route: an API key, within its organization's per-minute request limit, and
the actor the services check (an API key acts as an admin of its organization)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from livchat.api.deps import ApiKeyAuth
from livchat.api.ratelimit import enforce
from livchat.models import ApiKey, Instance, Organization
from livchat.services.actors import Actor
from livchat.services.usage.limits import get_rate_limits


@dataclass(frozen=True)
class ApiCaller:
    organization: Organization
    key: ApiKey
    actor: Actor
    instance: Instance | None = None  # the route's {instance_id} when the organization's (see api_key_principal)


async def rate_limited_caller(principal: ApiKeyAuth, request: Request) -> ApiCaller:
    org = principal.organization
    enforce(request, await get_rate_limits().api_request(org.id, org.plan))
    return ApiCaller(organization=org, key=principal.key, actor=Actor.for_api_key(org.id, principal.key.id),
                     instance=principal.instance)


Caller = Annotated[ApiCaller, Depends(rate_limited_caller)]
