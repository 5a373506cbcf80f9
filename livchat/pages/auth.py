"""Public account pages: sign-up, password reset, invitations, organization selection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from livchat.components.clerk import clerk_sign_out, clerk_sign_up
from livchat.components.errors import error_box
from livchat.components.forms import labelled
from livchat.components.i18n import t
from livchat.components.layout import public_page
from livchat.core.settings import get_settings
from livchat.state.account_forms import (
    InviteState,
    OrganizationsState,
    PasswordResetState,
    SignUpState,
)


def submit(label_key: str, **props) -> rx.Component:
    """A form's submit button, enabled once the page's state has loaded: a submit sent before
    would be answered, then wiped by the page's own on_load."""
    return rx.button(t(label_key), type="submit", size="3", width="100%", disabled=~rx.State.is_hydrated, **props)


def field(label_key: str, name: str, type_: str = "text", **props) -> rx.Component:
    return labelled(label_key, rx.input(name=name, id=f"field-{name}", type=type_, width="100%", size="3", **props),
                    f"field-{name}", width="100%")


def auth_card(title_key: str, *children: rx.Component, title_id: str = "auth-title") -> rx.Component:
    return public_page(
        rx.center(
            rx.card(
                rx.vstack(rx.heading(t(title_key), as_="h1", size="6", id=title_id), *children, spacing="4", width="100%"),
                size="4",
                max_width="460px",
                width="100%",
            ),
            padding_y="48px",
            padding_x="16px",
        ),
        title_key=title_key,
    )


def sign_up() -> rx.Component:
    settings = get_settings()
    if settings.clerk_enabled:  # decided when the pages compile
        return public_page(rx.center(clerk_sign_up(settings.clerk_publishable_key), padding_y="48px"),
                           title_key="accounts.sign_up.title")
    return auth_card(
        "accounts.sign_up.title",
        rx.cond(
            SignUpState.invited_organization != "",
            rx.callout(
                rx.hstack(rx.text(t("accounts.sign_up.invited")), rx.text(SignUpState.invited_organization, weight="bold")),
                icon="mail",
            ),
            rx.text(t("accounts.sign_up.subtitle"), color_scheme="gray", size="2"),
        ),
        error_box(SignUpState.error, element_id="form-error"),
        rx.form(
            rx.vstack(
                field("accounts.name", "name", auto_complete="name"),
                field("accounts.email", "email", "email", required=True, auto_complete="email",
                      default_value=SignUpState.invited_email, key=SignUpState.invited_email),
                field("accounts.password", "password", "password", required=True, auto_complete="new-password"),
                rx.cond(SignUpState.invited_organization == "", field("accounts.org_name", "organization")),
                submit("accounts.sign_up.submit", id="sign-up-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=SignUpState.sign_up,
            width="100%",
        ),
        rx.link(t("accounts.sign_up.have_account"), href="/sign-in", size="2"),
        title_id="sign-up-title",
    )


def forgot_password() -> rx.Component:
    return auth_card(
        "accounts.forgot.title",
        rx.cond(
            PasswordResetState.sent,
            rx.callout(t("accounts.forgot.sent"), icon="mail-check", color_scheme="green", id="reset-sent"),
            rx.fragment(
                rx.text(t("accounts.forgot.subtitle"), color_scheme="gray", size="2"),
                error_box(PasswordResetState.error, element_id="form-error"),
                rx.form(
                    rx.vstack(
                        field("accounts.email", "email", "email", required=True),
                        submit("accounts.forgot.submit", id="forgot-submit"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=PasswordResetState.request_link,
                    width="100%",
                ),
            ),
        ),
        rx.link(t("accounts.back_to_sign_in"), href="/sign-in", size="2"),
    )


def reset_password() -> rx.Component:
    return auth_card(
        "accounts.reset.title",
        rx.cond(
            PasswordResetState.done,
            rx.callout(t("accounts.reset.done"), icon="check", color_scheme="green", id="reset-done"),
            rx.fragment(
                error_box(PasswordResetState.error, element_id="form-error"),
                rx.cond(PasswordResetState.error == "accounts.errors.invalid_reset_token",  # the way on
                        rx.link(t("accounts.reset.ask_again"), href="/forgot-password", size="2",
                                id="reset-ask-again")),
                rx.form(
                    rx.vstack(
                        field("accounts.reset.new_password", "password", "password", required=True,
                              auto_complete="new-password"),
                        submit("accounts.reset.submit", id="reset-submit"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=PasswordResetState.save_password,
                    width="100%",
                ),
            ),
        ),
        rx.link(t("accounts.back_to_sign_in"), href="/sign-in", size="2"),
    )


def invite() -> rx.Component:
    return auth_card(
        "accounts.invite.title",
        error_box(InviteState.error, element_id="form-error"),
        rx.cond(
            InviteState.valid,
            rx.vstack(
                rx.text(t("accounts.invite.body")),
                rx.heading(InviteState.organization_name, as_="h2", size="5", id="invite-organization"),
                rx.text(InviteState.email, color_scheme="gray", size="2"),
                rx.cond(
                    InviteState.signed_in,
                    rx.button(t("accounts.invite.accept"), on_click=InviteState.accept, size="3", id="invite-accept"),
                    rx.hstack(
                        rx.link(rx.button(t("accounts.invite.sign_up"), size="3"), href="/sign-up?invite=" + InviteState.token),
                        rx.link(rx.button(t("accounts.invite.sign_in"), size="3", variant="soft"),
                                href="/sign-in?next=%2Finvite%3Ftoken%3D" + InviteState.token),
                    ),
                ),
                spacing="3",
            ),
            rx.callout(t("accounts.errors.invalid_invitation"), icon="triangle-alert", color_scheme="amber"),
        ),
    )


def select_organization() -> rx.Component:
    return auth_card(
        "accounts.orgs.title",
        rx.text(t("accounts.orgs.subtitle"), color_scheme="gray", size="2"),
        rx.cond(
            OrganizationsState.organizations.length() > 0,
            rx.vstack(
                rx.foreach(
                    OrganizationsState.organizations,
                    lambda org: rx.hstack(
                        rx.vstack(
                            rx.text(org["name"], weight="bold"),
                            rx.text(rx.match(org["role"], ("owner", t("accounts.role.owner")),
                                             ("admin", t("accounts.role.admin")), t("accounts.role.member")),
                                    size="1", color_scheme="gray"),
                            spacing="0",
                        ),
                        rx.spacer(),
                        rx.button(t("accounts.orgs.open"), on_click=OrganizationsState.open(org["id"]),
                                  variant="soft", class_name="open-organization"),
                        width="100%",
                        align="center",
                    ),
                ),
                width="100%",
                id="organization-list",
            ),
            rx.text(t("accounts.orgs.empty"), size="2"),
        ),
        rx.divider(),
        error_box(OrganizationsState.error, element_id="form-error"),
        rx.form(
            rx.vstack(
                field("accounts.org_name", "organization", required=True),
                submit("accounts.orgs.create", id="create-organization"),
                spacing="3",
                width="100%",
            ),
            on_submit=OrganizationsState.create,
            reset_on_submit=True,
            width="100%",
        ),
    )


def signed_out() -> rx.Component:
    """Where sign-out lands: with Clerk, Clerk's session ends here too; then /sign-in."""
    settings = get_settings()
    heading = rx.heading(t("accounts.sign_out"), as_="h1", class_name="lc-sr-only")  # the page's one h1
    if settings.clerk_enabled:
        return public_page(rx.center(heading, rx.spinner(size="3"), clerk_sign_out(settings.clerk_publishable_key),
                                     padding_y="48px"), title_key="accounts.sign_out")
    return public_page(rx.center(heading, rx.spinner(size="3"), padding_y="48px",
                                 on_mount=rx.call_script("window.location.assign('/sign-in')")),
                       title_key="accounts.sign_out")


def register(app: rx.App) -> list[str]:
    pages: list[tuple[Callable[[], rx.Component], str, str, Any]] = [
        (sign_up, "/sign-up", "LivChat — Sign up", SignUpState.load)]
    if not get_settings().clerk_enabled:  # with Clerk, passwords (and their reset) are Clerk's
        pages += [(forgot_password, "/forgot-password", "LivChat — Password", PasswordResetState.load),
                  (reset_password, "/reset-password", "LivChat — Password", PasswordResetState.load)]
    pages += [(signed_out, "/signed-out", "LivChat — Signed out", None),
              (invite, "/invite", "LivChat — Invitation", InviteState.load),
              (select_organization, "/select-organization", "LivChat — Organizations", OrganizationsState.load)]
    for page, route, title, on_load in pages:
        app.add_page(page, route=route, title=title, on_load=on_load)
    return [route for _, route, _, _ in pages]
