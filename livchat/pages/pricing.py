"""`/pricing`: the plans and the calculator (the landing page's own), and the billing questions."""

from __future__ import annotations

import reflex as rx

from livchat.components.i18n import t
from livchat.components.layout import public_page
from livchat.components.pricing import pricing_section


def pricing() -> rx.Component:
    return public_page(
        rx.container(
            rx.vstack(
                pricing_section("h1"),
                rx.vstack(
                    rx.heading(t("landing.faq.title"), as_="h2", size="6"),
                    *[rx.el.details(rx.el.summary(t(f"landing.faq.{slug}.q"), class_name="faq-question"),
                                    rx.text(t(f"landing.faq.{slug}.a"), size="2", color_scheme="gray", as_="p",
                                            padding_top="8px"), class_name="faq-item")
                      for slug in ("billing", "keep", "account")],
                    rx.link(t("pricing.try_panel"), href="/#test-panel", size="2", id="pricing-try"),
                    spacing="3", width="100%",
                ),
                spacing="8",
                padding_y=rx.breakpoints(initial="32px", sm="64px"),
                width="100%",
            ),
            size="4",
            padding_x=rx.breakpoints(initial="12px", sm="24px"),
        ),
        title_key="pricing.title",
    )


def register(app: rx.App) -> list[str]:
    app.add_page(pricing, route="/pricing", title="LivChat — Pricing")
    return ["/pricing"]
