"""Dashboard → API keys: list, create (the key and a first curl call shown once), revoke."""

from __future__ import annotations

import reflex as rx

from livchat.components.errors import error_box
from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell, docs_link
from livchat.components.status import status_badge
from livchat.components.table import Column, actions_column, data_table
from livchat.components.time import local_time
from livchat.state.api_keys import CURL_ELEMENT, SECRET_ELEMENT, ApiKeysState
from livchat.state.reveal import copy_from

SECTION = Section("api_keys", "key-round")


def _revoke(key: rx.Var) -> rx.Component:
    return rx.cond(
        ApiKeysState.can_manage & (key["revoked"] == ""),
        rx.button(t("accounts.keys.revoke"), on_click=ApiKeysState.revoke(key["id"]), color_scheme="red",
                  variant="soft", size="1", class_name="revoke-key"),
    )


COLUMNS = [
    Column("accounts.keys.name", lambda key: key["name"]),
    Column("accounts.keys.prefix", lambda key: rx.code(key["prefix"])),
    Column("accounts.keys.created", lambda key: local_time(key["created"])),
    Column("accounts.keys.last_used", lambda key: rx.cond(key["last_used"] != "", local_time(key["last_used"]),
                                                          t("accounts.keys.never"))),
    Column("accounts.keys.status",
           lambda key: status_badge(rx.cond(key["revoked"] != "", "revoked", "active"), "accounts.keys")),
    actions_column(_revoke),
]


def _new_secret() -> rx.Component:
    """Always in the page, hidden until a key is created: the key, and a curl call that uses it,
    are written into `#new-api-key` and `#new-api-key-curl` by the create event itself (they
    never enter the state; see livchat.state.api_keys)."""
    return rx.callout(
        rx.vstack(
            rx.text(t("accounts.keys.created_once"), weight="bold"),
            rx.hstack(
                rx.code(id=SECRET_ELEMENT, size="3", class_name="lc-wrap-anywhere"),
                rx.button(t("accounts.keys.copy"), on_click=copy_from(SECRET_ELEMENT), size="1", id="copy-api-key"),
                align="center",
                wrap="wrap",
            ),
            rx.text(t("accounts.keys.try_it"), size="2"),
            rx.el.pre(rx.el.code(id=CURL_ELEMENT), class_name="lc-wrap-anywhere", margin="0", padding="8px",
                      border_radius="var(--radius-2)", background=rx.color("gray", 3), font_size="var(--font-size-1)",
                      width="100%"),
            rx.hstack(
                rx.button(t("accounts.keys.copy_curl"), on_click=copy_from(CURL_ELEMENT), size="1", id="copy-curl"),
                rx.button(t("accounts.keys.done"), on_click=ApiKeysState.dismiss_secret, size="1", variant="soft"),
                docs_link(t("accounts.keys.read_docs"), size="2", id="new-key-docs"),
                align="center",
                wrap="wrap",
            ),
            width="100%",
        ),
        icon="key-round",
        color_scheme="green",
        id="new-api-key-callout",
        width="100%",
        display=rx.cond(ApiKeysState.showing_secret, "flex", "none"),
    )


def api_keys_page() -> rx.Component:
    return dashboard_shell(
        SECTION.label_key,
        rx.vstack(
            rx.text(t("accounts.keys.subtitle"), color_scheme="gray"),
            docs_link(rx.hstack(rx.icon("book-open-text", size=16, aria_hidden="true"), t("accounts.keys.docs_link"),
                                align="center", spacing="1"),
                      size="2", id="api-keys-docs"),
            error_box(ApiKeysState.error, element_id="form-error"),
            _new_secret(),
            rx.cond(
                ApiKeysState.can_manage,
                rx.form(
                    rx.flex(
                        rx.input(name="name", placeholder=t("accounts.keys.name"), id="api-key-name", required=True,
                                 aria_label=t("accounts.keys.name"), max_length=100),
                        rx.button(t("accounts.keys.create"), type="submit", id="create-api-key"),
                        direction=rx.breakpoints(initial="column", sm="row"), spacing="2",
                    ),
                    on_submit=ApiKeysState.create,
                    reset_on_submit=True,
                ),
                rx.text(t("accounts.keys.read_only"), size="2", color_scheme="gray"),
            ),
            data_table(ApiKeysState.keys, COLUMNS, table_id="api-keys-table", row_class="api-key-row",
                       empty_key="accounts.keys.empty"),
            spacing="4",
            width="100%",
        ),
    )


def register(app: rx.App) -> list[str]:
    app.add_page(api_keys_page, route=SECTION.route, title="LivChat — API keys", on_load=ApiKeysState.load)
    return [SECTION.route]
