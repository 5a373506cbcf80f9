"""Dashboard → Analytics: today's usage against the plan, and the last 14 days."""

from __future__ import annotations

from datetime import date, timedelta

import reflex as rx

from livchat.core.db import db, utcnow
from livchat.services.usage import counters
from livchat.state.auth import AuthContext, authorized, current_context

DAYS = 14


class UsageState(rx.State):
    plan: str = ""
    sent_today: int = 0
    daily_limit: int = 0  # 0: unlimited
    instances_used: int = 0
    instances_allowed: int = 0
    days: list[dict[str, str]] = []

    @rx.event
    @authorized
    async def load(self) -> None:
        await self._reload(await current_context(self))

    @rx.event
    @authorized
    async def refresh(self) -> None:
        """The live feed moved. Not a page load: the tab's organization is checked, not re-recorded."""
        await self._reload(await current_context(self))

    async def _reload(self, ctx: AuthContext) -> None:
        today = utcnow().date()
        async with db.session() as session:
            report = await counters.report(session, ctx.organization.id, ctx.organization.plan,
                                        today - timedelta(days=DAYS - 1), today, today=today)
        self.plan = report.plan
        self.sent_today = report.today.messages_sent
        self.daily_limit = report.limits.messages_per_day or 0
        self.instances_used, self.instances_allowed = report.today.instances, report.limits.instances
        totals: dict[date, dict[str, int]] = {}
        for row in report.data:  # per day and instance: add the instances up
            day = totals.setdefault(row.day, {"sent": 0, "received": 0, "delivered": 0, "failed": 0})
            day["sent"] += row.messages_sent
            day["received"] += row.messages_received
            day["delivered"] += row.webhooks_delivered
            day["failed"] += row.webhooks_failed
        self.days = [
            {"day": day.isoformat(), **{k: str(v) for k, v in totals.get(day, {
                "sent": 0, "received": 0, "delivered": 0, "failed": 0}).items()}}
            for day in (today - timedelta(days=n) for n in range(DAYS))
        ]
