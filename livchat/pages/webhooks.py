"""Dashboard → Webhooks: one row per instance with its endpoint; configure it on the instance page."""

from __future__ import annotations

import reflex as rx

from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.state.feeds import OrgFeed
from livchat.state.webhooks_overview import WebhooksOverviewState

SECTION = Section("webhooks", "webhook")
STATE_COLORS = {"active": "green", "paused": "amber", "none": "gray"}


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["name"], href="/dashboard/instances/" + row["id"])),
        rx.table.cell(rx.cond(row["url"] != "", rx.code(row["url"]), "—")),
        rx.table.cell(row["events"]),
        rx.table.cell(rx.match(row["state"], *[
            (name, rx.badge(t(f"dashboard_whatsapp.webhooks.{name}"), color_scheme=color))
            for name, color in STATE_COLORS.items()])),
        class_name="webhook-overview-row",
    )


def webhooks_page() -> rx.Component:
    return dashboard_shell(
        SECTION.label_key,
        rx.vstack(
            rx.text(t("dashboard_whatsapp.webhooks.subtitle"), color_scheme="gray"),
            rx.cond(
                WebhooksOverviewState.endpoints.length() > 0,  # type: ignore[attr-defined]
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell(t("dashboard_whatsapp.instances.name")),
                        rx.table.column_header_cell("URL"),
                        rx.table.column_header_cell(t("dashboard_whatsapp.webhooks.events")),
                        rx.table.column_header_cell(t("dashboard_whatsapp.instances.status")),
                    )),
                    rx.table.body(rx.foreach(WebhooksOverviewState.endpoints, _row)),
                    width="100%", id="webhooks-table",
                ),
                rx.text(t("dashboard_whatsapp.instances.empty"), color_scheme="gray"),
            ),
            spacing="4", width="100%",
        ),
    )


def register(app: rx.App) -> list[str]:
    app.add_page(webhooks_page, route=SECTION.route, title="LivChat — Webhooks",
                 on_load=[OrgFeed.link, WebhooksOverviewState.load])
    return [SECTION.route]
