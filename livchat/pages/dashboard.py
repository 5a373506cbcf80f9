"""The dashboard's overview, and a placeholder page for each sidebar section that has no page of
its own yet (Inbox, Widget, Knowledge, Billing, Voice, ...). Later issues fill each section in."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import reflex as rx

from livchat.components.i18n import t
from livchat.components.layout import SECTIONS, Section, dashboard_shell
from livchat.i18n import translate


def overview() -> rx.Component:
    return dashboard_shell(
        "dashboard.section.overview",
        rx.card(
            rx.vstack(
                rx.heading(t("dashboard.overview.welcome"), as_="h2", size="4"),
                rx.text(t("dashboard.overview.body"), color_scheme="gray"),
            ),
            size="3",
        ),
    )


def placeholder(section: Section) -> Callable[[], rx.Component]:
    def page() -> rx.Component:
        return dashboard_shell(section.label_key, rx.text(t("dashboard.empty"), color_scheme="gray"))

    page.__name__ = f"dashboard_{section.slug}"
    return page


def register(app: rx.App, taken: Iterable[str]) -> list[str]:
    """The overview and a placeholder for every section whose route no page module took."""
    taken = set(taken)
    added = []
    for section in SECTIONS:
        if section.route in taken:
            continue
        page = overview if section.slug == "overview" else placeholder(section)
        app.add_page(page, route=section.route, title=f"LivChat — {translate(section.label_key)}")
        added.append(section.route)
    return added
