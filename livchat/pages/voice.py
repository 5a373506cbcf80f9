"""Dashboard → Voice (the Vapi plugin): the connect form (keys typed once, then shown by their last
4 characters only), the assistants (one is the widget's call button) and phone numbers of the
connected Vapi account, and disconnecting behind a confirmation. Admins and owners change it;
members look."""

from __future__ import annotations

import reflex as rx

from livchat.components.confirm import confirmed
from livchat.components.errors import error_box
from livchat.components.forms import labelled
from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.components.table import Column, actions_column, data_table
from livchat.state.voice import PRIVATE_FIELD, PUBLIC_FIELD, VoiceState

SECTION = Section("voice", "phone")
S = VoiceState


def _key_field(label_key: str, name: str, element_id: str) -> rx.Component:
    # type=password and no value bound to the state: what is typed never comes back to the page.
    return labelled(label_key, rx.input(id=element_id, name=name, type="password", auto_complete="off",
                                        required=True, max_length=200, width="100%",
                                        custom_attrs={"spellCheck": "false"}), element_id, width="100%")


def _connect_form() -> rx.Component:
    return rx.card(rx.form(
        rx.vstack(
            rx.heading(rx.cond(S.connected, t("voice.reconnect"), t("voice.connect.heading")), as_="h2", size="4"),
            rx.text(t("voice.connect.help"), size="2", color_scheme="gray"),
            _key_field("voice.private_key", PRIVATE_FIELD, "voice-private-key"),
            _key_field("voice.public_key", PUBLIC_FIELD, "voice-public-key"),
            rx.button(rx.cond(S.connected, t("voice.reconnect"), t("voice.connect")), type="submit",
                      loading=S.busy, id="voice-connect"),
            spacing="3", width="100%", max_width="480px",
        ),
        on_submit=S.connect, reset_on_submit=True, width="100%",
    ), width="100%", id="voice-connect-card")


def _connection() -> rx.Component:
    manage = rx.cond(S.can_manage, rx.hstack(
        confirmed(rx.button(t("voice.disconnect"), color_scheme="red", variant="soft", id="voice-disconnect"),
                  title_key="voice.disconnect.title", body_key="voice.disconnect.body",
                  action_key="voice.disconnect.confirm", on_confirm=S.disconnect, confirm_id="voice-disconnect-confirm"),
    ))
    return rx.card(rx.vstack(
        rx.hstack(rx.badge(t("voice.connected"), color_scheme="green", size="2", id="voice-connected"),
                  align="center", spacing="2"),
        rx.text(t("voice.private_key"), " ", t("voice.key_ending"), " ",
                rx.code("…", S.private_last4, id="voice-private-last4"), size="2"),
        rx.text(t("voice.public_key"), " ", t("voice.key_ending"), " ",
                rx.code("…", S.public_last4, id="voice-public-last4"), size="2"),
        manage,
        spacing="2", width="100%",
    ), width="100%", id="voice-connection")


def _widget_choice() -> rx.Component:
    return rx.vstack(
        rx.heading(t("voice.widget.heading"), as_="h2", size="4"),
        rx.cond(
            S.assistant_id != "",
            rx.hstack(
                rx.text(t("voice.widget.on"), size="2"),
                rx.badge(rx.cond(S.assistant_name != "", S.assistant_name, S.assistant_id), size="2",
                         id="voice-widget-assistant"),
                rx.cond(S.can_manage, rx.button(t("voice.widget.turn_off"), on_click=S.choose(""), size="1",
                                                variant="soft", color_scheme="gray", id="voice-widget-off")),
                align="center", spacing="2", wrap="wrap",
            ),
            rx.text(t("voice.widget.off"), size="2", color_scheme="gray", id="voice-widget-none"),
        ),
        spacing="2", width="100%",
    )


def _choice_cell(assistant: rx.Var) -> rx.Component:
    chosen = assistant["id"] == S.assistant_id
    return rx.cond(
        chosen,
        rx.badge(t("voice.in_widget"), color_scheme="teal", class_name="voice-chosen"),
        # Named after its assistant (one such button per row), the visible words first.
        rx.cond(S.can_manage, rx.button(t("voice.use_in_widget"), on_click=S.choose(assistant["id"]), size="1",
                                        variant="soft", loading=S.busy, class_name="voice-choose",
                                        aria_label=t("voice.use_in_widget") + ": " + rx.cond(
                                            assistant["name"] != "", assistant["name"], assistant["id"]),
                                        custom_attrs={"data-assistant": assistant["id"]})),
    )


ASSISTANT_COLUMNS = [
    Column("voice.column.name", lambda a: a["name"]),
    Column("voice.column.id", lambda a: rx.code(a["id"], size="1")),
    actions_column(_choice_cell),
]
NUMBER_COLUMNS = [
    Column("voice.column.number", lambda n: n["number"]),
    Column("voice.column.name", lambda n: n["name"]),
    Column("voice.column.assistant", lambda n: n["assistant"]),
]


def _lists() -> rx.Component:
    return rx.cond(
        S.listed,
        rx.vstack(
            rx.heading(t("voice.assistants.heading"), as_="h2", size="4"),
            data_table(S.assistants, ASSISTANT_COLUMNS, table_id="voice-assistants", row_class="voice-assistant",
                       empty_key="voice.assistants.none", empty_id="voice-no-assistants"),
            rx.heading(t("voice.phone_numbers.heading"), as_="h2", size="4", margin_top="12px"),
            data_table(S.phone_numbers, NUMBER_COLUMNS, table_id="voice-phone-numbers", row_class="voice-number",
                       empty_key="voice.phone_numbers.none", empty_id="voice-no-numbers"),
            spacing="3", width="100%",
        ),
        rx.text(t("voice.loading"), size="2", color_scheme="gray", id="voice-loading", role="status"),
    )


def voice_page() -> rx.Component:
    return dashboard_shell(
        SECTION.label_key,
        rx.vstack(
            rx.text(t("voice.intro"), size="3"),
            error_box(S.error, element_id="voice-error"),
            rx.cond(S.saved, rx.callout(t("voice.saved"), icon="check", color_scheme="green", id="voice-saved",
                                        role="status", width="100%")),
            rx.cond(~S.can_manage, rx.callout(t("voice.read_only"), icon="info", id="voice-read-only", size="1")),
            # Connected: the widget's choice reads on into the assistants it is made from; the form
            # (then only to replace the keys) comes last. Not connected: the form is all there is.
            rx.cond(S.connected, rx.fragment(_connection(), _widget_choice(), _lists())),
            rx.cond(S.can_manage, _connect_form()),
            spacing="4", width="100%", max_width="860px",
        ),
    )


def register(app: rx.App) -> list[str]:
    app.add_page(voice_page, route=SECTION.route, title="LivChat — Voice", on_load=VoiceState.load)
    return [SECTION.route]
