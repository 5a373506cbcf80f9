"""Dashboard → Instances (list, create, connect, live status) and one instance's page
(messages, test send, webhook, deliveries). Both follow the organization's live feed."""

from __future__ import annotations

import reflex as rx

from livchat.components.confirm import confirmed
from livchat.components.errors import error_box, error_text
from livchat.components.forms import label, labelled
from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.components.status import status_badge
from livchat.components.table import Column, actions_column, data_table, detail
from livchat.components.time import local_time
from livchat.i18n import EN
from livchat.services.webhooks.outbox import ATTEMPTS_EXHAUSTED, ENDPOINT_PAUSED
from livchat.services.whatsapp.events import WEBHOOK_EVENT_TYPES
from livchat.state.feeds import OrgFeed, feed_watcher
from livchat.state.instance_detail import (
    DELIVERY_STATUSES,
    SECRET_ELEMENT,
    SEND_TEXT_ELEMENT,
    InstanceDetailState,
)
from livchat.state.instances import InstancesState
from livchat.state.reveal import copy_from

SECTION = Section("instances", "smartphone")
DETAIL_ROUTE = "/dashboard/instances/[instance_key]"
# One timer per tab: it clicks the hidden #poll-deliveries button only while that is rendered
# (an instance page with pending deliveries).
POLL_SCRIPT = (
    "window.__deliveriesPoll = window.__deliveriesPoll || setInterval(function () {"
    " var b = document.getElementById('poll-deliveries'); if (b) { b.click(); } }, 2000);"
)
# The notices an action leaves on the instance page (the green callout).
NOTICE_KEYS = sorted(k for k in EN if k.startswith(("dashboard_whatsapp.webhook.", "dashboard_whatsapp.messages.")))
# Phones stack a form's fields; wider screens put them on one line.
FORM_DIRECTION = rx.breakpoints(initial="column", sm="row")


def _link_panel(row: rx.Var) -> rx.Component:
    return rx.cond(
        InstancesState.linking == row["id"],
        detail(
            rx.flex(
                rx.cond(
                    InstancesState.qr_image != "",
                    rx.vstack(rx.image(src=InstancesState.qr_image, width="240px", height="240px", id="instance-qr",
                                       alt=t("dashboard_whatsapp.instances.qr_alt")),
                              rx.text(t("dashboard_whatsapp.instances.qr_help"), size="1", color_scheme="gray",
                                      max_width="240px")),
                ),
                rx.cond(
                    InstancesState.pairing_code != "",
                    rx.vstack(rx.text(t("dashboard_whatsapp.instances.pairing_help"), size="2"),
                              rx.code(InstancesState.pairing_code, size="6", id="pairing-code")),
                ),
                rx.form(
                    rx.flex(
                        rx.input(name="phone", placeholder=t("dashboard_whatsapp.instances.phone"), id="pair-phone",
                                 aria_label=t("dashboard_whatsapp.instances.phone_label"),
                                 min_width=rx.breakpoints(initial="0", sm="17em")),
                        rx.button(t("dashboard_whatsapp.instances.pair"), type="submit", variant="soft",
                                  id="pair-submit"),
                        direction=FORM_DIRECTION, spacing="2",
                    ),
                    # The open panel's id from state: a foreach row var is out of scope in a submit handler.
                    on_submit=lambda form: InstancesState.pair(InstancesState.linking, form),
                ),
                rx.button(t("dashboard_whatsapp.close"), on_click=InstancesState.close_linking, variant="ghost"),
                align="start", spacing="5", wrap="wrap", direction=FORM_DIRECTION,
            ),
            columns=5, class_name="link-panel",
        ),
    )


def _actions(row: rx.Var) -> rx.Component:
    connected = row["status"] == "connected"
    return rx.hstack(
        rx.link(rx.button(t("dashboard_whatsapp.instances.open"), size="1", variant="soft"),
                href="/dashboard/instances/" + row["id"], class_name="open-instance"),
        rx.cond(
            connected,
            rx.button(t("dashboard_whatsapp.instances.disconnect"), size="1", variant="soft",
                      on_click=InstancesState.disconnect(row["id"]), class_name="disconnect-instance"),
            rx.button(t("dashboard_whatsapp.instances.connect"), size="1",
                      on_click=InstancesState.show_qr(row["id"]), class_name="connect-instance"),
        ),
        rx.cond(
            InstancesState.can_manage,
            rx.hstack(
                rx.cond(connected, rx.button(t("dashboard_whatsapp.instances.logout"), size="1", variant="soft",
                                             color_scheme="amber", on_click=InstancesState.logout(row["id"]),
                                             class_name="logout-instance")),
                confirmed(rx.button(t("dashboard_whatsapp.instances.delete"), size="1", variant="soft",
                                    color_scheme="red", class_name="delete-instance"),
                          title_key="dashboard_whatsapp.instances.delete_title",
                          body_key="dashboard_whatsapp.instances.delete_confirm",
                          action_key="dashboard_whatsapp.instances.delete",
                          on_confirm=InstancesState.delete(row["id"]), confirm_id="confirm-delete"),
                spacing="2",
            ),
        ),
        spacing="2", wrap="wrap",
    )


INSTANCE_COLUMNS = [
    Column("dashboard_whatsapp.instances.name", lambda row: rx.text(row["name"], weight="medium")),
    Column("dashboard_whatsapp.instances.status", lambda row: status_badge(row["status"], "dashboard_whatsapp.status")),
    Column("dashboard_whatsapp.instances.number", lambda row: row["number"]),
    Column("dashboard_whatsapp.instances.last_connected",
           lambda row: rx.cond(row["last_connected"] != "", local_time(row["last_connected"]),
                               t("dashboard_whatsapp.never"))),
    actions_column(_actions),
]


def instances_page() -> rx.Component:
    return dashboard_shell(
        SECTION.label_key,
        rx.vstack(
            feed_watcher(InstancesState.refresh),
            rx.text(t("dashboard_whatsapp.instances.subtitle"), color_scheme="gray"),
            error_box(InstancesState.error, InstancesState.error_detail),
            rx.cond(
                InstancesState.can_manage,
                rx.form(
                    rx.flex(
                        rx.input(name="name", placeholder=t("dashboard_whatsapp.instances.name"), id="instance-name",
                                 aria_label=t("dashboard_whatsapp.instances.name"), required=True, max_length=100),
                        rx.button(t("dashboard_whatsapp.instances.create"), type="submit", id="create-instance",
                                  loading=InstancesState.busy),
                        direction=FORM_DIRECTION, spacing="2",
                    ),
                    on_submit=InstancesState.create,
                    reset_on_submit=True,
                ),
            ),
            data_table(InstancesState.instances, INSTANCE_COLUMNS, table_id="instances-table", row_class="instance-row",
                       row_attrs=lambda row: {"data_instance": row["id"], "data_status": row["status"]},
                       detail_row=_link_panel, empty_key="dashboard_whatsapp.instances.empty",
                       empty_id="instances-empty"),
            spacing="4", width="100%",
        ),
    )


# --- one instance ------------------------------------------------------------------------------

S = InstanceDetailState


def _direction(row: rx.Var) -> rx.Component:
    """An arrow, and for screen readers the word it stands for."""
    inbound = row["direction"] == "inbound"
    return rx.hstack(
        rx.cond(inbound, rx.icon("arrow-down-left", size=16, aria_hidden="true"),
                rx.icon("arrow-up-right", size=16, aria_hidden="true")),
        rx.el.span(rx.cond(inbound, t("dashboard_whatsapp.messages.inbound"), t("dashboard_whatsapp.messages.outbound")),
                   class_name="lc-sr-only"),
        class_name="message-direction",
    )


def _message_text(row: rx.Var) -> rx.Component:
    return rx.fragment(
        rx.text(row["text"], size="2"),
        rx.cond(row["error"] != "", rx.vstack(
            rx.text(error_text(row["error_key"]), size="1", color_scheme="red", class_name="message-error"),
            rx.text(row["error"], size="1", color_scheme="gray"),  # the technical detail, as the API gives it
            spacing="0")),
    )


MESSAGE_COLUMNS = [
    Column("dashboard_whatsapp.messages.time", lambda row: local_time(row["time"])),
    Column("dashboard_whatsapp.messages.direction", _direction),
    Column("dashboard_whatsapp.messages.phone", lambda row: row["phone"]),
    Column("dashboard_whatsapp.messages.text", _message_text),
    Column("dashboard_whatsapp.instances.status",
           lambda row: status_badge(row["status"], "dashboard_whatsapp.message_status")),
]


def _send_form() -> rx.Component:
    """To and text, then send. The text leaves the field once sent (it stays if refused)."""
    return rx.form(
        rx.flex(
            labelled("dashboard_whatsapp.messages.to",
                     rx.input(name="to", placeholder="+55 11 91234-5678", id="send-to", required=True, width="100%",
                              auto_complete="tel"),
                     "send-to", width=rx.breakpoints(initial="100%", sm="14em"), flex_shrink="0"),
            labelled("dashboard_whatsapp.messages.text",
                     rx.input(name="text", id=SEND_TEXT_ELEMENT, required=True, width="100%"),
                     SEND_TEXT_ELEMENT, flex="1", width="100%", min_width="0"),
            rx.button(t("dashboard_whatsapp.messages.send"), type="submit", id="send-message", loading=S.busy,
                      flex_shrink="0"),
            direction=FORM_DIRECTION, spacing="3", align=rx.breakpoints(initial="stretch", sm="end"), width="100%",
        ),
        on_submit=S.send_message, reset_on_submit=False, width="100%",
    )


def _ai_card() -> rx.Component:
    """"AI answers this number": admins and owners switch it; members see how it is."""
    return rx.card(rx.vstack(
        rx.heading(t("knowledge_page.instance.ai_title"), as_="h2", size="4"),
        rx.hstack(
            rx.switch(checked=S.ai_answers, on_change=S.set_ai_answers, id="ai-answers", disabled=~S.can_manage,
                      data_on=rx.cond(S.ai_answers, "true", "false")),
            label("agent.whatsapp.ai_answers", "ai-answers"),
            align="center", spacing="2",
        ),
        rx.text(t("knowledge_page.instance.ai_help"), size="1", color_scheme="gray"),
        spacing="2", width="100%",
    ), width="100%", id="ai-answers-card")


def _messages_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(t("dashboard_whatsapp.messages.title"), as_="h2", size="4"),
        _send_form(),
        data_table(S.messages, MESSAGE_COLUMNS, table_id="messages-table", row_class="message-row",
                   row_attrs=lambda row: {"data_direction": row["direction"], "data_status": row["status"]},
                   empty_key="dashboard_whatsapp.messages.empty"),
        rx.cond(S.messages_cursor != "", rx.button(t("dashboard_whatsapp.load_more"), variant="soft", size="1",
                                                   on_click=S.load_more_messages, id="more-messages")),
        spacing="3", width="100%",
    ), width="100%")


def _secret_box() -> rx.Component:
    """Always in the page, hidden until a secret is made: the event that makes it writes it into
    `#webhook-secret` (it never enters the state; see livchat.state.reveal)."""
    return rx.callout(rx.vstack(
        rx.text(t("dashboard_whatsapp.webhook.secret_once"), weight="bold"),
        rx.hstack(
            rx.code(id=SECRET_ELEMENT, class_name="lc-wrap-anywhere"),
            rx.button(t("dashboard_whatsapp.copy"), on_click=copy_from(SECRET_ELEMENT), size="1"),
            rx.button(t("dashboard_whatsapp.done"), on_click=S.dismiss_secret, size="1", variant="soft"),
            align="center", wrap="wrap",
        ),
    ), icon="key-round", color_scheme="green", id="webhook-secret-callout",
        display=rx.cond(S.showing_secret, "flex", "none"))


def _webhook_health() -> rx.Component:
    """Paused (deliveries held until saved again), or failing since when (it pauses after 24 h)."""
    return rx.cond(
        S.webhook_paused,
        rx.callout(t("dashboard_whatsapp.webhook.paused"), icon="pause", color_scheme="amber", id="webhook-paused"),
        rx.cond(S.webhook_failing_since != "", rx.callout(
            rx.text(t("dashboard_whatsapp.webhook.failing_since"), " ", local_time(S.webhook_failing_since),
                    ". ", t("dashboard_whatsapp.webhook.failing_hint")),
            icon="triangle-alert", color_scheme="red", id="webhook-failing")),
    )


def _webhook_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(t("dashboard_whatsapp.webhook.title"), as_="h2", size="4"),
        _webhook_health(),
        _secret_box(),
        labelled("dashboard_whatsapp.webhook.url",
                 rx.input(value=S.webhook_url, on_change=S.set_webhook_url,
                          placeholder="https://example.com/webhooks/livchat", id="webhook-url", width="100%",
                          disabled=~S.can_manage, type="url"),
                 "webhook-url", width="100%"),
        rx.el.fieldset(
            rx.el.legend(rx.text(t("dashboard_whatsapp.webhooks.events"), size="2", weight="medium"),
                         margin_bottom="6px"),
            rx.flex(
                *[rx.checkbox(event, checked=S.webhook_events.contains(event),  # type: ignore[attr-defined]
                              on_change=S.toggle_event(event), disabled=~S.can_manage,
                              class_name="webhook-event", id=f"event-{event.replace('.', '-')}")
                  for event in WEBHOOK_EVENT_TYPES],
                wrap="wrap", spacing="4",
            ),
            border="none", padding="0", margin="0", min_width="0",
        ),
        rx.cond(S.has_webhook, rx.text(t("dashboard_whatsapp.webhook.secret_prefix"), " ", rx.code(S.secret_prefix),
                                       size="1", color_scheme="gray")),
        rx.cond(S.can_manage, rx.hstack(
            rx.button(t("dashboard_whatsapp.webhook.save"), on_click=S.save_webhook, id="save-webhook"),
            rx.cond(S.has_webhook, rx.fragment(
                confirmed(rx.button(t("dashboard_whatsapp.webhook.rotate"), variant="soft", id="rotate-secret"),
                          title_key="dashboard_whatsapp.webhook.rotate_title",
                          body_key="dashboard_whatsapp.webhook.rotate_confirm",
                          action_key="dashboard_whatsapp.webhook.rotate", on_confirm=S.rotate_secret,
                          confirm_id="confirm-rotate"),
                rx.button(t("dashboard_whatsapp.webhook.test"), on_click=S.send_test_event, variant="soft",
                          id="test-webhook"),
                confirmed(rx.button(t("dashboard_whatsapp.webhook.delete"), variant="soft", color_scheme="red",
                                    id="delete-webhook"),
                          title_key="dashboard_whatsapp.webhook.delete_title",
                          body_key="dashboard_whatsapp.webhook.delete_confirm",
                          action_key="dashboard_whatsapp.webhook.delete", on_confirm=S.delete_webhook,
                          confirm_id="confirm-delete-webhook"),
            )),
            spacing="2", wrap="wrap",
        )),
        spacing="3", width="100%",
    ), width="100%")


ATTEMPT_ERROR_KEYS = [f"dashboard_whatsapp.attempt_error.{kind}"
                      for kind in ("timeout", "http_status", "refused", "unreachable", "internal")]


def _attempt_response(row: rx.Var) -> rx.Component:
    return rx.fragment(
        rx.code(row["snippet"], size="1", white_space="pre-wrap", word_break="break-all"),
        rx.cond(row["error"] != "", rx.vstack(
            rx.match(row["error_key"], *[(k, rx.text(t(k), size="1", color_scheme="red", class_name="attempt-error"))
                                         for k in ATTEMPT_ERROR_KEYS], rx.fragment()),
            rx.text(row["error"], size="1", color_scheme="gray"),  # as the dispatcher wrote it
            spacing="0")),
    )


ATTEMPT_COLUMNS = [
    Column("", lambda row: row["attempt"], label="#"),
    Column("dashboard_whatsapp.messages.time", lambda row: local_time(row["time"])),
    Column("dashboard_whatsapp.deliveries.status_code", lambda row: row["status"]),
    Column("dashboard_whatsapp.deliveries.latency", lambda row: row["latency"]),
    Column("dashboard_whatsapp.deliveries.response", _attempt_response),
]


def _failure_reason(row: rx.Var) -> rx.Component:
    """Why a failed delivery failed, under its status (the API's failureReason)."""
    return rx.match(
        row["reason"],
        *[(reason, rx.text(t(f"dashboard_whatsapp.failure_reason.{reason}"), size="1", color_scheme="gray",
                           class_name="failure-reason")) for reason in (ENDPOINT_PAUSED, ATTEMPTS_EXHAUSTED)],
        rx.fragment(),
    )


def _attempts_panel(row: rx.Var) -> rx.Component:
    return rx.cond(S.expanded == row["id"], detail(
        data_table(S.attempts, ATTEMPT_COLUMNS, row_class="attempt-row", size="1",
                   empty_key="dashboard_whatsapp.deliveries.no_attempts"),
        columns=7, class_name="attempts-panel",
    ))


def _delivery_actions(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.button(t("dashboard_whatsapp.deliveries.details"), size="1", variant="ghost",
                  on_click=S.toggle_delivery(row["id"]), class_name="delivery-details",
                  aria_expanded=rx.cond(S.expanded == row["id"], "true", "false")),
        rx.button(t("dashboard_whatsapp.deliveries.redeliver"), size="1", variant="soft",
                  on_click=S.redeliver(row["id"]), class_name="redeliver"),
    )


DELIVERY_COLUMNS = [
    Column("dashboard_whatsapp.messages.time", lambda row: local_time(row["created"])),
    Column("dashboard_whatsapp.deliveries.event", lambda row: rx.code(row["event"])),
    Column("dashboard_whatsapp.instances.status", lambda row: rx.fragment(
        status_badge(row["status"], "dashboard_whatsapp.delivery_status"), _failure_reason(row))),
    Column("dashboard_whatsapp.deliveries.attempts", lambda row: row["attempts"]),
    Column("dashboard_whatsapp.deliveries.status_code", lambda row: row["response"]),
    Column("dashboard_whatsapp.deliveries.latency", lambda row: row["latency"]),
    actions_column(_delivery_actions),
]


def _deliveries_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(
            rx.heading(t("dashboard_whatsapp.deliveries.title"), as_="h2", size="4"),
            rx.spacer(),
            rx.cond(S.has_pending, rx.el.button(on_click=S.reload_deliveries, id="poll-deliveries", hidden=True)),
            rx.icon_button(rx.icon("refresh-cw", size=14), on_click=S.reload_deliveries, variant="ghost", size="1",
                           id="refresh-deliveries", aria_label=t("dashboard_whatsapp.deliveries.refresh")),
            rx.select.root(
                rx.select.trigger(id="delivery-filter", aria_label=t("dashboard_whatsapp.deliveries.filter")),
                rx.select.content(
                    rx.select.item(t("dashboard_whatsapp.deliveries.all"), value="all"),
                    *[rx.select.item(t(f"dashboard_whatsapp.delivery_status.{s}"), value=s)
                      for s in DELIVERY_STATUSES],
                ),
                value=S.delivery_filter, on_change=S.filter_deliveries, size="1",
            ),
            width="100%", align="center",
        ),
        data_table(S.deliveries, DELIVERY_COLUMNS, table_id="deliveries-table", row_class="delivery-row",
                   row_attrs=lambda row: {"data_status": row["status"], "data_event": row["event"]},
                   detail_row=_attempts_panel, empty_key="dashboard_whatsapp.deliveries.empty"),
        rx.cond(S.deliveries_cursor != "", rx.button(t("dashboard_whatsapp.load_more"), variant="soft", size="1",
                                                     on_click=S.load_more_deliveries, id="more-deliveries")),
        spacing="3", width="100%",
    ), width="100%")


def instance_page() -> rx.Component:
    return dashboard_shell(
        SECTION.label_key,
        rx.vstack(
            feed_watcher(S.refresh),
            rx.box(on_mount=rx.call_script(POLL_SCRIPT), display="none"),
            rx.link(t("dashboard_whatsapp.instances.back"), href=SECTION.route, size="2"),
            error_box(S.error, S.error_detail, S.error_reason),
            rx.cond(S.notice != "", rx.callout(
                rx.match(S.notice, *[(k, t(k)) for k in NOTICE_KEYS], ""),
                icon="check", color_scheme="green", id="dashboard-notice", role="status")),
            rx.cond(
                S.found,
                rx.vstack(
                    rx.hstack(
                        rx.heading(S.instance["name"], as_="h2", size="5", id="instance-name-heading"),
                        status_badge(S.instance["status"], "dashboard_whatsapp.status"),
                        rx.text(S.instance["number"], color_scheme="gray"),
                        align="center", spacing="3", wrap="wrap", id="instance-header",
                        data_status=S.instance["status"],
                    ),
                    _ai_card(),
                    _messages_card(),
                    _webhook_card(),
                    _deliveries_card(),
                    spacing="4", width="100%",
                ),
                rx.text(t("dashboard_whatsapp.instances.not_found"), color_scheme="gray"),
            ),
            spacing="4", width="100%",
        ),
    )


def register(app: rx.App) -> list[str]:
    app.add_page(instances_page, route=SECTION.route, title="LivChat — Instances",
                 on_load=[OrgFeed.link, InstancesState.load])
    app.add_page(instance_page, route=DETAIL_ROUTE, title="LivChat — Instance",
                 on_load=[OrgFeed.link, InstanceDetailState.load])
    return [SECTION.route, DETAIL_ROUTE]
