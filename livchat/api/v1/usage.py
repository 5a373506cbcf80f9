"""`GET /api/v1/usage` (API.md "Usage")."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import Query

from livchat.api.json_body import api_router
from livchat.api.v1.auth import Caller
from livchat.core.db import db, utcnow
from livchat.services.schemas import IsoDate
from livchat.services.usage import counters
from livchat.services.usage.schemas import UsageOut

router = api_router(tags=["usage"])
DEFAULT_DAYS = 30


@router.get("/usage", response_model=UsageOut,
            summary="Usage per day and instance, the plan's limits and what remains today")
async def get_usage(
    caller: Caller,
    start: Annotated[IsoDate | None, Query(alias="from", description="YYYY-MM-DD (default: 30 days ago)")] = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="YYYY-MM-DD (default: today, UTC)")] = None,
) -> UsageOut:
    end = end or utcnow().date()
    if start is None:  # the 30 days up to `end`, or from the first day a date holds
        start = end - timedelta(days=DEFAULT_DAYS - 1) if end.toordinal() > DEFAULT_DAYS else date.min
    async with db.session() as session:
        return await counters.report(session, caller.organization.id, caller.organization.plan, start, end)
