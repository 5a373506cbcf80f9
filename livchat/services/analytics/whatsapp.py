"""WhatsApp analytics (issue 14 §2): per day (UTC) and per instance over a date range — messages sent
and received (the usage counters), the delivered and read rates of outbound messages (their status
timestamps), webhook deliveries and failures (the usage counters) and the median delivery latency
(webhook delivery rows: created → posted successfully).

Works on SQLite and PostgreSQL alike. Sums are aggregated in SQL per (day, instance) with GROUP
BY; coarser sums (per day, per instance, the range) are added up here from those rows. Medians
cannot be added up: one scan of the latencies, ordered, serves every grouping (`_latency_medians`).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import db
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
        for name in _SUM_NAMES:  # dataclasses.fields() per call cost more than the additions (a year: 22k calls)
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self, median: float | None) -> dict[str, Any]:
        return {**{name: getattr(self, name) for name in _SUM_NAMES},
                "delivery_rate": _rate(self.delivered, self.outbound), "read_rate": _rate(self.read, self.outbound),
                "median_webhook_latency_seconds": None if median is None else round(float(median), 3)}


_SUM_NAMES = tuple(f.name for f in fields(_Sums))


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
    """`with_rows=False` leaves `rows` (per day and instance: the CSV's) empty — the page shows days
    and instances only."""
    actor.require("read")
    since, until = _window(start, end)
    organization_id = actor.organization_id
    names = await instance_names(session, actor)
    instance_id = instance_id or None
    if instance_id is not None and instance_id not in names:  # another organization's looks the same as none
        raise NotFound("instance_not_found")
    # The latency scan runs on a connection of its own meanwhile: the page waits for the slower of the
    # two rather than their sum (SQLite in WAL mode, too, reads on several connections at once).
    medians_task = asyncio.create_task(_latency_medians_apart(organization_id, instance_id, since, until))
    try:
        sums = await _sums(session, organization_id, instance_id, start, end, since, until)
    finally:
        medians = await medians_task

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
        days=[WhatsAppDay(date=day, **row.figures(medians.get((day, None)))) for day, row in days.items()],
        rows=[WhatsAppDay(date=day, instance_id=instance, **row.figures(medians.get((day, instance))))
              for (day, instance), row in sorted(sums.items()) if with_rows],
        instances=sorted((WhatsAppInstanceTotals(instance_id=instance, name=names.get(instance, instance),
                                                 **row.figures(medians.get((None, instance))))
                          for instance, row in per_instance.items()), key=lambda i: (i.name.lower(), i.instance_id)),
        totals=WhatsAppFigures(**totals.figures(medians.get((None, None)))),
    )


async def _sums(session: AsyncSession, organization_id: str, instance_id: str | None, start: date, end: date,
                since: Any, until: Any) -> dict[tuple[date, str], _Sums]:
    """The summable figures per (day, instance): usage counters, outbound messages reached and read."""
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
    return sums


async def _latency_medians_apart(organization_id: str, instance_id: str | None, since: Any,
                                 until: Any) -> dict[tuple[date | None, str | None], float]:
    async with db.session() as session:
        return await _latency_medians(session, organization_id, instance_id, since, until)


async def _latency_medians(session: AsyncSession, organization_id: str, instance_id: str | None, since: Any,
                           until: Any) -> dict[tuple[date | None, str | None], float]:
    """Median webhook delivery latency (seconds) per (day, instance), per day, per instance and
    overall, keyed (day | None, instance | None). One scan, ordered by latency, gives every
    grouping its values already sorted: a median is then the middle one or two (four window
    queries, one per grouping, cost four times as much)."""
    d = WebhookDelivery
    latency = _seconds_between(session, d.created_at, d.last_attempt_at)
    where = [d.organization_id == organization_id, d.status == DeliveryStatus.DELIVERED,
             col(d.last_attempt_at).is_not(None), col(d.created_at) >= since, col(d.created_at) < until]
    if instance_id:
        where.append(d.instance_id == instance_id)
    rows = (await session.exec(select(_utc_day(session, d.created_at), d.instance_id, latency)
                               .where(*where).order_by(latency))).all()
    groups: dict[tuple[date | None, str | None], list[float]] = defaultdict(list)
    days: dict[Any, date] = {}
    for raw_day, instance, seconds in rows:
        day = days.get(raw_day) or days.setdefault(raw_day, _as_date(raw_day))
        value = float(seconds)
        for key in ((day, instance), (day, None), (None, instance), (None, None)):
            groups[key].append(value)
    return {key: _middle(values) for key, values in groups.items()}


def _middle(ordered: list[float]) -> float:
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def csv_rows(report: WhatsAppAnalytics) -> Iterable[list[Any]]:
    """The per-day, per-instance rows for a CSV export (header first)."""
    names = {i.instance_id: i.name for i in report.instances}
    yield ["date", "instance_id", "instance", "sent", "received", "outbound", "delivered", "read", "delivery_rate",
           "read_rate", "webhooks_delivered", "webhooks_failed", "median_webhook_latency_seconds"]
    for r in report.rows:
        yield [r.date.isoformat(), r.instance_id, names.get(r.instance_id or "", ""), r.sent, r.received, r.outbound,
               r.delivered, r.read, r.delivery_rate, r.read_rate, r.webhooks_delivered, r.webhooks_failed,
               r.median_webhook_latency_seconds]
