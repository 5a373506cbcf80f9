"""The Analytics page's state: loads the last 30 days of both tabs, switches the range (presets,
a validated custom range) and the instance filter; another organization's instance is not found."""

from __future__ import annotations

from datetime import timedelta

from livchat.core.db import utcnow
from livchat.models.enums import MessageStatus
from livchat.state.analytics import (
    ERROR_INSTANCE,
    ERROR_RANGE,
    REFRESH_EVERY_S,
    AnalyticsState,
)
from tests.accounts.accounts_support import tab_with_cookie
from tests.analytics.analytics_support import (
    add_instance,
    add_rows,
    add_usage,
    delivery,
    outbound,
)
from tests.factories import signed_in_owner

PAGE = "/dashboard/analytics"


async def _tab(email: str) -> tuple[AnalyticsState, str]:
    organization_id, cookie = await signed_in_owner(email)
    tab = tab_with_cookie(AnalyticsState, cookie, PAGE)
    return tab, organization_id


async def test_load_shows_the_last_30_days_of_both_tabs(database: str) -> None:
    tab, org = await _tab("stats@example.com")
    shop = await add_instance(org, "Shop")
    now = utcnow().replace(microsecond=0)
    await add_usage(org, shop, now.date(), messages_sent=4, messages_received=1, webhooks_delivered=2)
    await add_rows(outbound(org, shop, now - timedelta(minutes=5), MessageStatus.DELIVERED),
                   outbound(org, shop, now - timedelta(minutes=5), MessageStatus.SENT),
                   delivery(org, shop, now - timedelta(minutes=5), 1.5))
    await AnalyticsState.load.fn(tab)
    assert tab.error == "" and tab.preset == "30" and len(tab.wa_days) == 30 and len(tab.support_days) == 30
    assert tab.end == now.date().isoformat()
    today = tab.wa_days[-1]
    assert (today["sent"], today["received"], today["delivery_rate"], today["webhooks_delivered"],
            today["latency"]) == (4, 1, 50.0, 2, 1.5)
    assert tab.wa_totals["delivery_rate"] == "50%" and tab.wa_totals["latency"] == "1.5 s"
    assert tab.wa_instances == [{"id": shop, "name": "Shop", "sent": "4", "received": "1", "delivery_rate": "50%",
                                 "read_rate": "0%", "webhooks_delivered": "2", "webhooks_failed": "0",
                                 "latency": "1.5 s"}]
    assert tab.instance_options == [{"id": shop, "name": "Shop"}]
    assert tab.support_totals["conversations"] == "0" and tab.unanswered == []
    assert tab.whatsapp_csv == f"/api/analytics/whatsapp.csv?start={tab.start}&end={tab.end}"

    await AnalyticsState.choose_preset.fn(tab, "7")
    assert len(tab.wa_days) == 7 and tab.wa_days[-1]["sent"] == 4
    await AnalyticsState.choose_instance.fn(tab, shop)
    assert tab.instance_filter == shop and f"instanceId={shop}" in tab.whatsapp_csv
    await AnalyticsState.choose_instance.fn(tab, "all")
    assert tab.instance_filter == ""


async def test_a_custom_range_is_validated(database: str) -> None:
    tab, _ = await _tab("range@example.com")
    await AnalyticsState.load.fn(tab)
    await AnalyticsState.choose_preset.fn(tab, "custom")
    assert tab.preset == "custom" and tab.custom_start == tab.start
    today = utcnow().date()
    for start, end in (("2026-13-01", "2026-01-01"), (today.isoformat(), (today - timedelta(days=1)).isoformat()),
                       ((today - timedelta(days=400)).isoformat(), today.isoformat()),
                       (today.isoformat(), (today + timedelta(days=1)).isoformat())):
        await AnalyticsState.apply_custom.fn(tab, {"start": start, "end": end})
        assert tab.error == ERROR_RANGE and len(tab.wa_days) == 30, (start, end)
    first = today - timedelta(days=2)
    await AnalyticsState.apply_custom.fn(tab, {"start": first.isoformat(), "end": today.isoformat()})
    assert tab.error == "" and [d["date"] for d in tab.wa_days] == [
        (first + timedelta(days=n)).isoformat() for n in range(3)]


async def test_another_organizations_instance_is_not_found(database: str) -> None:
    tab, _ = await _tab("mine@example.com")
    other_org, _ = await signed_in_owner("theirs@example.com")
    theirs = await add_instance(other_org, "Their secret shop")
    await AnalyticsState.load.fn(tab)
    await AnalyticsState.choose_instance.fn(tab, theirs)
    assert tab.error == ERROR_INSTANCE and tab.instance_filter == ""
    assert "Their secret shop" not in str(tab.wa_instances) + str(tab.instance_options)


async def test_the_live_feed_reloads_at_most_once_a_minute(database: str) -> None:
    tab, org = await _tab("feed@example.com")
    shop = await add_instance(org, "Shop")
    await AnalyticsState.load.fn(tab)
    await add_usage(org, shop, utcnow().date(), messages_sent=3)
    await AnalyticsState.refresh.fn(tab)  # moments after the load: not yet
    assert tab.wa_totals["sent"] == "0"
    tab._loaded_at -= REFRESH_EVERY_S  # a minute later
    await AnalyticsState.refresh.fn(tab)
    assert tab.wa_totals["sent"] == "3"
