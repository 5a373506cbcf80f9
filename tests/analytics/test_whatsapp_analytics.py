"""WhatsApp analytics: per day and per instance — sent and received, delivered and read rates, webhook
deliveries and failures, the median webhook delivery latency — over a date range, for the caller's
organization only (another organization's instance is not found)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from livchat.core.db import db
from livchat.models.enums import DeliveryStatus, MessageDirection, MessageStatus
from livchat.services.analytics import whatsapp
from livchat.services.errors import InvalidInput, NotFound
from tests.analytics.analytics_support import (
    add_instance,
    add_rows,
    add_usage,
    delivery,
    outbound,
)
from tests.support.desk_support import make_org

DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
D1, D2 = DAY1.date(), DAY2.date()


async def _seed() -> tuple[object, str, str, str]:
    org, other = await make_org(), await make_org("Other")
    alpha, beta = await add_instance(org.id, "Alpha"), await add_instance(org.id, "Beta")
    foreign = await add_instance(other.id, "Foreign")
    await add_usage(org.id, alpha, D1, messages_sent=10, messages_received=4, webhooks_delivered=3, webhooks_failed=1)
    await add_usage(org.id, beta, D1, messages_sent=5)
    await add_usage(org.id, alpha, D2, messages_sent=2, messages_received=1)
    await add_usage(org.id, alpha, D2 + timedelta(days=1), messages_sent=99)  # after the range
    await add_usage(other.id, foreign, D1, messages_sent=77)
    o, a, b = org.id, alpha, beta
    await add_rows(
        outbound(o, a, DAY1, MessageStatus.READ), outbound(o, a, DAY1, MessageStatus.DELIVERED),
        outbound(o, a, DAY1, MessageStatus.DELIVERED), outbound(o, a, DAY1, MessageStatus.SENT),
        outbound(o, a, DAY1, MessageStatus.FAILED),  # never accepted: not in the rates
        outbound(o, a, DAY1, MessageStatus.RECEIVED, MessageDirection.INBOUND),
        outbound(o, b, DAY2, MessageStatus.SENT),
        outbound(other.id, foreign, DAY1, MessageStatus.READ),
        # Latencies: Alpha day 1 → 1, 3, 10 s; Alpha day 2 → 2, 4 s; Beta day 1 → 5 s.
        delivery(o, a, DAY1, 1), delivery(o, a, DAY1, 3),
        delivery(o, a, DAY1.replace(hour=23, minute=59, second=50), 10),  # a UTC day 1 row, posted on day 2
        delivery(o, a, DAY2, 2), delivery(o, a, DAY2, 4), delivery(o, b, DAY1, 5),
        delivery(o, a, DAY1, 500, DeliveryStatus.FAILED), delivery(o, a, DAY1, None, DeliveryStatus.PENDING),
        delivery(other.id, foreign, DAY1, 1000),
    )
    return org, alpha, beta, foreign


async def test_days_instances_and_totals(database: str) -> None:
    org, alpha, beta, _ = await _seed()
    async with db.session() as session:
        report = await whatsapp.whatsapp_analytics(session, org.operator, D1, D2)
    assert [(d.date, d.sent, d.received, d.outbound, d.delivered, d.read) for d in report.days] == [
        (D1, 15, 4, 4, 3, 1), (D2, 2, 1, 1, 0, 0)]
    day1 = report.days[0]
    assert (day1.delivery_rate, day1.read_rate) == (0.75, 0.25)
    assert (day1.webhooks_delivered, day1.webhooks_failed) == (3, 1)
    assert day1.median_webhook_latency_seconds == 4.0  # of 1, 3, 10 (Alpha) and 5 (Beta)
    assert report.days[1].median_webhook_latency_seconds == 3.0  # of 2 and 4
    assert [(r.date, r.instance_id, r.sent, r.median_webhook_latency_seconds) for r in report.rows] == sorted([
        (D1, alpha, 10, 3.0), (D1, beta, 5, 5.0), (D2, alpha, 2, 3.0), (D2, beta, 0, None)])
    assert [(i.name, i.sent, i.outbound, i.delivery_rate, i.median_webhook_latency_seconds)
            for i in report.instances] == [("Alpha", 12, 4, 0.75, 3.0), ("Beta", 5, 1, 0.0, 5.0)]
    totals = report.totals
    assert (totals.sent, totals.received, totals.outbound, totals.delivered, totals.read) == (17, 5, 5, 3, 1)
    assert (totals.delivery_rate, totals.read_rate) == (0.6, 0.2)
    assert totals.median_webhook_latency_seconds == 3.5  # of 1, 2, 3, 4, 5, 10
    wire = report.wire()
    assert wire["totals"]["medianWebhookLatencySeconds"] == 3.5 and wire["days"][0]["date"] == "2026-03-02"
    assert wire["days"][0]["instanceId"] is None and wire["rows"][0]["deliveryRate"] == 0.75


async def test_one_instance(database: str) -> None:
    org, _, beta, _ = await _seed()
    async with db.session() as session:
        report = await whatsapp.whatsapp_analytics(session, org.owner, D1, D1, instance_id=beta)
    assert report.instance_id == beta
    assert [(d.sent, d.outbound, d.median_webhook_latency_seconds) for d in report.days] == [(5, 0, 5.0)]
    assert [i.name for i in report.instances] == ["Beta"]
    assert report.totals.delivery_rate is None  # no outbound message that day: no rate, not 0


async def test_an_empty_range_is_zeros_every_day(database: str) -> None:
    org, *_ = await _seed()
    async with db.session() as session:
        report = await whatsapp.whatsapp_analytics(session, org.operator, date(2025, 1, 1), date(2025, 1, 7))
    assert len(report.days) == 7 and all(d.sent == 0 and d.delivery_rate is None for d in report.days)
    assert report.rows == [] and report.totals.median_webhook_latency_seconds is None
    assert [i.sent for i in report.instances] == [0, 0]  # both numbers listed, quiet


async def test_other_organizations_instance_is_not_found(database: str) -> None:
    org, _, _, foreign = await _seed()
    async with db.session() as session:
        for instance_id in (foreign, "inst_missing"):
            with pytest.raises(NotFound):
                await whatsapp.whatsapp_analytics(session, org.operator, D1, D2, instance_id=instance_id)


async def test_invalid_ranges_are_refused(database: str) -> None:
    org = await make_org()
    async with db.session() as session:
        for start, end in ((D2, D1), (D1 - timedelta(days=400), D1)):
            with pytest.raises(InvalidInput):
                await whatsapp.whatsapp_analytics(session, org.operator, start, end)


async def test_csv_rows(database: str) -> None:
    org, alpha, *_ = await _seed()
    async with db.session() as session:
        report = await whatsapp.whatsapp_analytics(session, org.operator, D1, D1, instance_id=alpha)
    header, *rows = list(whatsapp.csv_rows(report))
    assert header[:4] == ["date", "instance_id", "instance", "sent"]
    assert rows == [["2026-03-02", alpha, "Alpha", 10, 4, 4, 3, 1, 0.75, 0.25, 3, 1, 3.0]]
