"""usage.increment: one atomic upsert per call; concurrent increments lose nothing."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlmodel import select

from livchat.core.db import db
from livchat.models.whatsapp import UsageDaily
from livchat.services.usage import counters
from tests.factories import make_org


async def test_concurrent_increments_add_up_exactly(session) -> None:
    org = await make_org(session)

    async def one() -> None:
        async with db.session() as s:
            await counters.increment(s, org, "inst_1", messages_sent=1, media_bytes=10)
            await s.commit()

    await asyncio.gather(*(one() for _ in range(25)))
    async with db.session() as s:
        row = (await s.exec(select(UsageDaily).where(UsageDaily.organization_id == org))).one()
    assert (row.messages_sent, row.media_bytes, row.messages_received, row.instance_id) == (25, 250, 0, "inst_1")


async def test_rows_are_per_day_and_instance_and_anonymous_is_skipped(session) -> None:
    org = await make_org(session)
    await counters.increment(session, org, "inst_1", day=date(2026, 1, 1), messages_received=2)
    await counters.increment(session, org, "inst_1", day=date(2026, 1, 2), messages_received=3)
    await counters.increment(session, org, None, day=date(2026, 1, 2), api_requests=1)  # organization-wide row
    await counters.increment(session, None, "inst_anon", messages_sent=1)
    await counters.increment(session, org, "inst_1", messages_sent=0)  # nothing to add
    await session.commit()
    found = (await session.exec(select(UsageDaily).order_by(UsageDaily.day, UsageDaily.instance_id))).all()
    assert [(r.day, r.instance_id, r.messages_received, r.api_requests) for r in found] == [
        (date(2026, 1, 1), "inst_1", 2, 0), (date(2026, 1, 2), "", 0, 1), (date(2026, 1, 2), "inst_1", 3, 0)]
    with pytest.raises(ValueError):
        await counters.increment(session, org, "inst_1", bogus=1)
