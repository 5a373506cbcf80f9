"""Dashboard → Widget: the widget's greeting, suggestions, colours, logo, position, language and
allowed sites (services/widget/customization.py). Every member sees them; saving needs
`manage_widget` (admins and owners), checked by the service. The form's values live in the tab
while they are edited, so the preview beside the form follows each keystroke.
"""

from __future__ import annotations

import re

import reflex as rx

from livchat.core.db import db
from livchat.core.settings import get_settings
from livchat.i18n import LANGUAGES, translate
from livchat.models.enums import WidgetPosition
from livchat.services.errors import ServiceError
from livchat.services.widget import customization
from livchat.services.widget.schemas import WidgetSettingsOut, WidgetSettingsUpdate
from livchat.state.auth import authorized, current_context
from livchat.state.inbox import error_key

POSITIONS = tuple(str(p) for p in WidgetPosition)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def readable_on(color: str) -> str:
    """White or black, whichever reads better on `color` (#rrggbb; WCAG relative luminance): one of
    the two always reaches 4.5:1."""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", color or ""):
        return "#ffffff"
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    luminance = 0.2126 * channel(color[1:3]) + 0.7152 * channel(color[3:5]) + 0.0722 * channel(color[5:7])
    on_white = 1.05 / (luminance + 0.05)
    on_black = (luminance + 0.05) / 0.05
    return "#ffffff" if on_white >= on_black else "#000000"


def csp_lines(base_url: str) -> str:
    """What a host page's Content-Security-Policy must allow (embed_widget/README.md)."""
    base = base_url.rstrip("/")
    return f"script-src {base};\nframe-src {base};"


class WidgetSettingsState(rx.State):
    organization_name: str = ""
    greeting: str = ""
    default_greeting: str = ""
    suggestions: str = ""  # one per line
    primary_color: str = "#0d9488"
    accent_color: str = "#0f766e"
    position: str = "bottom-right"
    locale: str = "en"
    allowed_origins: str = ""  # one per line
    logo_url: str = ""
    snippet: str = ""
    csp: str = ""
    can_manage: bool = False
    saved: bool = False
    error: str = ""

    @rx.var
    def on_primary(self) -> str:
        """The preview header's text colour on the main colour."""
        return readable_on(self.primary_color)

    def _show(self, organization_id: str, found: WidgetSettingsOut) -> None:
        self.organization_name = found.organization_name
        self.greeting = found.greet_message
        self.default_greeting = translate(customization.DEFAULT_GREETING, found.locale)
        self.suggestions = "\n".join(found.suggestions)
        self.primary_color, self.accent_color = found.primary_color, found.accent_color
        self.position, self.locale = found.position, found.locale
        self.allowed_origins = "\n".join(found.allowed_origins)
        self.logo_url = found.logo_url or ""
        self.snippet = customization.embed_snippet(organization_id, found.position)
        self.csp = csp_lines(get_settings().public_url)

    @rx.event
    @authorized
    async def load(self) -> None:
        ctx = await current_context(self)
        self.error, self.saved = "", False
        self.can_manage = ctx.can("manage_widget")
        async with db.session() as session:
            found = await customization.get_settings(session, ctx.actor)
        self._show(ctx.organization.id, found)

    @rx.event
    @authorized
    async def reload(self) -> None:
        """After a logo upload (a plain HTTP request): show what is stored now."""
        ctx = await current_context(self)
        async with db.session() as session:
            found = await customization.get_settings(session, ctx.actor)
        self.logo_url = found.logo_url or ""

    # The form's fields: each edit shows in the preview at once; nothing is stored until Save.

    @rx.event
    def set_greeting(self, value: str) -> None:
        self.greeting, self.saved = str(value)[:customization.MAX_GREETING * 2], False

    @rx.event
    def set_suggestions(self, value: str) -> None:
        self.suggestions, self.saved = str(value)[:2000], False

    @rx.event
    def set_primary_color(self, value: str) -> None:
        self.primary_color, self.saved = str(value)[:7], False

    @rx.event
    def set_accent_color(self, value: str) -> None:
        self.accent_color, self.saved = str(value)[:7], False

    @rx.event
    def set_position(self, value: str) -> None:
        if value in POSITIONS:
            self.position, self.saved = value, False

    @rx.event
    def set_locale(self, value: str) -> None:
        if value in LANGUAGES:
            self.locale, self.saved = value, False
            self.default_greeting = translate(customization.DEFAULT_GREETING, value)

    @rx.event
    def set_allowed_origins(self, value: str) -> None:
        self.allowed_origins, self.saved = str(value)[:20000], False

    @rx.event
    @authorized
    async def save(self) -> None:
        ctx = await current_context(self)
        self.error, self.saved = "", False
        changes = WidgetSettingsUpdate(
            greet_message=self.greeting, suggestions=_lines(self.suggestions), primary_color=self.primary_color,
            accent_color=self.accent_color, position=self.position, locale=self.locale,
            allowed_origins=_lines(self.allowed_origins))
        try:
            async with db.session() as session:
                found = await customization.update_settings(session, ctx.actor, changes)
        except ServiceError as exc:
            self.error = error_key(exc)
            return
        self._show(ctx.organization.id, found)
        self.saved = True

    @rx.event
    @authorized
    async def remove_logo(self) -> None:
        ctx = await current_context(self)
        self.error = ""
        try:
            async with db.session() as session:
                found = await customization.remove_logo(session, ctx.actor)
        except ServiceError as exc:
            self.error = error_key(exc)
            return
        self.logo_url = found.logo_url or ""
