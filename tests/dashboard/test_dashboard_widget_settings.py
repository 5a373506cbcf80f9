"""The widget customization page: what it shows, saving (admins and owners only; bad values
refused with the translated error, nothing saved), the embed snippet, and the logo upload
route (cookie-checked, our own pages only, images only)."""

from __future__ import annotations

import httpx

from livchat.api.app import create_api
from livchat.core.db import db
from livchat.services.accounts import auth
from livchat.services.widget import customization
from livchat.state.widget_settings import WidgetSettingsState, csp_lines
from tests.accounts.accounts_support import tab_with_cookie
from tests.support.desk_support import PNG, Org, make_org

ROUTE = "/dashboard/widget"


async def cookie_of(user_id: str) -> str:
    async with db.session() as session:
        _, token = await auth.create_session(session, user_id)
        await session.commit()
    return f"{auth.SESSION_COOKIE}={token}"


async def page_of(org: Org, *, member: bool = False) -> WidgetSettingsState:
    actor = org.operator if member else org.owner
    tab = tab_with_cookie(WidgetSettingsState, await cookie_of(actor.user_id or ""), ROUTE)
    await WidgetSettingsState.load.fn(tab)
    return tab


async def public(org: Org):  # type: ignore[no-untyped-def]
    async with db.session() as session:
        return await customization.public_settings(session, org.id)


async def test_an_owner_edits_and_saves_and_the_widget_settings_follow(database: str) -> None:
    org = await make_org()
    page = await page_of(org)
    assert page.can_manage and page.greeting == "" and page.default_greeting == "Hi! How can we help you today?"
    assert f'data-organization-id="{org.id}"' in page.snippet and "/embed.js" in page.snippet
    assert page.csp.startswith("script-src ") and "frame-src " in page.csp

    WidgetSettingsState.set_greeting.fn(page, "Olá! Fale com a gente.")
    WidgetSettingsState.set_suggestions.fn(page, "Where is my order?\n\nReturns\n")
    WidgetSettingsState.set_primary_color.fn(page, "#ff0000")
    WidgetSettingsState.set_position.fn(page, "bottom-left")
    WidgetSettingsState.set_position.fn(page, "top-middle")  # not a position: ignored
    WidgetSettingsState.set_locale.fn(page, "pt-BR")
    WidgetSettingsState.set_allowed_origins.fn(page, "https://shop.example\n")
    await WidgetSettingsState.save.fn(page)
    assert page.error == "" and page.saved and 'data-position="bottom-left"' in page.snippet

    stored = await public(org)
    assert (stored.greeting, stored.suggestions, stored.primary_color, stored.position, stored.locale) == (
        "Olá! Fale com a gente.", ["Where is my order?", "Returns"], "#ff0000", "bottom-left", "pt-BR")


async def test_bad_values_are_refused_and_nothing_is_saved(database: str) -> None:
    org = await make_org()
    page = await page_of(org)
    WidgetSettingsState.set_greeting.fn(page, "Changed")
    WidgetSettingsState.set_primary_color.fn(page, "red")
    await WidgetSettingsState.save.fn(page)
    assert page.error == "widget.errors.invalid_color" and not page.saved
    WidgetSettingsState.set_primary_color.fn(page, "#00ff00")
    WidgetSettingsState.set_suggestions.fn(page, "a\nb\nc\nd")
    await WidgetSettingsState.save.fn(page)
    assert page.error == "widget.errors.too_many_suggestions"
    assert (await public(org)).greeting == "Hi! How can we help you today?"


async def test_a_member_sees_the_settings_but_cannot_save(database: str) -> None:
    org = await make_org()
    page = await page_of(org, member=True)
    assert not page.can_manage and page.primary_color.startswith("#")
    WidgetSettingsState.set_greeting.fn(page, "Member was here")
    await WidgetSettingsState.save.fn(page)
    assert page.error == "accounts.errors.insufficient_role"
    assert (await public(org)).greeting != "Member was here"


def test_the_csp_lines_name_the_public_address() -> None:
    assert csp_lines("https://chat.example/") == "script-src https://chat.example;\nframe-src https://chat.example;"


async def test_the_logo_goes_through_the_cookie_route_only(database: str) -> None:
    org = await make_org()
    owner, member = await cookie_of(org.owner.user_id or ""), await cookie_of(org.operator.user_id or "")
    same_site = {"Sec-Fetch-Site": "same-origin"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()), base_url="http://testserver") as c:
        files = {"file": ("logo.png", PNG, "image/png")}
        refused = await c.post("/api/inbox/widget/logo", files=files, headers={"Cookie": member, **same_site})
        assert refused.status_code == 403
        cross = await c.post("/api/inbox/widget/logo", files=files,
                             headers={"Cookie": owner, "Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403
        svg = await c.post("/api/inbox/widget/logo", files={"file": ("logo.svg", b"<svg onload=alert(1)>",
                                                                     "image/svg+xml")},
                           headers={"Cookie": owner, **same_site})
        assert svg.status_code == 415
        assert (await public(org)).logo_url is None
        done = await c.post("/api/inbox/widget/logo", files=files, headers={"Cookie": owner, **same_site})
        assert done.status_code == 200 and "/api/widget/logo/" in done.json()["logoUrl"]
    page = await page_of(org)
    assert page.logo_url == done.json()["logoUrl"]
    await WidgetSettingsState.remove_logo.fn(page)
    assert page.logo_url == "" and (await public(org)).logo_url is None


def test_the_preview_header_text_reads_on_any_main_colour() -> None:
    from livchat.state.widget_settings import readable_on

    assert readable_on("#0d9488") == "#000000" and readable_on("#ffff00") == "#000000"
    assert readable_on("#aa2200") == "#ffffff" and readable_on("#000000") == "#ffffff"
    assert readable_on("nonsense") == "#ffffff"
