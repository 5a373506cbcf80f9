"""/sign-in: local accounts' form, or Clerk's own sign-in."""

from __future__ import annotations

import reflex as rx

from livchat.components.clerk import clerk_sign_in
from livchat.components.errors import error_box
from livchat.components.i18n import t
from livchat.components.layout import public_page
from livchat.core.settings import get_settings
from livchat.pages.auth import auth_card, field, submit
from livchat.state.account_forms import SignInState


def sign_in() -> rx.Component:
    """Already signed in: on to the dashboard. A failed sign-in link or Clerk exchange comes back
    here with `?error=` and is shown translated (SignInState.load runs on mount)."""
    settings = get_settings()
    if settings.clerk_enabled:  # decided when the pages compile
        return public_page(rx.center(
            rx.vstack(error_box(SignInState.error, element_id="sign-in-error"),
                      clerk_sign_in(settings.clerk_publishable_key), align="center"),
            padding_y="48px", on_mount=SignInState.load,
        ), title_key="accounts.sign_in.title")
    return rx.box(_local_sign_in(), on_mount=SignInState.load)


def _local_sign_in() -> rx.Component:
    return auth_card(
        "accounts.sign_in.title",
        error_box(SignInState.error, element_id="sign-in-error"),
        rx.form(
            rx.vstack(
                field("accounts.email", "email", "email", required=True, auto_complete="email"),
                field("accounts.password", "password", "password", required=True, auto_complete="current-password"),
                submit("accounts.sign_in.submit", id="sign-in-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=SignInState.sign_in,
            width="100%",
        ),
        rx.hstack(
            rx.link(t("accounts.sign_in.no_account"), href="/sign-up", size="2", id="sign-up-link"),
            rx.spacer(),
            rx.link(t("accounts.sign_in.forgot"), href="/forgot-password", size="2"),
            width="100%",
        ),
        title_id="sign-in-title",
    )


def register(app: rx.App) -> list[str]:
    app.add_page(sign_in, route="/sign-in", title="LivChat — Sign in")
    return ["/sign-in"]
