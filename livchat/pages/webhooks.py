"""Dashboard → Webhooks: one row per instance with its endpoint and its health (active, failing
since when, paused); configure it on the instance page."""

from __future__ import annotations

import reflex as rx

from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.components.status import status_badge
from livchat.components.table import Column, data_table
from livchat.components.time import local_time
from livchat.state.feeds import OrgFeed
from livchat.state.webhooks_overview import WebhooksOverviewState

SECTION = Section("webhooks", "webhook")


def _state(row: rx.Var) -> rx.Component:
    """The badge; under it since when it fails, or since when it is paused."""
    def since(key: str, value: rx.Var) -> rx.Component:
        return rx.text(t(key), " ", local_time(value), size="1", color_scheme="gray", class_name="webhook-since")

    return rx.vstack(
        status_badge(row["state"], "dashboard_whatsapp.webhooks"),
        rx.match(row["state"],
                 ("failing", since("dashboard_whatsapp.webhooks.failing_since", row["failing_since"])),
                 ("paused", rx.cond(row["paused_at"] != "",
                                    since("dashboard_whatsapp.webhooks.paused_since", row["paused_at"]))),
                 rx.fragment()),
        spacing="1",
    )


COLUMNS = [
    Column("dashboard_whatsapp.instances.name",
           lambda row: rx.link(row["name"], href="/dashboard/instances/" + row["id"])),
    Column("", lambda row: rx.cond(row["url"] != "", rx.code(row["url"], class_name="lc-wrap-anywhere"), "—"),
           label="URL"),
    Column("dashboard_whatsapp.webhooks.events", lambda row: row["events"]),
    Column("dashboard_whatsapp.instances.status", _state),
]


def webhooks_page() -> rx.Component:
    return dashboard_shell(
        SECTION.label_key,
        rx.vstack(
            rx.text(t("dashboard_whatsapp.webhooks.subtitle"), color_scheme="gray"),
            data_table(WebhooksOverviewState.endpoints, COLUMNS, table_id="webhooks-table",
                       row_class="webhook-overview-row", row_attrs=lambda row: {"data_state": row["state"]},
                       empty_key="dashboard_whatsapp.instances.empty"),
            spacing="4", width="100%",
        ),
    )


def register(app: rx.App) -> list[str]:
    app.add_page(webhooks_page, route=SECTION.route, title="LivChat — Webhooks",
                 on_load=[OrgFeed.link, WebhooksOverviewState.load])
    return [SECTION.route]
