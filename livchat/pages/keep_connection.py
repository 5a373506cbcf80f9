"""`/test-panel/keep`: where "Create an account" and "Sign in" from the test panel land, signed in.
The panel's WhatsApp connection becomes an instance of the organization; the dashboard opens on
it. When it cannot, the page says why and what to do."""

from __future__ import annotations

import reflex as rx

from livchat.components.i18n import t
from livchat.components.layout import public_page
from livchat.state.test_panel import KEEP_ROUTE, KeepConnectionState


def _outcome(slug: str, *actions: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.heading(t(f"keep.{slug}.title"), as_="h1", size="6", text_align="center"),
        rx.text(t(f"keep.{slug}.body"), color_scheme="gray", text_align="center", as_="p", max_width="520px"),
        rx.hstack(*actions, spacing="3", wrap="wrap", justify="center"),
        id=f"keep-{slug}",
        align="center",
        spacing="4",
    )


def _dashboard() -> rx.Component:
    return rx.link(rx.button(t("keep.dashboard")), href="/dashboard/instances", id="keep-dashboard")


def keep_connection() -> rx.Component:
    return public_page(
        rx.center(
            rx.match(
                KeepConnectionState.outcome,
                ("plan_limit", _outcome("plan_limit", rx.link(rx.button(t("keep.pricing")), href="/pricing",
                                                              id="keep-pricing"), _dashboard())),
                ("forbidden", _outcome("forbidden", _dashboard())),
                ("expired", _outcome("expired", rx.link(rx.button(t("keep.home")), href="/#test-panel"),
                                     _dashboard())),
                ("nothing", _outcome("nothing", _dashboard())),
                rx.vstack(rx.heading(t("keep.working"), as_="h1", size="6"), rx.spinner(size="3"),
                          id="keep-working", align="center", spacing="4"),
            ),
            padding_y="96px",
            padding_x="16px",
        ),
        title_key="keep.title",
    )


def register(app: rx.App) -> list[str]:
    app.add_page(keep_connection, route=KEEP_ROUTE, title="LivChat — Keep your connection",
                 on_load=KeepConnectionState.load)
    return [KEEP_ROUTE]
