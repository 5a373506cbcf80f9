"""`GET /api/v1/usage` (API.md "Usage")."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Query
from pydantic import ConfigDict, Field

from livchat.api.v1.auth import Caller
from livchat.api.v1.common import CamelModel
from livchat.core.db import db, utcnow
from livchat.services.usage import counters

router = APIRouter(tags=["usage"])
DEFAULT_DAYS = 30


class PlanLimitsOut(CamelModel):
    instances: int
    messages_per_day: int | None = Field(description="null: unlimited")
    sends_per_second: int = Field(description="Per instance.")
    api_requests_per_minute: int = Field(description="Per organization, every /api/v1 route.")


class UsageToday(CamelModel):
    day: str = Field(description="Today (UTC), YYYY-MM-DD.")
    messages_sent: int
    messages_remaining: int | None = Field(description="Left of today's quota (resets 00:00 UTC); null: unlimited.")
    instances: int
    instances_remaining: int


class UsageDay(CamelModel):
    day: str
    instance_id: str | None = Field(description="null: organization-wide counts.")
    messages_sent: int
    messages_received: int
    media_bytes: int
    webhooks_delivered: int
    webhooks_failed: int


class UsageOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "from": "2026-01-01", "to": "2026-01-15", "plan": "free",
        "limits": {"instances": 1, "messagesPerDay": 50, "sendsPerSecond": 1, "apiRequestsPerMinute": 100},
        "today": {"day": "2026-01-15", "messagesSent": 12, "messagesRemaining": 38, "instances": 1,
                  "instancesRemaining": 0},
        "data": [{"day": "2026-01-15", "instanceId": "inst_01JD8Z6Q3W4X5Y6Z7A8B9C0D1A", "messagesSent": 12,
                  "messagesReceived": 30, "mediaBytes": 48213, "webhooksDelivered": 41, "webhooksFailed": 1}],
    }]})

    start: str = Field(alias="from")
    end: str = Field(alias="to")
    plan: str
    limits: PlanLimitsOut
    today: UsageToday
    data: list[UsageDay] = Field(description="One row per day and instance that has counts, oldest first.")


@router.get("/usage", response_model=UsageOut,
            summary="Usage per day and instance, the plan's limits and what remains today")
async def get_usage(
    caller: Caller,
    start: date | None = Query(default=None, alias="from", description="YYYY-MM-DD (default: 30 days ago)"),
    end: date | None = Query(default=None, alias="to", description="YYYY-MM-DD (default: today, UTC)"),
) -> dict[str, Any]:
    end = end or utcnow().date()
    if start is None:  # the 30 days up to `end`, or from the first day a date holds
        start = end - timedelta(days=DEFAULT_DAYS - 1) if end.toordinal() > DEFAULT_DAYS else date.min
    async with db.session() as session:
        return await counters.report(session, caller.organization.id, caller.organization.plan, start, end)
