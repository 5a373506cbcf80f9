"""Widget customization: checked settings (colours, up to 3 suggestions, position, language,
allowed sites as CSP sources), admins only; the logo (PNG, JPEG or WebP; never SVG) served
publicly with caching; frame-ancestors from the allowed sites; the embed snippet."""

from __future__ import annotations

import httpx
import pytest

from livchat.core.db import db
from livchat.services.errors import InvalidInput, PermissionDenied
from livchat.services.usage.limits import reset_rate_limits
from livchat.services.widget import customization
from livchat.services.widget.customization import LogoTooLarge, UnsupportedLogoType
from livchat.services.widget.schemas import WidgetSettingsUpdate
from tests.support.desk_support import PNG, make_org

WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    reset_rate_limits()


async def test_admins_change_the_widget_and_visitors_see_it(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    async with db.session() as session:
        saved = await customization.update_settings(session, org.owner, WidgetSettingsUpdate(
            greet_message="  Olá! Em que podemos ajudar?\n ", suggestions=["Prazo de entrega?", " ", "Trocas"],
            primary_color="#1D4ED8", accent_color="#abc", position="bottom-left", locale="pt-BR",
            allowed_origins=["https://Shop.Example/", "shop.example:8443", "*.example.com", "", "https://shop.example"]))
        with pytest.raises(PermissionDenied):
            await customization.update_settings(session, org.operator, WidgetSettingsUpdate(locale="en"))
    assert saved.suggestions == ["Prazo de entrega?", "Trocas"] and saved.accent_color == "#aabbcc"
    assert saved.allowed_origins == ["https://shop.example", "shop.example:8443", "*.example.com"]
    public = (await api.get("/api/widget/settings", params={"organizationId": org.id})).json()
    assert public == {"organizationName": org.name, "greeting": "Olá! Em que podemos ajudar?",
                      "suggestions": ["Prazo de entrega?", "Trocas"], "primaryColor": "#1d4ed8",
                      "accentColor": "#aabbcc", "logoUrl": None, "position": "bottom-left", "locale": "pt-BR"}
    async with db.session() as session:
        await customization.update_settings(session, org.owner, WidgetSettingsUpdate(greet_message=""))
    default = (await api.get("/api/widget/settings", params={"organizationId": org.id})).json()
    assert default["greeting"] == "Olá! Como podemos ajudar você hoje?"  # the default, in the widget's language
    async with db.session() as session:  # the /widget page knows the visitor's: the default follows it
        english = await customization.public_settings(session, org.id, "en")
    assert (english.greeting, english.locale) == ("Hi! How can we help you today?", "pt-BR")


@pytest.mark.parametrize(("changes", "code"), [
    ({"primary_color": "red"}, "invalid_color"), ({"primary_color": "#12345"}, "invalid_color"),
    ({"accent_color": "#1234567"}, "invalid_color"),
    ({"suggestions": ["a", "b", "c", "d"]}, "too_many_suggestions"),
    ({"suggestions": ["x" * 121]}, "invalid_suggestion"), ({"suggestions": ["a\x00"]}, "invalid_suggestion"),
    ({"position": "top-left"}, "invalid_position"), ({"locale": "de"}, "invalid_locale"),
    ({"greet_message": "x" * 501}, "invalid_greeting"),
    ({"allowed_origins": ["https://shop.example/path"]}, "invalid_allowed_origin"),
    ({"allowed_origins": ["shop.example; script-src *"]}, "invalid_allowed_origin"),
    ({"allowed_origins": ["'unsafe-inline'"]}, "invalid_allowed_origin"),
    ({"allowed_origins": ["javascript://x"]}, "invalid_allowed_origin"),
    ({"allowed_origins": ["*.com"]}, "invalid_allowed_origin"), ({"allowed_origins": ["*"]}, "invalid_allowed_origin"),
    ({"allowed_origins": ["user@shop.example"]}, "invalid_allowed_origin"),
    ({"allowed_origins": ["shop.example:99999"]}, "invalid_allowed_origin"),
    ({"allowed_origins": [f"s{n}.example" for n in range(51)]}, "too_many_allowed_origins"),
])
async def test_bad_settings_are_refused_and_nothing_changes(database: str, changes: dict, code: str) -> None:
    org = await make_org()
    async with db.session() as session:
        with pytest.raises(InvalidInput, match=code):
            await customization.update_settings(session, org.owner, WidgetSettingsUpdate(
                **{"greet_message": "kept?", **changes}))
        assert (await customization.get_settings(session, org.operator)).greet_message == ""


def test_an_internationalised_host_becomes_its_ascii_form() -> None:
    assert customization.checked_origin("https://café.example") == "https://xn--caf-dma.example"


def test_frame_ancestors() -> None:
    assert customization.frame_ancestors([]) == "*"
    assert customization.frame_ancestors(["https://shop.example", "*.example.com"]) == \
        "'self' https://shop.example *.example.com"


async def test_frame_ancestors_for_an_organization(database: str) -> None:
    org = await make_org()
    async with db.session() as session:
        assert await customization.frame_ancestors_for(session, org.id) == "*"
        await customization.update_settings(session, org.owner, WidgetSettingsUpdate(
            allowed_origins=["https://shop.example"]))
        assert await customization.frame_ancestors_for(session, org.id) == "'self' https://shop.example"
        assert await customization.frame_ancestors_for(session, "org_\x00") == "*"


async def test_the_logo_is_an_image_served_publicly_and_cached(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    async with db.session() as session:
        for data, error in ((b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', UnsupportedLogoType),
                            (b"%PDF-1.4 not an image", UnsupportedLogoType),
                            (PNG + b"\x00" * customization.MAX_LOGO_BYTES, LogoTooLarge)):
            with pytest.raises(error):
                await customization.upload_logo(session, org.owner, data)
        with pytest.raises(PermissionDenied):
            await customization.upload_logo(session, org.operator, PNG)
        saved = await customization.upload_logo(session, org.owner, PNG)
    assert saved.logo_url and saved.logo_url.startswith("http") and f"/api/widget/logo/{org.id}?v=" in saved.logo_url
    public = (await api.get("/api/widget/settings", params={"organizationId": org.id})).json()
    assert public["logoUrl"] == saved.logo_url
    path = saved.logo_url.split("://", 1)[1].split("/", 1)[1]
    served = await api.get("/" + path)
    assert served.status_code == 200 and served.content == PNG and served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff" and "max-age" in served.headers["cache-control"]
    cached = await api.get("/" + path, headers={"If-None-Match": served.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""
    async with db.session() as session:
        replaced = await customization.upload_logo(session, org.owner, WEBP)
        assert replaced.logo_url != saved.logo_url
        assert (await api.get(f"/api/widget/logo/{org.id}")).headers["content-type"] == "image/webp"
        await customization.remove_logo(session, org.owner)
    gone = await api.get(f"/api/widget/logo/{org.id}")
    assert gone.status_code == 404 and gone.json()["code"] == "logo_not_found"
    assert (await api.get("/api/widget/logo/org_%00")).status_code == 404


def test_the_embed_snippet_names_the_organization() -> None:
    snippet = customization.embed_snippet("org_01abc", "bottom-left", "pt-BR", "#0d9488")
    assert snippet.startswith("<script async src=") and snippet.endswith("></script>")
    assert 'data-organization-id="org_01abc"' in snippet and 'data-position="bottom-left"' in snippet
    assert 'data-locale="pt-BR"' in snippet and 'data-color="#0d9488"' in snippet and "/embed.js" in snippet


async def test_the_widget_page_may_be_framed_only_by_the_allowed_sites(database: str, api: httpx.AsyncClient) -> None:
    org = await make_org()
    page = f"/widget?organizationId={org.id}"
    assert (await api.get(page)).headers["content-security-policy"] == "frame-ancestors *"
    async with db.session() as session:
        await customization.update_settings(session, org.owner, WidgetSettingsUpdate(
            allowed_origins=["https://shop.example", "*.example.com"]))
    framed = await api.get(page)
    assert framed.headers["content-security-policy"] == "frame-ancestors 'self' https://shop.example *.example.com"
    assert "x-frame-options" not in framed.headers
    assert (await api.get("/widget?organizationId=org_%00")).headers["content-security-policy"] == "frame-ancestors *"
    assert (await api.get("/dashboard")).headers["content-security-policy"] == "frame-ancestors 'self'"
