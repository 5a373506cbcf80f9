from __future__ import annotations

import reflex as rx

from livchat.components.i18n import t
from livchat.components.layout import docs_link, public_page

FEATURES = [
    ("api", "code"),
    ("webhooks", "webhook"),
    ("inbox", "inbox"),
    ("agent", "bot"),
    ("widget", "message-square"),
    ("sandbox", "smartphone"),
]


def _feature(slug: str, icon: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon(icon, size=22, color=rx.color("teal", 9), aria_hidden="true"),
            rx.heading(t(f"landing.features.{slug}.title"), as_="h3", size="4"),
            rx.text(t(f"landing.features.{slug}.body"), color_scheme="gray", size="2"),
            spacing="2",
        ),
        size="3",
    )


def landing() -> rx.Component:
    return public_page(
        rx.container(
            rx.vstack(
                rx.badge(t("app.tagline"), size="2", color_scheme="teal", radius="full"),
                rx.heading(t("landing.hero.title"), as_="h1", size=rx.breakpoints(initial="7", sm="9"), id="hero-title",
                           text_align="center"),
                rx.text(t("landing.hero.subtitle"), size="4", color_scheme="gray", text_align="center", max_width="720px"),
                rx.hstack(
                    rx.link(rx.button(t("landing.hero.cta_primary"), size="3"), href="/dashboard", id="cta-dashboard"),
                    rx.link(rx.button(t("landing.hero.cta_secondary"), size="3", variant="soft"), href="#test-panel"),
                    docs_link(rx.button(t("nav.docs"), size="3", variant="outline"), id="cta-docs"),
                    spacing="3",
                    wrap="wrap",
                    justify="center",
                ),
                align="center",
                spacing="5",
                padding_y="64px",
            ),
            rx.card(
                rx.vstack(
                    rx.heading(t("landing.test_panel.title"), as_="h2", size="5"),
                    rx.text(t("landing.test_panel.body"), color_scheme="gray"),
                    spacing="2",
                ),
                id="test-panel",
                size="4",
                width="100%",
            ),
            rx.vstack(
                rx.heading(t("landing.features.title"), as_="h2", size="7", id="features"),
                rx.grid(*[_feature(slug, icon) for slug, icon in FEATURES], columns=rx.breakpoints(initial="1", sm="2", md="3"), spacing="4", width="100%"),
                spacing="5",
                padding_y="64px",
            ),
            size="4",
        ),
        title_key="meta.landing_title",
    )


def register(app: rx.App) -> list[str]:
    app.add_page(landing, route="/", title="LivChat — WhatsApp API and AI support")
    return ["/"]
