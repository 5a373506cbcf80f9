"""Dashboard → Analytics: usage today against the plan and the last 14 days."""

from __future__ import annotations

import reflex as rx

from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.models.enums import Plan
from livchat.state.feeds import OrgFeed, feed_watcher
from livchat.state.usage import UsageState

SECTION = Section("analytics", "chart-column")


def _stat(label_key: str, value: rx.Var, limit: rx.Var, element_id: str) -> rx.Component:
    return rx.card(rx.vstack(
        rx.text(t(label_key), size="2", color_scheme="gray"),
        rx.hstack(
            rx.heading(value.to(str), size="7"),
            rx.text("/", size="5", color_scheme="gray"),
            rx.cond(limit > 0, rx.text(limit.to(str), size="5"), rx.text(t("dashboard_whatsapp.usage.unlimited"),
                                                                         size="5")),
            align="baseline", spacing="2",
        ),
        rx.cond(limit > 0, rx.progress(value=(value * 100 / limit).to(int), max=100, width="100%")),
        spacing="2", width="100%",
    ), id=element_id, min_width="260px")


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
                spacing="4", wrap="wrap",
            ),
            rx.heading(t("dashboard_whatsapp.usage.last_days"), size="4"),
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell(t("dashboard_whatsapp.usage.day")),
                    rx.table.column_header_cell(t("dashboard_whatsapp.usage.sent")),
                    rx.table.column_header_cell(t("dashboard_whatsapp.usage.received")),
                    rx.table.column_header_cell(t("dashboard_whatsapp.usage.webhooks_delivered")),
                    rx.table.column_header_cell(t("dashboard_whatsapp.usage.webhooks_failed")),
                )),
                rx.table.body(rx.foreach(UsageState.days, lambda d: rx.table.row(
                    rx.table.cell(d["day"]), rx.table.cell(d["sent"]), rx.table.cell(d["received"]),
                    rx.table.cell(d["delivered"]), rx.table.cell(d["failed"]), class_name="usage-day",
                ))),
                width="100%", id="usage-days", size="1",
            ),
            spacing="4", width="100%",
        ),
    )


def register(app: rx.App) -> list[str]:
    app.add_page(usage_page, route=SECTION.route, title="LivChat — Usage", on_load=[OrgFeed.link, UsageState.load])
    return [SECTION.route]
