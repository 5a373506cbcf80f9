"""The daily message quota: a counter in usage_daily, exact per UTC day under concurrency, on
SQLite and PostgreSQL (the `database` fixture runs each test on both)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from livchat.core.db import db
from livchat.models.whatsapp import UsageDaily
from livchat.services.usage import counters
from livchat.services.usage.limits import UNLIMITED, QuotaExceeded
from tests.factories import make_org


async def _take(org: str, plan: str = "free", now: datetime | None = None) -> Any:
    """One send's take, in its own transaction as a request makes it."""
    async with db.session() as s:
        try:
            taken = await counters.take_daily_quota(s, org, plan, now=now)
        except QuotaExceeded as exc:
            return exc
        await s.commit()
        return taken


async def test_the_fiftieth_passes_and_the_fifty_first_waits_for_utc_midnight(session: Any) -> None:
    org = await make_org(session)
    noon = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)
    results = [await _take(org, now=noon) for _ in range(51)]
    assert all(not isinstance(r, QuotaExceeded) for r in results[:50])
    day, fiftieth = results[49]
    assert day == noon.date() and fiftieth.allowed and fiftieth.remaining == 0 and fiftieth.limit == 50
    refused = results[50]
    assert isinstance(refused, QuotaExceeded) and refused.code == "quota_exceeded" and refused.status == 429
    assert refused.result.retry_after == 12 * 3600  # until 00:00 UTC
    headers = refused.result.headers(now=noon.timestamp())
    assert headers["Retry-After"] == "43200" and headers["RateLimit-Remaining"] == "0"
    assert headers["RateLimit-Limit"] == "50" and headers["RateLimit-Reset"] == "43200"
    late = await _take(org, now=datetime(2026, 3, 10, 23, 59, 59, 500_000, tzinfo=UTC))
    assert isinstance(late, QuotaExceeded) and late.result.retry_after == 1
    tomorrow = await _take(org, now=datetime(2026, 3, 11, 0, 0, 0, tzinfo=UTC))  # a new UTC day
    assert not isinstance(tomorrow, QuotaExceeded) and tomorrow[1].remaining == 49


async def test_concurrent_takes_stop_exactly_at_the_quota(session: Any) -> None:
    org = await make_org(session)
    results = await asyncio.gather(*(_take(org) for _ in range(70)))
    assert sum(not isinstance(r, QuotaExceeded) for r in results) == 50
    async with db.session() as s:
        row = (await s.exec(select(UsageDaily).where(UsageDaily.organization_id == org))).one()
    assert (row.instance_id, row.quota_used, row.messages_sent) == ("", 50, 0)


async def test_a_failed_send_gives_its_quota_back_and_usage_reports_the_same_counter(session: Any) -> None:
    org = await make_org(session)
    for _ in range(50):
        await _take(org)
    async with db.session() as s:
        day = datetime.now(UTC).date()
        await counters.give_back_daily_quota(s, org, day)
        await s.commit()
        report = await counters.report(s, org, "free", day, day)
    assert report.today.messages_remaining == 1
    assert report.data == []  # the organization-wide counter row has nothing to report
    assert not isinstance(await _take(org), QuotaExceeded)
    assert isinstance(await _take(org), QuotaExceeded)


@pytest.mark.parametrize("plan", ["starter", "scale"])
async def test_paid_plans_take_nothing(session: Any, plan: str) -> None:
    org = await make_org(session)
    for _ in range(60):
        assert await _take(org, plan) == (None, UNLIMITED)
    async with db.session() as s:
        assert (await s.exec(select(UsageDaily).where(UsageDaily.organization_id == org))).all() == []
