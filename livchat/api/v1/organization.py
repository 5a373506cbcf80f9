"""`GET /api/v1/organization` (API.md "Support desk"): the key's organization."""

from __future__ import annotations

from typing import Any

from livchat.api.json_body import api_router
from livchat.api.v1.auth import Caller
from livchat.core.db import db
from livchat.services.accounts.schemas import OrganizationOut
from livchat.services.billing.plans import instance_allowance

router = api_router(tags=["organization"])


@router.get("/organization", response_model=OrganizationOut,
            summary="The API key's organization: its id (the embed snippet's data-organization-id), plan and limits")
async def organization(caller: Caller) -> dict[str, Any]:
    async with db.session() as session:
        allowed = await instance_allowance(session, caller.organization.id, caller.organization.plan)
    return OrganizationOut.of(caller.organization, instances=allowed).wire()
