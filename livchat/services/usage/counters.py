"""Daily usage counters (`usage_daily`), incremented atomically, and the daily message quota.

One `INSERT … ON CONFLICT (organization_id, instance_id, day) DO UPDATE SET x = usage_daily.x +
:value` per call: concurrent increments on SQLite or PostgreSQL never lose a count, and no
row has to exist first. The caller commits (so a count goes with the change it counts).

The quota is the organization-wide row's `quota_used`, taken by a conditional upsert (`… DO
UPDATE … WHERE quota_used < quota RETURNING`): the row lock (PostgreSQL) or the single writer
(SQLite) makes the 50th of any number of concurrent sends pass and the 51st fail, in every worker
and after a restart; /usage reports what remains from the same counter.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import table_of, utcnow
from livchat.core.ids import new_id
from livchat.models.whatsapp import Instance, UsageDaily
from livchat.services.billing.plans import instance_allowance
from livchat.services.errors import InvalidInput
from livchat.services.notifications import usage_alerts
from livchat.services.usage.limits import (
    UNLIMITED,
    QuotaExceeded,
    RateLimitResult,
    plan_limits,
)
from livchat.services.usage.schemas import PlanLimitsOut, UsageDay, UsageOut, UsageToday

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
    now = utcnow()
    await session.exec(_increment_statement(_dialect(session), tuple(sorted(counters))), params={
        "id": new_id("use"), "organization_id": organization_id, "instance_id": instance_id or "",
        "day": day or now.date(), "updated_at": now, **{name: counters.get(name, 0) for name in COUNTERS}})


# The upserts are built once per dialect (and set of counters) with their values as bound
# parameters: each send and each event runs two of them, and building a statement and its cache
# key costs more than running it.

def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _insert_for(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@lru_cache(maxsize=128)
def _increment_statement(dialect: str, names: tuple[str, ...]) -> Any:
    """`n = n + :value` for each of `names` (the inserted row carries the increments)."""
    table = table_of(UsageDaily)
    statement = _insert_for(dialect)(table)
    return statement.on_conflict_do_update(
        index_elements=["organization_id", "instance_id", "day"],
        set_={"updated_at": statement.excluded.updated_at,
              **{name: table.c[name] + statement.excluded[name] for name in names}})


@lru_cache(maxsize=4)
def _take_quota_statement(dialect: str) -> Any:
    """One more message on the organization-wide row, unless `:quota` are used already."""
    table = table_of(UsageDaily)
    statement = _insert_for(dialect)(table)
    return statement.on_conflict_do_update(
        index_elements=["organization_id", "instance_id", "day"],
        set_={"quota_used": table.c.quota_used + 1, "updated_at": statement.excluded.updated_at},
        where=table.c.quota_used < bindparam("quota"),
    ).returning(table.c.quota_used)


def next_utc_midnight(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=UTC)


def quota_result(quota: int, used: int, now: datetime) -> RateLimitResult:
    """The quota as RateLimit-* headers: it resets at the next UTC midnight."""
    reset = next_utc_midnight(now)
    allowed = used <= quota
    retry_after = 0 if allowed else max(1, math.ceil((reset - now).total_seconds()))
    return RateLimitResult(allowed, quota, max(0, quota - used), reset.timestamp(), retry_after)


async def take_daily_quota(session: AsyncSession, organization_id: str | None, plan: str | None,
                           *, now: datetime | None = None) -> tuple[date | None, RateLimitResult]:
    """Count one message against the plan's quota for today (UTC). Returns the day it was taken
    on (for `give_back_daily_quota`; None when nothing was taken: no organization or plan, or an
    unlimited plan) and the quota's state. Raises QuotaExceeded when today's quota is used up.
    The caller commits, with the send's row."""
    quota = plan_limits(plan).messages_per_day if organization_id is not None and plan is not None else None
    if quota is None:
        return None, UNLIMITED
    now = now or utcnow()
    day = now.date()
    if quota > 0:
        statement = _take_quota_statement(_dialect(session))
        parameters = {"id": new_id("use"), "organization_id": organization_id, "instance_id": "", "day": day,
                      "updated_at": now, "quota_used": 1, "quota": quota, **dict.fromkeys(COUNTERS, 0)}
        used = (await session.exec(statement, params=parameters)).scalar()
        if used is not None:
            template = usage_alerts.threshold_reached(used, quota)
            if template and organization_id is not None:  # 80 % or 100 %: owners are told
                await usage_alerts.tell_owners(session, organization_id, template, used, quota)
            return day, quota_result(quota, used, now)
    raise QuotaExceeded(quota_result(quota, quota + 1, now))


async def give_back_daily_quota(session: AsyncSession, organization_id: str | None, day: date | None) -> None:
    """A send that failed does not count: return what `take_daily_quota` took on `day`."""
    if organization_id is None or day is None:
        return
    await session.exec(update(UsageDaily).where(
        col(UsageDaily.organization_id) == organization_id, col(UsageDaily.instance_id) == "", col(UsageDaily.day) == day,
        col(UsageDaily.quota_used) > 0).values(quota_used=UsageDaily.quota_used - 1))


MAX_REPORT_DAYS = 366
REPORTED = ("messages_sent", "messages_received", "media_bytes", "webhooks_delivered", "webhooks_failed")


async def report(session: AsyncSession, organization_id: str, plan: str, start: date, end: date,
                 today: date | None = None) -> UsageOut:
    """Per day and instance counters between `start` and `end` (inclusive), the plan's limits,
    and what remains today. Organization-wide rows (instance '') appear with instanceId null."""
    if start > end:
        raise InvalidInput("usage_range_reversed")
    if (end - start).days >= MAX_REPORT_DAYS:
        raise InvalidInput("usage_range_too_long")
    rows = (await session.exec(
        select(UsageDaily).where(UsageDaily.organization_id == organization_id,
                                 UsageDaily.day >= start, UsageDaily.day <= end)
        .order_by(col(UsageDaily.day), col(UsageDaily.instance_id)))).all()
    today = today or utcnow().date()
    sent_today, quota_used = (await session.exec(
        select(func.coalesce(func.sum(UsageDaily.messages_sent), 0), func.coalesce(func.sum(UsageDaily.quota_used), 0))
        .where(UsageDaily.organization_id == organization_id, UsageDaily.day == today))).one()
    instance_count = (await session.exec(select(func.count()).select_from(Instance).where(
        Instance.organization_id == organization_id))).one()
    limits = plan_limits(plan)
    allowed = await instance_allowance(session, organization_id, plan)  # extra instances bought included
    return UsageOut(
        start=start, end=end, plan=plan,
        limits=PlanLimitsOut(instances=allowed, messages_per_day=limits.messages_per_day,
                             sends_per_second=limits.sends_per_second, api_requests_per_minute=limits.api_per_minute),
        today=UsageToday(
            day=today, messages_sent=sent_today,
            # From the counter sends take (in-flight sends included), so it is what the next send sees.
            messages_remaining=None if limits.messages_per_day is None else max(0, limits.messages_per_day - quota_used),
            instances=instance_count, instances_remaining=max(0, allowed - instance_count),
        ),
        # The organization-wide row carries only the quota counter: it has nothing to report.
        data=[UsageDay(day=r.day, instance_id=r.instance_id or None, messages_sent=r.messages_sent,
                       messages_received=r.messages_received, media_bytes=r.media_bytes,
                       webhooks_delivered=r.webhooks_delivered, webhooks_failed=r.webhooks_failed)
              for r in rows if any(getattr(r, name) for name in REPORTED)],
    )
