"""`/`: what LivChat is, the test panel at its centre (link WhatsApp and send before signing up),
the code a developer would write, what exists today, prices, questions."""

from __future__ import annotations

import reflex as rx

from livchat.components.code_sample import code_samples
from livchat.components.i18n import t
from livchat.components.layout import public_page
from livchat.components.pricing import pricing_section
from livchat.components.test_panel import test_panel
from livchat.state.test_panel import PanelState

# (slug, icon, available today): the page says plainly what is being built.
FEATURES = [
    ("api", "code", True),
    ("webhooks", "webhook", True),
    ("test_panel", "smartphone", True),
    ("sandbox", "flask-conical", True),
    ("inbox", "inbox", False),
    ("widget", "message-square", False),
    ("agent", "bot", False),
]
FAQ = ["account", "official", "keep", "webhooks", "phone", "billing"]


def _hero() -> rx.Component:
    return rx.vstack(
        rx.badge(t("app.tagline"), size="2", color_scheme="teal", radius="full"),
        rx.heading(t("landing.hero.title"), as_="h1", size=rx.breakpoints(initial="8", sm="9"), id="hero-title",
                   text_align="center", max_width="880px"),
        rx.text(t("landing.hero.subtitle"), size=rx.breakpoints(initial="3", sm="4"), color_scheme="gray",
                text_align="center", max_width="720px", as_="p"),
        rx.hstack(
            rx.link(rx.button(t("landing.hero.cta_primary"), size="3"), href="#test-panel", id="cta-try"),
            rx.link(rx.button(t("landing.hero.cta_docs"), size="3", variant="soft"), href="/docs",
                    reload_document=True, id="cta-docs"),
            spacing="3", wrap="wrap", justify="center",
        ),
        align="center",
        spacing="5",
        padding_top=rx.breakpoints(initial="32px", sm="64px"),
        padding_bottom="32px",
        width="100%",
    )


def _feature(slug: str, icon: str, available: bool) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon(icon, size=22, color=rx.color("teal", 11), aria_hidden="true"),
                rx.badge(t("landing.features.available" if available else "landing.features.building"),
                         color_scheme="teal" if available else "amber", variant="soft"),
                justify="between", width="100%",
            ),
            rx.heading(t(f"landing.features.{slug}.title"), as_="h3", size="4"),
            rx.text(t(f"landing.features.{slug}.body"), color_scheme="gray", size="2", as_="p"),
            spacing="2",
        ),
        size="3",
    )


def _features() -> rx.Component:
    return rx.vstack(
        rx.heading(t("landing.features.title"), as_="h2", size="7", id="features"),
        rx.text(t("landing.features.subtitle"), size="3", color_scheme="gray", as_="p", max_width="720px"),
        rx.grid(*[_feature(*feature) for feature in FEATURES], columns=rx.breakpoints(initial="1", sm="2", lg="4"),
                gap="16px", width="100%"),
        spacing="4",
        width="100%",
    )


def faq() -> rx.Component:
    return rx.vstack(
        rx.heading(t("landing.faq.title"), as_="h2", size="7", id="faq"),
        *[rx.el.details(
            rx.el.summary(t(f"landing.faq.{slug}.q"), class_name="faq-question"),
            rx.text(t(f"landing.faq.{slug}.a"), size="2", color_scheme="gray", as_="p", padding_top="8px"),
            class_name="faq-item", id=f"faq-{slug}",
        ) for slug in FAQ],
        spacing="3",
        width="100%",
    )


def landing() -> rx.Component:
    return public_page(
        rx.container(
            rx.vstack(
                _hero(),
                test_panel(),
                code_samples(),
                _features(),
                pricing_section("h2"),
                faq(),
                spacing="9",
                padding_bottom="64px",
                width="100%",
            ),
            size="4",
            padding_x=rx.breakpoints(initial="12px", sm="24px"),
        ),
        title_key="meta.landing_title",
    )


def register(app: rx.App) -> list[str]:
    app.add_page(landing, route="/", title="LivChat — WhatsApp API and AI support", on_load=PanelState.start,
                 description="Link WhatsApp and send a test message before you create an account: a WhatsApp API "
                             "with signed webhooks.")
    return ["/"]
