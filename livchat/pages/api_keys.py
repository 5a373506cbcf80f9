"""Dashboard → API keys."""

from __future__ import annotations

import reflex as rx

from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.pages.auth import error_callout
from livchat.state.api_keys import SECRET_ELEMENT, ApiKeysState
from livchat.state.reveal import copy_from

SECTION = Section("api_keys", "key-round")


def _key_row(key: rx.Var) -> rx.Component:
    revoked = key["revoked"] != ""
    return rx.table.row(
        rx.table.cell(key["name"]),
        rx.table.cell(rx.code(key["prefix"])),
        rx.table.cell(key["created"]),
        rx.table.cell(rx.cond(key["last_used"] != "", key["last_used"], t("accounts.keys.never"))),
        rx.table.cell(rx.cond(revoked, rx.badge(t("accounts.keys.revoked"), color_scheme="gray"),
                              rx.badge(t("accounts.keys.active"), color_scheme="green"))),
        rx.table.cell(
            rx.cond(
                ApiKeysState.can_manage & ~revoked,
                rx.button(t("accounts.keys.revoke"), on_click=ApiKeysState.revoke(key["id"]), color_scheme="red",
                          variant="soft", size="1", class_name="revoke-key"),
            )
        ),
        class_name="api-key-row",
    )


def _new_secret() -> rx.Component:
    """Always in the page, hidden until a key is created: the key is written into `#new-api-key`
    by the create event itself (it never enters the state; see livchat.state.api_keys)."""
    return rx.callout(
        rx.vstack(
            rx.text(t("accounts.keys.created_once"), weight="bold"),
            rx.hstack(
                rx.code(id=SECRET_ELEMENT, size="3"),
                rx.button(t("accounts.keys.copy"), on_click=copy_from(SECRET_ELEMENT), size="1"),
                rx.button(t("accounts.keys.done"), on_click=ApiKeysState.dismiss_secret, size="1", variant="soft"),
                align="center",
                wrap="wrap",
            ),
        ),
        icon="key-round",
        color_scheme="green",
        id="new-api-key-callout",
        display=rx.cond(ApiKeysState.showing_secret, "flex", "none"),
    )


def api_keys_page() -> rx.Component:
    return dashboard_shell(
        SECTION.label_key,
        rx.vstack(
            rx.text(t("accounts.keys.subtitle"), color_scheme="gray"),
            error_callout(ApiKeysState.error),
            _new_secret(),
            rx.cond(
                ApiKeysState.can_manage,
                rx.form(
                    rx.hstack(
                        rx.input(name="name", placeholder=t("accounts.keys.name"), id="api-key-name", required=True,
                                 max_length=100),
                        rx.button(t("accounts.keys.create"), type="submit", id="create-api-key"),
                    ),
                    on_submit=ApiKeysState.create,
                    reset_on_submit=True,
                ),
                rx.text(t("accounts.keys.read_only"), size="2", color_scheme="gray"),
            ),
            rx.cond(
                ApiKeysState.keys.length() > 0,  # type: ignore[attr-defined]
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(t("accounts.keys.name")),
                            rx.table.column_header_cell(t("accounts.keys.prefix")),
                            rx.table.column_header_cell(t("accounts.keys.created")),
                            rx.table.column_header_cell(t("accounts.keys.last_used")),
                            rx.table.column_header_cell(t("accounts.keys.status")),
                            rx.table.column_header_cell(""),
                        )
                    ),
                    rx.table.body(rx.foreach(ApiKeysState.keys, _key_row)),
                    width="100%",
                    id="api-keys-table",
                ),
                rx.text(t("accounts.keys.empty"), color_scheme="gray"),
            ),
            spacing="4",
            width="100%",
        ),
    )


def register(app: rx.App) -> str:
    app.add_page(api_keys_page, route=SECTION.route, title="LivChat — API keys", on_load=ApiKeysState.load)
    return SECTION.route
