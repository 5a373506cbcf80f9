"""`/api/analytics/*.csv`: the dashboard's Analytics page exports its daily rows as CSV, with the
browser session cookie (not part of the public API; the same member principal as api/inbox.py, so
only our own pages may ask — Reflex's CORS must not let another site read a member's figures).

Cells an office suite would run as a formula (starting with = + - @, tab or carriage return) are
prefixed with an apostrophe: instance names are the customer's own text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.responses import Response

from livchat.api.inbox import Member
from livchat.api.json_body import api_router
from livchat.core.db import db, utcnow
from livchat.services.analytics import support, whatsapp

router = api_router(prefix="/api/analytics", include_in_schema=False)
DEFAULT_DAYS = 30
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Start = Annotated[date | None, Query(description="First day (UTC), default 29 days before `end`.")]
End = Annotated[date | None, Query(description="Last day (UTC), default today.")]


def safe_cell(value: Any) -> Any:
    """A spreadsheet-safe cell: text that would start a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(rows: Iterable[list[Any]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or utcnow().date()
    return start or end - timedelta(days=DEFAULT_DAYS - 1), end


@router.get("/whatsapp.csv")
async def whatsapp_csv(actor: Member, start: Start = None, end: End = None,
                       instance_id: Annotated[str | None, Query(alias="instanceId")] = None) -> Response:
    """Per day and instance: the WhatsApp figures of the range (404 for another organization's instance)."""
    first, last = _range(start, end)
    async with db.session() as session:
        report = await whatsapp.whatsapp_analytics(session, actor, first, last, instance_id or None)
    return csv_response(whatsapp.csv_rows(report), f"livchat-whatsapp-{first}-{last}.csv")


@router.get("/support.csv")
async def support_csv(actor: Member, start: Start = None, end: End = None) -> Response:
    """Per day: conversations opened and what became of them."""
    first, last = _range(start, end)
    async with db.session() as session:
        report = await support.support_analytics(session, actor, first, last, limit=0)
    rows: list[list[Any]] = [["date", "conversations", "ai_answered", "ai_resolved", "escalated"]]
    rows += [[d.date.isoformat(), d.conversations, d.ai_answered, d.ai_resolved, d.escalated] for d in report.days]
    return csv_response(rows, f"livchat-support-{first}-{last}.csv")


def install(app: FastAPI) -> None:
    app.include_router(router)
