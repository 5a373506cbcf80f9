"""`GET /api/v1/usage` (API.md "Usage")."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Query

from livchat.api.v1.auth import Caller
from livchat.core.db import db, utcnow
from livchat.services import usage

router = APIRouter(tags=["usage"])
DEFAULT_DAYS = 30


@router.get("/usage", summary="Usage per day and instance, the plan's limits and what remains today")
async def get_usage(
    caller: Caller,
    start: date | None = Query(default=None, alias="from", description="YYYY-MM-DD (default: 30 days ago)"),
    end: date | None = Query(default=None, alias="to", description="YYYY-MM-DD (default: today, UTC)"),
) -> dict[str, Any]:
    end = end or utcnow().date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    async with db.session() as session:
        return await usage.report(session, caller.organization.id, caller.organization.plan, start, end)
