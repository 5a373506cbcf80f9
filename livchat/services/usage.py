"""Daily usage counters (`usage_daily`), incremented atomically.

One `INSERT … ON CONFLICT (organization_id, instance_id, day) DO UPDATE SET x = usage_daily.x +
excluded.x` per call: concurrent increments on SQLite or PostgreSQL never lose a count, and no
row has to exist first. The caller commits (so a count goes with the change it counts).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.models.whatsapp import Instance, UsageDaily
from livchat.services.errors import InvalidInput
from livchat.services.limits import plan_limits

COUNTERS = ("messages_sent", "messages_received", "media_bytes", "webhooks_delivered", "webhooks_failed",
            "api_requests")


async def increment(session: AsyncSession, organization_id: str | None, instance_id: str | None = "",
                    *, day: date | None = None, **counters: int) -> None:
    """Add `counters` (e.g. messages_sent=1, media_bytes=2048) to today's row. Anonymous
    instances (no organization) are not counted here."""
    if organization_id is None:
        return
    unknown = set(counters) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown usage counters: {sorted(unknown)}")
    counters = {name: int(value) for name, value in counters.items() if value}
    if not counters:
        return
    table = UsageDaily.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    statement = insert(table).values(
        id=new_id("use"), organization_id=organization_id, instance_id=instance_id or "",
        day=day or now.date(), updated_at=now,
        **{name: counters.get(name, 0) for name in COUNTERS},
    )
    statement = statement.on_conflict_do_update(
        index_elements=["organization_id", "instance_id", "day"],
        set_={"updated_at": now, **{name: table.c[name] + statement.excluded[name] for name in counters}},
    )
    await session.exec(statement)


MAX_REPORT_DAYS = 366


async def report(session: AsyncSession, organization_id: str, plan: str, start: date, end: date,
                 today: date | None = None) -> dict[str, Any]:
    """Per day and instance counters between `start` and `end` (inclusive), the plan's limits,
    and what remains today. Organization-wide rows (instance '') appear with instanceId null."""
    if start > end:
        raise InvalidInput("usage_range_reversed")
    if (end - start).days >= MAX_REPORT_DAYS:
        raise InvalidInput("usage_range_too_long")
    rows = (await session.exec(
        select(UsageDaily).where(UsageDaily.organization_id == organization_id,
                                 UsageDaily.day >= start, UsageDaily.day <= end)
        .order_by(UsageDaily.day, UsageDaily.instance_id))).all()
    today = today or utcnow().date()
    sent_today = sum(r.messages_sent for r in rows if r.day == today)
    if not start <= today <= end:
        sent_today = (await session.exec(select(func.coalesce(func.sum(UsageDaily.messages_sent), 0)).where(
            UsageDaily.organization_id == organization_id, UsageDaily.day == today))).one()
    instance_count = (await session.exec(select(func.count()).select_from(Instance).where(
        Instance.organization_id == organization_id))).one()
    limits = plan_limits(plan)
    return {
        "from": start.isoformat(), "to": end.isoformat(), "plan": plan,
        "limits": {"instances": limits.instances, "messagesPerDay": limits.messages_per_day,
                   "sendsPerSecond": limits.sends_per_second, "apiRequestsPerMinute": limits.api_per_minute},
        "today": {
            "day": today.isoformat(), "messagesSent": sent_today,
            "messagesRemaining": None if limits.messages_per_day is None else max(0, limits.messages_per_day - sent_today),
            "instances": instance_count, "instancesRemaining": max(0, limits.instances - instance_count),
        },
        "data": [{"day": r.day.isoformat(), "instanceId": r.instance_id or None, "messagesSent": r.messages_sent,
                  "messagesReceived": r.messages_received, "mediaBytes": r.media_bytes,
                  "webhooksDelivered": r.webhooks_delivered, "webhooksFailed": r.webhooks_failed} for r in rows],
    }
