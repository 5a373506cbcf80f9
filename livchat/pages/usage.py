"""Dashboard → Analytics: today's usage against the plan, then two tabs over a date range — WhatsApp
(messages, delivered/read rates, webhooks, latency; per day and per instance) and Support
(conversations, AI resolution and handoffs, unanswered questions) — as charts, summary cards and
tables, with CSV exports.

Charts are recharts SVGs, which screen readers cannot read: each sits in a <figure> whose caption
names it, is exposed as one image with that name, and is followed by the same numbers as a table
(a <details>). Colours are the theme's CSS variables, so the charts follow light and dark mode.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from livchat.components.errors import UPGRADE_PAGE, error_box
from livchat.components.forms import labelled
from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.components.table import Column, data_table
from livchat.components.time import local_time
from livchat.models.enums import Plan
from livchat.state.analytics import PRESETS, AnalyticsState
from livchat.state.feeds import OrgFeed, feed_watcher
from livchat.state.usage import UsageState

SECTION = Section("analytics", "chart-column")
KNOWLEDGE = "/dashboard/knowledge"
S = AnalyticsState

# Series colours: the theme's step-9 shades, readable on light and dark backgrounds.
BLUE, GREEN, AMBER, RED, VIOLET = "var(--blue-9)", "var(--grass-9)", "var(--amber-9)", "var(--red-9)", "var(--violet-9)"
_AXIS = {"stroke": "var(--gray-8)", "tick": {"fill": "var(--gray-11)", "fontSize": 12}}
_TOOLTIP = {"content_style": {"backgroundColor": "var(--color-panel-solid)", "border": "1px solid var(--gray-a6)",
                              "borderRadius": "6px", "color": "var(--gray-12)"},
            "label_style": {"color": "var(--gray-12)"}}


# --- today's usage against the plan ---------------------------------------------------------------

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


def _usage_today() -> rx.Component:
    return rx.vstack(
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
        rx.cond(  # at the plan's instance limit: the way to more
            (UsageState.instances_allowed > 0) & (UsageState.instances_used >= UsageState.instances_allowed),
            rx.link(t("shell.plans.more_instances"), href=UPGRADE_PAGE, size="2", id="usage-upgrade"),
        ),
        spacing="3", width="100%",
    )


# --- shared pieces --------------------------------------------------------------------------------

def _card(label_key: str, value: rx.Var, element_id: str) -> rx.Component:
    return rx.card(rx.vstack(
        rx.text(t(label_key), size="2", color_scheme="gray"),
        rx.text(value, size="6", weight="bold", class_name="analytics-figure"),
        spacing="1",
    ), id=element_id, width="100%")


def _cards(*cards: rx.Component, element_id: str) -> rx.Component:
    return rx.grid(*cards, columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%", id=element_id)


def _chart(kind: Any, series: Any, data: rx.Var, *, unit: str = "") -> rx.Component:
    """A chart of `series` (recharts elements) over the days of `data` (x axis: `day`)."""
    return kind(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", stroke="var(--gray-a5)"),
        rx.recharts.x_axis(data_key="day", **_AXIS),
        rx.recharts.y_axis(allow_decimals=False, width=44, unit=unit, **_AXIS),
        rx.recharts.graphing_tooltip(**_TOOLTIP),
        rx.recharts.legend(),
        *series,
        data=data, width="100%", height=240,
        margin={"top": 8, "right": 8, "left": 0, "bottom": 0},
        # Recharts' own keyboard layer would make the SVG focusable inside an image: the table is the alternative.
        custom_attrs={"accessibilityLayer": False},
    )


def _figure(caption_key: str, chart: rx.Component, element_id: str) -> rx.Component:
    return rx.el.figure(
        rx.el.figcaption(rx.text(t(caption_key), size="3", weight="medium")),
        rx.box(chart, role="img", aria_label=t(caption_key), width="100%", height="240px", class_name="lc-chart"),
        id=element_id, margin="0", width="100%",
    )


def _numbers(table: rx.Component, element_id: str) -> rx.Component:
    """The charts' numbers as a table (their text alternative), folded away."""
    return rx.el.details(rx.el.summary(rx.text(t("analytics.table.show"), size="2", as_="span")), table,
                         id=element_id, width="100%")


def _csv_link(href: rx.Var, element_id: str) -> rx.Component:
    """Downloads the CSV in the browser (a plain GET of the cookie-authenticated route; the server
    names the file)."""
    return rx.button(rx.icon("download", size=14), t("analytics.export"), on_click=rx.download(url=href),
                     id=element_id, variant="soft", size="2")


# --- the range and the instance filter ------------------------------------------------------------

def _range_controls() -> rx.Component:
    preset = rx.select.root(
        rx.select.trigger(id="range-preset", aria_label=t("analytics.range.label")),
        rx.select.content(*[rx.select.item(t(f"analytics.range.{p}"), value=p) for p in [*PRESETS, "custom"]]),
        value=S.preset, on_change=S.choose_preset,
    )
    custom = rx.form(
        rx.hstack(
            labelled("analytics.range.from", rx.input(type="date", name="start", id="range-start",
                                                       default_value=S.custom_start, key=S.custom_start), "range-start"),
            labelled("analytics.range.to", rx.input(type="date", name="end", id="range-end",
                                                     default_value=S.custom_end, key=S.custom_end), "range-end"),
            rx.button(t("analytics.range.apply"), type="submit", id="range-apply"),
            align="end", spacing="3", wrap="wrap",
        ),
        on_submit=S.apply_custom, id="range-form",
    )
    return rx.vstack(
        rx.hstack(rx.text(t("analytics.range.label"), size="2", weight="medium", as_="span"), preset,
                  rx.text(S.start, " → ", S.end, size="2", color_scheme="gray", id="range-shown"),
                  align="center", spacing="3", wrap="wrap"),
        rx.cond(S.preset == "custom", custom),
        rx.text(t("analytics.range.utc"), size="1", color_scheme="gray"),
        spacing="2", width="100%",
    )


def _instance_filter() -> rx.Component:
    return rx.hstack(
        rx.text(t("analytics.instance.label"), size="2", weight="medium", as_="span"),
        rx.select.root(
            rx.select.trigger(id="instance-filter", aria_label=t("analytics.instance.label")),
            rx.select.content(
                rx.select.item(t("analytics.instance.all"), value="all"),
                rx.foreach(S.instance_options, lambda o: rx.select.item(o["name"], value=o["id"])),
            ),
            value=rx.cond(S.instance_filter == "", "all", S.instance_filter), on_change=S.choose_instance,
        ),
        align="center", spacing="3", wrap="wrap",
    )


# --- WhatsApp -------------------------------------------------------------------------------------

def _wa_columns(first: Column) -> list[Column]:
    return [first, *[Column(f"analytics.wa.{k}", lambda r, k=k: r[k]) for k in (
        "sent", "received", "delivery_rate", "read_rate", "webhooks_delivered", "webhooks_failed", "latency")]]


DAY_COLUMNS = _wa_columns(Column("analytics.day", lambda r: r["date"]))
INSTANCE_COLUMNS = _wa_columns(Column("analytics.wa.instance",
                                      lambda r: rx.link(r["name"], href="/dashboard/instances/" + r["id"])))


def _whatsapp_tab() -> rx.Component:
    totals = S.wa_totals
    line = rx.recharts.line
    return rx.vstack(
        rx.hstack(_instance_filter(), rx.spacer(), _csv_link(S.whatsapp_csv, "whatsapp-csv"), width="100%",
                  align="center", wrap="wrap"),
        _cards(
            _card("analytics.wa.sent", totals["sent"], "wa-sent"),
            _card("analytics.wa.received", totals["received"], "wa-received"),
            _card("analytics.wa.delivery_rate", totals["delivery_rate"], "wa-delivery-rate"),
            _card("analytics.wa.read_rate", totals["read_rate"], "wa-read-rate"),
            _card("analytics.wa.webhooks_delivered", totals["webhooks_delivered"], "wa-webhooks-delivered"),
            _card("analytics.wa.webhooks_failed", totals["webhooks_failed"], "wa-webhooks-failed"),
            _card("analytics.wa.latency", totals["latency"], "wa-latency"),
            element_id="wa-cards",
        ),
        _figure("analytics.wa.chart_messages", _chart(rx.recharts.area_chart, [
            rx.recharts.area(data_key="sent", name=t("analytics.wa.sent"), stroke=BLUE, fill=BLUE, fill_opacity=0.2),
            rx.recharts.area(data_key="received", name=t("analytics.wa.received"), stroke=GREEN, fill=GREEN,
                             fill_opacity=0.2),
        ], S.wa_days), "wa-chart-messages"),
        _figure("analytics.wa.chart_rates", _chart(rx.recharts.line_chart, [
            line(data_key="delivery_rate", name=t("analytics.wa.delivery_rate"), stroke=VIOLET, dot=False,
                 connect_nulls=True),
            line(data_key="read_rate", name=t("analytics.wa.read_rate"), stroke=AMBER, dot=False, connect_nulls=True),
        ], S.wa_days, unit="%"), "wa-chart-rates"),
        _figure("analytics.wa.chart_webhooks", _chart(rx.recharts.bar_chart, [
            rx.recharts.bar(data_key="webhooks_delivered", name=t("analytics.wa.webhooks_delivered"), fill=GREEN,
                            stack_id="hooks"),
            rx.recharts.bar(data_key="webhooks_failed", name=t("analytics.wa.webhooks_failed"), fill=RED,
                            stack_id="hooks"),
        ], S.wa_days), "wa-chart-webhooks"),
        _numbers(data_table(S.wa_table, DAY_COLUMNS, table_id="wa-days", row_class="wa-day", size="1"), "wa-numbers"),
        rx.heading(t("analytics.wa.by_instance"), as_="h2", size="4"),
        data_table(S.wa_instances, INSTANCE_COLUMNS, table_id="wa-instances", row_class="wa-instance", size="1",
                   empty_key="dashboard_whatsapp.instances.empty"),
        spacing="4", width="100%",
    )


# --- Support --------------------------------------------------------------------------------------

SUPPORT_COLUMNS = [Column("analytics.day", lambda r: r["date"]),
                   Column("agent.analytics.conversations", lambda r: r["conversations"]),
                   *[Column(f"analytics.support.{k}", lambda r, k=k: r[k])
                     for k in ("ai_answered", "ai_resolved", "escalated")]]


def _unanswered() -> rx.Component:
    def question(q: rx.Var) -> rx.Component:
        return rx.el.li(rx.vstack(
            rx.text(q["question"], weight="medium", class_name="lc-wrap-anywhere"),  # the visitor's words: text only
            rx.text(t("analytics.support.times_asked"), " ", q["count"], "× · ", t("analytics.support.last_asked"), " ",
                    local_time(q["last"]), size="1", color_scheme="gray"),
            spacing="1",
        ), class_name="unanswered-question", padding_block="6px")

    return rx.vstack(
        rx.heading(t("agent.analytics.unanswered"), as_="h2", size="4"),
        rx.cond(S.unanswered.length() > 0,
                rx.el.ul(rx.foreach(S.unanswered, question), id="unanswered-list", margin="0", padding_left="20px"),
                rx.text(t("analytics.support.none_unanswered"), color_scheme="gray", id="unanswered-empty")),
        rx.link(t("analytics.support.to_knowledge"), href=KNOWLEDGE, id="to-knowledge", size="2", weight="medium"),
        spacing="2", width="100%",
    )


def _support_tab() -> rx.Component:
    totals = S.support_totals
    bar = rx.recharts.bar
    return rx.vstack(
        rx.hstack(rx.spacer(), _csv_link(S.support_csv, "support-csv"), width="100%"),
        _cards(
            _card("agent.analytics.conversations", totals["conversations"], "support-conversations"),
            _card("agent.analytics.ai_resolution_rate", totals["ai_resolution_rate"], "support-ai-resolution"),
            _card("agent.analytics.handoff_rate", totals["handoff_rate"], "support-handoff"),
            _card("agent.analytics.median_first_answer", totals["median_first_answer"], "support-first-answer"),
            element_id="support-cards",
        ),
        _figure("analytics.support.chart_conversations", _chart(rx.recharts.bar_chart, [
            bar(data_key="ai_resolved", name=t("analytics.support.ai_resolved"), fill=GREEN, stack_id="c"),
            bar(data_key="escalated", name=t("analytics.support.escalated"), fill=AMBER, stack_id="c"),
            bar(data_key="others", name=t("agent.analytics.conversations"), fill=BLUE, stack_id="c"),
        ], S.support_days), "support-chart"),
        _numbers(data_table(S.support_days, SUPPORT_COLUMNS, table_id="support-days", row_class="support-day",
                            size="1"), "support-numbers"),
        _unanswered(),
        spacing="4", width="100%",
    )


def usage_page() -> rx.Component:
    return dashboard_shell(
        SECTION.label_key,
        rx.vstack(
            feed_watcher([UsageState.refresh, S.refresh]),
            _usage_today(),
            _range_controls(),
            error_box(S.error, element_id="analytics-error"),
            rx.tabs.root(
                rx.tabs.list(
                    rx.tabs.trigger(t("analytics.tabs.whatsapp"), value="whatsapp", id="tab-whatsapp"),
                    rx.tabs.trigger(t("analytics.tabs.support"), value="support", id="tab-support"),
                    aria_label=t("analytics.tabs.label"),
                ),
                rx.tabs.content(_whatsapp_tab(), value="whatsapp", padding_top="16px"),
                rx.tabs.content(_support_tab(), value="support", padding_top="16px"),
                value=S.tab, on_change=S.set_tab, width="100%",
            ),
            spacing="5", width="100%",
        ),
    )


def register(app: rx.App) -> list[str]:
    app.add_page(usage_page, route=SECTION.route, title="LivChat — Analytics",
                 on_load=[OrgFeed.link, UsageState.load, AnalyticsState.load])
    return [SECTION.route]
