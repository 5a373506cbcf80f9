"""Dashboard → Analytics: the WhatsApp and the support figures of a date range (UTC days).

Thin: the range and the instance filter live here; the figures come from services/analytics and
are kept as small, display-ready rows (numbers for the charts, formatted text for the tables and
cards). A year of days is at most 366 rows per tab.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from livchat.core.db import db, utcnow
from livchat.services.analytics import support, whatsapp
from livchat.services.analytics.schemas import WhatsAppFigures
from livchat.services.errors import InvalidInput, NotFound
from livchat.state.auth import AuthContext, authorized, current_context
from livchat.state.times import when

PRESETS = {"7": 7, "30": 30, "90": 90}
DEFAULT_PRESET = "30"
TABS = ("whatsapp", "support")
MAX_DAYS = 366
UNANSWERED_SHOWN = 20
# The live feed moves on every message; a year of figures costs the database seconds, so a tab
# follows the feed at most this often (the figures are per day: a minute late is still right).
REFRESH_EVERY_S = 60.0
ERROR_RANGE = "analytics.errors.invalid_range"
ERROR_INSTANCE = "analytics.errors.instance_not_found"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%".replace(".0%", "%")


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} s" if value < 60 else f"{value / 60:.1f} min"


def parse_range(start: str, end: str) -> tuple[date, date] | None:
    """A custom range from the form: ISO dates, start ≤ end, at most a year, not after today (UTC)."""
    try:
        first, last = date.fromisoformat(start.strip()), date.fromisoformat(end.strip())
    except ValueError:
        return None
    if first > last or (last - first).days >= MAX_DAYS or last > utcnow().date():
        return None
    return first, last


def _figures(f: WhatsAppFigures) -> dict[str, str]:
    return {"sent": str(f.sent), "received": str(f.received), "delivery_rate": percent(f.delivery_rate),
            "read_rate": percent(f.read_rate), "webhooks_delivered": str(f.webhooks_delivered),
            "webhooks_failed": str(f.webhooks_failed), "latency": seconds(f.median_webhook_latency_seconds)}


def _chart_number(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


class AnalyticsState(rx.State):
    tab: str = "whatsapp"
    preset: str = DEFAULT_PRESET
    start: str = ""
    end: str = ""
    custom_start: str = ""
    custom_end: str = ""
    instance_filter: str = ""  # "" for every instance
    instance_options: list[dict[str, str]] = []
    error: str = ""
    wa_days: list[dict[str, Any]] = []  # numbers for the charts, per day
    wa_table: list[dict[str, str]] = []  # the same days as text
    wa_instances: list[dict[str, str]] = []
    wa_totals: dict[str, str] = {}
    support_days: list[dict[str, Any]] = []
    support_totals: dict[str, str] = {}
    unanswered: list[dict[str, str]] = []
    _loaded_at: float = 0.0  # time.monotonic() of the last reload

    @rx.var
    def whatsapp_csv(self) -> str:
        query = {"start": self.start, "end": self.end, **({"instanceId": self.instance_filter}
                                                          if self.instance_filter else {})}
        return "/api/analytics/whatsapp.csv?" + urlencode(query)

    @rx.var
    def support_csv(self) -> str:
        return "/api/analytics/support.csv?" + urlencode({"start": self.start, "end": self.end})

    @rx.event
    @authorized
    async def load(self) -> None:
        if not self.start:
            self._use_preset(DEFAULT_PRESET)
        await self._reload(await current_context(self))

    @rx.event
    @authorized
    async def refresh(self) -> None:
        """The live feed moved: the same range again, unless it was loaded moments ago."""
        ctx = await current_context(self)
        if time.monotonic() - self._loaded_at >= REFRESH_EVERY_S:
            await self._reload(ctx)

    @rx.event
    def set_tab(self, tab: str) -> None:
        if tab in TABS:
            self.tab = tab

    @rx.event
    @authorized
    async def choose_preset(self, preset: str) -> None:
        if preset == "custom":
            self.preset, self.custom_start, self.custom_end = "custom", self.start, self.end
            return
        if preset not in PRESETS:
            return
        self._use_preset(preset)
        await self._reload(await current_context(self))

    @rx.event
    @authorized
    async def apply_custom(self, form: dict[str, Any]) -> None:
        chosen = parse_range(str(form.get("start") or ""), str(form.get("end") or ""))
        self.custom_start, self.custom_end = str(form.get("start") or ""), str(form.get("end") or "")
        if chosen is None:
            self.error = ERROR_RANGE
            return
        self.start, self.end = chosen[0].isoformat(), chosen[1].isoformat()
        await self._reload(await current_context(self))

    @rx.event
    @authorized
    async def choose_instance(self, instance_id: str) -> None:
        """The WhatsApp tab for one instance ("all" for every one); another organization's id is not found."""
        instance_id = "" if instance_id == "all" else instance_id
        if await self._whatsapp(await current_context(self), instance_id):
            self.instance_filter = instance_id

    def _use_preset(self, preset: str) -> None:
        today = utcnow().date()
        self.preset = preset
        self.start, self.end = (today - timedelta(days=PRESETS[preset] - 1)).isoformat(), today.isoformat()

    async def _reload(self, ctx: AuthContext) -> None:
        self._loaded_at = time.monotonic()
        # Both tabs at once, on connections of their own: the page waits for the slower one.
        found, _ = await asyncio.gather(self._whatsapp(ctx, self.instance_filter), self._support(ctx))
        if not found:
            self.instance_filter = ""  # the instance is gone: back to all of them
            await self._whatsapp(ctx, "")

    async def _whatsapp(self, ctx: AuthContext, instance_id: str) -> bool:
        first, last = date.fromisoformat(self.start), date.fromisoformat(self.end)
        try:
            async with db.session() as session:
                report = await whatsapp.whatsapp_analytics(session, ctx.actor, first, last, instance_id or None,
                                                           with_rows=False)
                names = await whatsapp.instance_names(session, ctx.actor)
        except NotFound:
            self.error = ERROR_INSTANCE
            return False
        except InvalidInput:
            self.error = ERROR_RANGE
            return False
        self.instance_options = [{"id": k, "name": v} for k, v in sorted(names.items(), key=lambda kv: kv[1].lower())]
        self.wa_days = [{"date": d.date.isoformat(), "day": d.date.strftime("%m-%d"), "sent": d.sent, "received": d.received,
                         "delivery_rate": _chart_number(d.delivery_rate), "read_rate": _chart_number(d.read_rate),
                         "webhooks_delivered": d.webhooks_delivered, "webhooks_failed": d.webhooks_failed,
                         "latency": d.median_webhook_latency_seconds} for d in report.days]
        self.wa_table = [{"date": d.date.isoformat(), **_figures(d)} for d in report.days]
        self.wa_instances = [{"id": i.instance_id, "name": i.name, **_figures(i)} for i in report.instances]
        self.wa_totals = _figures(report.totals)
        self.error = ""
        return True

    async def _support(self, ctx: AuthContext) -> None:
        async with db.session() as session:
            report = await support.support_analytics(session, ctx.actor, date.fromisoformat(self.start),
                                                     date.fromisoformat(self.end), limit=UNANSWERED_SHOWN)
        self.support_days = [{"date": d.date.isoformat(), "day": d.date.strftime("%m-%d"),
                              "conversations": d.conversations, "ai_answered": d.ai_answered,
                              "ai_resolved": d.ai_resolved, "escalated": d.escalated,
                              # the rest of the day's conversations, stacked on the chart above the two
                              "others": d.conversations - d.ai_resolved - d.escalated}
                             for d in report.days]
        totals = report.totals
        self.support_totals = {"conversations": str(totals.conversations),
                               "ai_resolution_rate": percent(totals.ai_resolution_rate),
                               "handoff_rate": percent(totals.handoff_rate),
                               "median_first_answer": seconds(totals.median_first_answer_seconds)}
        self.unanswered = [{"question": g.question, "count": str(g.count), "last": when(g.last_asked_at)}
                           for g in report.top_unanswered]
