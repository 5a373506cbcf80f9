"""A destructive action behind a dialog that says what will happen."""

from __future__ import annotations

from typing import Any

import reflex as rx

from livchat.components.i18n import t


def confirmed(trigger: rx.Component, *, title_key: str, body_key: str, action_key: str, on_confirm: Any,
              confirm_id: str) -> rx.Component:
    """`trigger` opens the dialog; only its red `action_key` button (id `confirm_id`) runs `on_confirm`."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t(title_key)),
            rx.alert_dialog.description(t(body_key)),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("confirm.cancel"), variant="soft")),
                rx.alert_dialog.action(rx.button(t(action_key), color_scheme="red", class_name=confirm_id,
                                                 on_click=on_confirm)),
                justify="end", spacing="3", margin_top="16px",
            ),
        ),
    )
