"""WhatsApp analytics (issue 14 §2): per day (UTC) and per instance over a date range — messages sent
and received (the usage counters), the delivered and read rates of outbound messages (their status
timestamps), webhook deliveries and failures (the usage counters) and the median delivery latency
(webhook delivery rows: created → posted successfully).

Everything is aggregated in SQL and works on SQLite and PostgreSQL: sums per (day, instance) with
GROUP BY, medians with window functions (ROW_NUMBER/COUNT over each group, the middle one or two
rows averaged), which both databases have. Coarser sums (per day, per instance, the range) are
added up here from the (day, instance) rows; medians cannot be, so each grouping gets its query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.models import Instance, Message, UsageDaily, WebhookDelivery
from livchat.models.enums import DeliveryStatus, MessageDirection, MessageStatus
from livchat.services.actors import Actor
from livchat.services.analytics.schemas import (
    WhatsAppAnalytics,
    WhatsAppDay,
    WhatsAppFigures,
    WhatsAppInstanceTotals,
)
from livchat.services.analytics.support import _rate, _window
from livchat.services.errors import NotFound


@dataclass
class _Sums:
    sent: int = 0
    received: int = 0
    outbound: int = 0
    delivered: int = 0
    read: int = 0
    webhooks_delivered: int = 0
    webhooks_failed: int = 0

    def add(self, other: _Sums) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def figures(self, median: float | None) -> dict[str, Any]:
        return {**{f.name: getattr(self, f.name) for f in fields(self)},
                "delivery_rate": _rate(self.delivered, self.outbound), "read_rate": _rate(self.read, self.outbound),
                "median_webhook_latency_seconds": None if median is None else round(float(median), 3)}


def _utc_day(session: AsyncSession, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column (SQLite stores naive UTC text; PostgreSQL timestamptz)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def _seconds_between(session: AsyncSession, start: Any, end: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    # julianday() is a float of days: rounded to the millisecond, or 3 s reads 2.99998.
    return func.round((func.julianday(end) - func.julianday(start)) * 86400000.0) / 1000.0


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def instance_names(session: AsyncSession, actor: Actor) -> dict[str, str]:
    """The organization's instances, id → name (the page's instance filter)."""
    actor.require("read")
    return dict((await session.exec(
        select(Instance.id, Instance.name).where(Instance.organization_id == actor.organization_id))).all())


async def whatsapp_analytics(session: AsyncSession, actor: Actor, start: date, end: date,
                             instance_id: str | None = None, *, with_rows: bool = True) -> WhatsAppAnalytics:
    """`with_rows=False` leaves `rows` (per day and instance: the CSV's) empty, and skips their
    median query — the page shows days and instances only."""
    actor.require("read")
    since, until = _window(start, end)
    organization_id = actor.organization_id
    names = await instance_names(session, actor)
    instance_id = instance_id or None
    if instance_id is not None and instance_id not in names:  # another organization's looks the same as none
        raise NotFound("instance_not_found")

    def scoped(org_column: Any, instance_column: Any) -> list[Any]:
        where = [org_column == organization_id]
        return where + ([instance_column == instance_id] if instance_id else [])

    sums: dict[tuple[date, str], _Sums] = {}
    # sqlmodel types select() for up to 4 columns: hence the ignores on the wider ones below.
    usage = (select(UsageDaily.day, UsageDaily.instance_id, func.sum(UsageDaily.messages_sent),  # type: ignore[call-overload]
                    func.sum(UsageDaily.messages_received), func.sum(UsageDaily.webhooks_delivered),
                    func.sum(UsageDaily.webhooks_failed))
             .where(*scoped(UsageDaily.organization_id, UsageDaily.instance_id), UsageDaily.instance_id != "",
                    col(UsageDaily.day) >= start, col(UsageDaily.day) <= end)
             .group_by(UsageDaily.day, UsageDaily.instance_id))
    for day, instance, sent, received, hooks_ok, hooks_failed in (await session.exec(usage)).all():
        row = sums.setdefault((_as_date(day), instance), _Sums())
        row.sent, row.received = int(sent or 0), int(received or 0)
        row.webhooks_delivered, row.webhooks_failed = int(hooks_ok or 0), int(hooks_failed or 0)

    message_day = _utc_day(session, Message.created_at)
    reached = col(Message.delivered_at).is_not(None) | col(Message.read_at).is_not(None)
    outbound = (select(message_day, Message.instance_id, func.count(), func.sum(case((reached, 1), else_=0)),  # type: ignore[call-overload]
                       func.sum(case((col(Message.read_at).is_not(None), 1), else_=0)))
                .where(*scoped(Message.organization_id, Message.instance_id),
                       Message.direction == MessageDirection.OUTBOUND,
                       col(Message.status).not_in([MessageStatus.PENDING, MessageStatus.FAILED]),
                       col(Message.created_at) >= since, col(Message.created_at) < until)
                .group_by(message_day, Message.instance_id))
    for day, instance, total, delivered, read in (await session.exec(outbound)).all():
        row = sums.setdefault((_as_date(day), instance), _Sums())
        row.outbound, row.delivered, row.read = int(total), int(delivered or 0), int(read or 0)

    medians = _Medians(session, organization_id, instance_id, since, until)
    by_day_instance = await medians.grouped(by_day=True, by_instance=True) if with_rows else {}
    by_day = await medians.grouped(by_day=True, by_instance=False)
    by_instance = await medians.grouped(by_day=False, by_instance=True)
    overall = await medians.grouped(by_day=False, by_instance=False)

    days = {start + timedelta(days=i): _Sums() for i in range((end - start).days + 1)}
    per_instance: dict[str, _Sums] = {}
    totals = _Sums()
    for (day, instance), row in sums.items():
        days[day].add(row)
        per_instance.setdefault(instance, _Sums()).add(row)
        totals.add(row)
    for instance in ([instance_id] if instance_id else names):  # every number listed, quiet ones too
        per_instance.setdefault(instance, _Sums())
    return WhatsAppAnalytics(
        start=start, end=end, instance_id=instance_id,
        days=[WhatsAppDay(date=day, **row.figures(by_day.get((day, None)))) for day, row in days.items()],
        rows=[WhatsAppDay(date=day, instance_id=instance, **row.figures(by_day_instance.get((day, instance))))
              for (day, instance), row in sorted(sums.items()) if with_rows],
        instances=sorted((WhatsAppInstanceTotals(instance_id=instance, name=names.get(instance, instance),
                                                 **row.figures(by_instance.get((None, instance))))
                          for instance, row in per_instance.items()), key=lambda i: (i.name.lower(), i.instance_id)),
        totals=WhatsAppFigures(**totals.figures(overall.get((None, None)))),
    )


@dataclass
class _Medians:
    """Median webhook delivery latency (seconds) per grouping, computed by the database."""

    session: AsyncSession
    organization_id: str
    instance_id: str | None
    since: Any
    until: Any

    async def grouped(self, *, by_day: bool, by_instance: bool) -> dict[tuple[date | None, str | None], float]:
        d = WebhookDelivery
        day = _utc_day(self.session, d.created_at).label("day") if by_day else literal(None).label("day")
        instance = col(d.instance_id).label("instance") if by_instance else literal(None).label("instance")
        latency = _seconds_between(self.session, d.created_at, d.last_attempt_at).label("latency")
        partition = [e for e, on in ((_utc_day(self.session, d.created_at), by_day), (d.instance_id, by_instance))
                     if on] or None
        where = [d.organization_id == self.organization_id, d.status == DeliveryStatus.DELIVERED,
                 col(d.last_attempt_at).is_not(None), col(d.created_at) >= self.since, col(d.created_at) < self.until]
        if self.instance_id:
            where.append(d.instance_id == self.instance_id)
        ranked = select(day, instance, latency,  # type: ignore[call-overload]  # 5 columns (see above)
                        func.row_number().over(partition_by=partition, order_by=latency).label("n"),
                        func.count().over(partition_by=partition).label("size")).where(*where).subquery()
        # The middle row (odd size) or the two middle rows (even size); `//` is SQL integer division.
        middle = and_(ranked.c.n >= (ranked.c.size + 1) // 2, ranked.c.n <= (ranked.c.size + 2) // 2)
        query = (select(ranked.c.day, ranked.c.instance, func.avg(ranked.c.latency)).where(middle)
                 .group_by(ranked.c.day, ranked.c.instance))
        return {(_as_date(k_day) if k_day is not None else None, k_instance): float(value)
                for k_day, k_instance, value in (await self.session.exec(query)).all()}


def csv_rows(report: WhatsAppAnalytics) -> Iterable[list[Any]]:
    """The per-day, per-instance rows for a CSV export (header first)."""
    names = {i.instance_id: i.name for i in report.instances}
    yield ["date", "instance_id", "instance", "sent", "received", "outbound", "delivered", "read", "delivery_rate",
           "read_rate", "webhooks_delivered", "webhooks_failed", "median_webhook_latency_seconds"]
    for r in report.rows:
        yield [r.date.isoformat(), r.instance_id, names.get(r.instance_id or "", ""), r.sent, r.received, r.outbound,
               r.delivered, r.read, r.delivery_rate, r.read_rate, r.webhooks_delivered, r.webhooks_failed,
               r.median_webhook_latency_seconds]
