"""Wire shape of an organization's usage (API.md "Usage"): `GET /api/v1/usage` and the
dashboard's analytics page."""

from __future__ import annotations

from datetime import date

from pydantic import ConfigDict, Field

from livchat.services.schemas import CamelModel


class PlanLimitsOut(CamelModel):
    instances: int
    messages_per_day: int | None = Field(description="null: unlimited")
    sends_per_second: int = Field(description="Per instance.")
    api_requests_per_minute: int = Field(description="Per organization, every /api/v1 route.")


class UsageToday(CamelModel):
    day: date = Field(description="Today (UTC), YYYY-MM-DD.")
    messages_sent: int
    messages_remaining: int | None = Field(description="Left of today's quota (resets 00:00 UTC); null: unlimited.")
    instances: int
    instances_remaining: int


class UsageDay(CamelModel):
    day: date
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

    start: date = Field(alias="from")
    end: date = Field(alias="to")
    plan: str
    limits: PlanLimitsOut
    today: UsageToday
    data: list[UsageDay] = Field(description="One row per day and instance that has counts, oldest first.")
