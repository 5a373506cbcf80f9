"""CSV export of the Analytics page: the signed-in member's cookie from our own pages only, the
range's daily rows, cells that would run as spreadsheet formulas neutralised, 404 for another
organization's instance, clear errors for bad ranges."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import httpx

from livchat.api.analytics import safe_cell
from livchat.core.db import db
from livchat.models.enums import MessageStatus
from livchat.services.accounts import auth
from tests.analytics.analytics_support import (
    add_instance,
    add_rows,
    add_usage,
    delivery,
    outbound,
)
from tests.support.desk_support import make_org

DAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _signed_in(user_id: str | None) -> dict[str, str]:
    async with db.session() as session:
        _, token = await auth.create_session(session, user_id)
        await session.commit()
    return {"Cookie": f"{auth.SESSION_COOKIE}={token}", "Sec-Fetch-Site": "same-origin"}


def _rows(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


def test_formula_cells_are_neutralised() -> None:
    assert [safe_cell(v) for v in ("=1+1", "+55", "-2", "@SUM(A1)", "\tx", "Shop", 3, None, -1)] == [
        "'=1+1", "'+55", "'-2", "'@SUM(A1)", "'\tx", "Shop", 3, "", -1]


async def test_whatsapp_csv(database: str, api: httpx.AsyncClient) -> None:
    org, other = await make_org(), await make_org("Other")
    shop = await add_instance(org.id, '=HYPERLINK("https://evil.example","x")')
    foreign = await add_instance(other.id, "Foreign")
    await add_usage(org.id, shop, DAY.date(), messages_sent=3, messages_received=2)
    await add_rows(outbound(org.id, shop, DAY, MessageStatus.READ), delivery(org.id, shop, DAY, 2.5))
    headers = await _signed_in(org.operator.user_id)
    query = {"start": "2026-03-01", "end": "2026-03-03"}
    response = await api.get("/api/analytics/whatsapp.csv", params=query, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="livchat-whatsapp-2026-03-01-2026-03-03.csv"'
    header, *rows = _rows(response)
    assert header[:5] == ["date", "instance_id", "instance", "sent", "received"]
    assert rows == [["2026-03-02", shop, "'=HYPERLINK(\"https://evil.example\",\"x\")", "3", "2", "1", "1", "1",
                     "1.0", "1.0", "0", "0", "2.5"]]
    one = await api.get("/api/analytics/whatsapp.csv", params={**query, "instanceId": shop}, headers=headers)
    assert len(_rows(one)) == 2
    theirs = await api.get("/api/analytics/whatsapp.csv", params={**query, "instanceId": foreign}, headers=headers)
    assert theirs.status_code == 404 and "Foreign" not in theirs.text


async def test_support_csv(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    headers = await _signed_in(org.owner.user_id)
    response = await api.get("/api/analytics/support.csv", params={"start": "2026-03-01", "end": "2026-03-02"},
                             headers=headers)
    assert response.status_code == 200
    assert 'filename="livchat-support-2026-03-01-2026-03-02.csv"' in response.headers["content-disposition"]
    assert _rows(response) == [["date", "conversations", "ai_answered", "ai_resolved", "escalated"],
                               ["2026-03-01", "0", "0", "0", "0"], ["2026-03-02", "0", "0", "0", "0"]]
    default = await api.get("/api/analytics/support.csv", headers=headers)  # the last 30 days
    assert len(_rows(default)) == 31


async def test_csv_needs_a_signed_in_member_on_our_pages(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    headers = await _signed_in(org.operator.user_id)
    for path in ("/api/analytics/whatsapp.csv", "/api/analytics/support.csv"):
        signed_out = await api.get(path, headers={"Sec-Fetch-Site": "same-origin"})
        assert signed_out.status_code == 401
        cross_site = await api.get(path, headers={**headers, "Sec-Fetch-Site": "cross-site"})
        assert cross_site.status_code == 403
        with_api_key = await api.get(path, headers=org.headers)
        assert with_api_key.status_code in (401, 403)


async def test_bad_ranges_are_clear_errors(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    headers = await _signed_in(org.operator.user_id)
    for query in ({"start": "2026-03-05", "end": "2026-03-01"}, {"start": "2020-01-01", "end": "2026-01-01"},
                  {"start": "yesterday"}):
        response = await api.get("/api/analytics/whatsapp.csv", params=query, headers=headers)
        assert response.status_code == 422, (query, response.text)
