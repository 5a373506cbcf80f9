"""The page for any path the app does not have (Reflex's own is a bare English line)."""

from __future__ import annotations

import reflex as rx

from livchat.components.i18n import t
from livchat.components.layout import public_page


def not_found() -> rx.Component:
    return public_page(rx.center(rx.vstack(
        rx.heading(t("not_found.title"), as_="h1", size="7", id="not-found-title", text_align="center"),
        rx.text(t("not_found.body"), color_scheme="gray", text_align="center"),
        rx.link(rx.button(t("not_found.home")), href="/"),
        align="center", spacing="4",
    ), padding_y="96px", padding_x="16px"), title_key="not_found.title")


def register(app: rx.App) -> list[str]:
    app.add_page(not_found, route="404", title="LivChat — Page not found")
    return ["404"]
