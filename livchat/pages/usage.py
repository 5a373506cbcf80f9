"""Dashboard → Analytics: usage today against the plan and the last 14 days."""

from __future__ import annotations

import reflex as rx

from livchat.components.errors import PRICING
from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.components.table import Column, data_table
from livchat.models.enums import Plan
from livchat.state.feeds import OrgFeed, feed_watcher
from livchat.state.usage import UsageState

SECTION = Section("analytics", "chart-column")


def _stat(label_key: str, value: rx.Var, limit: rx.Var, element_id: str) -> rx.Component:
    return rx.card(rx.vstack(
        rx.text(t(label_key), size="2", color_scheme="gray"),
        rx.hstack(
            rx.text(value.to(str), size="7", weight="bold"),
            rx.text("/", size="5", color_scheme="gray"),
            rx.cond(limit > 0, rx.text(limit.to(str), size="5"), rx.text(t("dashboard_whatsapp.usage.unlimited"),
                                                                         size="5")),
            align="baseline", spacing="2",
        ),
        rx.cond(limit > 0, rx.progress(value=(value * 100 / limit).to(int), max=100, width="100%",
                                       aria_label=t(label_key))),
        spacing="2", width="100%",
    ), id=element_id, min_width=rx.breakpoints(initial="0", sm="260px"), width=rx.breakpoints(initial="100%", sm="auto"))


DAY_COLUMNS = [
    Column("dashboard_whatsapp.usage.day", lambda d: d["day"]),
    Column("dashboard_whatsapp.usage.sent", lambda d: d["sent"]),
    Column("dashboard_whatsapp.usage.received", lambda d: d["received"]),
    Column("dashboard_whatsapp.usage.webhooks_delivered", lambda d: d["delivered"]),
    Column("dashboard_whatsapp.usage.webhooks_failed", lambda d: d["failed"]),
]


def _instances_limit() -> rx.Component:
    """At the plan's instance limit: the way to more (the plans; billing comes later)."""
    return rx.cond(
        (UsageState.instances_allowed > 0) & (UsageState.instances_used >= UsageState.instances_allowed),
        rx.link(t("shell.plans.more_instances"), href=PRICING, size="2", id="usage-upgrade"),
    )


def usage_page() -> rx.Component:
    return dashboard_shell(
        SECTION.label_key,
        rx.vstack(
            feed_watcher(UsageState.refresh),
            rx.text(t("dashboard_whatsapp.usage.plan"), ": ", rx.badge(rx.match(
                UsageState.plan, *[(p.value, t(f"dashboard_whatsapp.plan.{p.value}")) for p in Plan], UsageState.plan,
            ), id="usage-plan"), color_scheme="gray"),
            rx.hstack(
                _stat("dashboard_whatsapp.usage.sent_today", UsageState.sent_today, UsageState.daily_limit,
                      "usage-messages"),
                _stat("dashboard_whatsapp.usage.instances", UsageState.instances_used, UsageState.instances_allowed,
                      "usage-instances"),
                spacing="4", wrap="wrap", width="100%",
            ),
            _instances_limit(),
            rx.heading(t("dashboard_whatsapp.usage.last_days"), as_="h2", size="4"),
            data_table(UsageState.days, DAY_COLUMNS, table_id="usage-days", row_class="usage-day", size="1"),
            spacing="4", width="100%",
        ),
    )


def register(app: rx.App) -> list[str]:
    app.add_page(usage_page, route=SECTION.route, title="LivChat — Usage", on_load=[OrgFeed.link, UsageState.load])
    return [SECTION.route]
