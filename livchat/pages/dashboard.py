"""The dashboard shell: one page per sidebar section. Later issues fill each section in."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from livchat.components.i18n import t
from livchat.components.layout import SECTIONS, Section, dashboard_shell


def overview() -> rx.Component:
    return dashboard_shell(
        "dashboard.section.overview",
        rx.card(
            rx.vstack(
                rx.heading(t("dashboard.overview.welcome"), size="4"),
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


def pages() -> list[tuple[Section, Callable[[], rx.Component]]]:
    return [(s, overview if s.slug == "overview" else placeholder(s)) for s in SECTIONS]
