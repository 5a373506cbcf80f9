"""Dashboard → Instances (list, create, connect, live status) and one instance's page
(messages, test send, webhook, deliveries). Both follow the organization's live feed."""

from __future__ import annotations

import reflex as rx

from livchat.components.confirm import confirmed
from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.services.webhooks.outbox import ATTEMPTS_EXHAUSTED, ENDPOINT_PAUSED
from livchat.services.whatsapp.events import WEBHOOK_EVENT_TYPES
from livchat.state.feeds import OrgFeed, feed_lifespan, feed_watcher
from livchat.state.instance_detail import (
    DELIVERY_STATUSES,
    SECRET_ELEMENT,
    InstanceDetailState,
)
from livchat.state.instances import InstancesState
from livchat.state.reveal import copy_from
from livchat.state.whatsapp_common import WITH_DETAIL

SECTION = Section("instances", "smartphone")
DETAIL_ROUTE = "/dashboard/instances/[instance_key]"
# One timer per tab: it clicks the hidden #poll-deliveries button only while that is rendered
# (an instance page with pending deliveries).
POLL_SCRIPT = (
    "window.__deliveriesPoll = window.__deliveriesPoll || setInterval(function () {"
    " var b = document.getElementById('poll-deliveries'); if (b) { b.click(); } }, 2000);"
)
STATUS_COLORS = {"connected": "green", "connecting": "amber", "disconnected": "gray", "sent": "blue",
                 "delivered": "teal", "read": "green", "failed": "red", "received": "violet", "pending": "gray"}


def status_badge(status: rx.Var, prefix: str) -> rx.Component:
    """A coloured badge with the translated status (`<prefix>.<status>`)."""
    return rx.match(
        status,
        *[(name, rx.badge(t(f"{prefix}.{name}"), color_scheme=color, class_name=f"status-{name}"))
          for name, color in STATUS_COLORS.items() if f"{prefix}.{name}" in _KEYS],
        rx.badge(status, color_scheme="gray"),
    )


def error_text(key: rx.Var) -> rx.Var:
    """The translated text of an error key (see state.whatsapp_common.code_key)."""
    from livchat.i18n import EN

    return rx.match(key, *[(k, t(k)) for k in EN if k.startswith(("dashboard_whatsapp.errors.", "whatsapp.errors.",
                                                                   "accounts.errors."))],
                    t("dashboard_whatsapp.errors.unexpected"))


URL_REFUSED_KEYS = [f"dashboard_whatsapp.url_refused.{reason}" for reason in
                    ("length", "characters", "malformed", "scheme", "credentials", "unresolvable", "not_public")]


def error_box(key: rx.Var, detail: rx.Var, reason: rx.Var | None = None) -> rx.Component:
    """The translated error; beneath it, `reason` translated when given, else the English detail."""
    if reason is not None:
        detail = rx.match(reason, *[(k, t(k)) for k in URL_REFUSED_KEYS], detail)
    return rx.cond(
        key != "",
        rx.callout(
            rx.vstack(
                error_text(key),
                rx.cond(rx.Var.create(list(WITH_DETAIL)).contains(key), rx.text(detail, size="1")),
                spacing="1",
            ),
            icon="triangle-alert", color_scheme="red", id="dashboard-error",
        ),
    )


def _link_panel(row: rx.Var) -> rx.Component:
    return rx.cond(
        InstancesState.linking == row["id"],
        rx.table.row(rx.table.cell(
            rx.hstack(
                rx.cond(
                    InstancesState.qr_image != "",
                    rx.vstack(rx.image(src=InstancesState.qr_image, width="240px", height="240px", id="instance-qr",
                                       alt=t("dashboard_whatsapp.instances.qr_alt")),
                              rx.text(t("dashboard_whatsapp.instances.qr_help"), size="1", color_scheme="gray")),
                ),
                rx.cond(
                    InstancesState.pairing_code != "",
                    rx.vstack(rx.text(t("dashboard_whatsapp.instances.pairing_help"), size="2"),
                              rx.code(InstancesState.pairing_code, size="6", id="pairing-code")),
                ),
                rx.form(
                    rx.hstack(
                        rx.input(name="phone", placeholder=t("dashboard_whatsapp.instances.phone"), id="pair-phone",
                                 min_width="17em"),
                        rx.button(t("dashboard_whatsapp.instances.pair"), type="submit", variant="soft",
                                  id="pair-submit"),
                    ),
                    # The open panel's id from state: a foreach row var is out of scope in a submit handler.
                    on_submit=lambda form: InstancesState.pair(InstancesState.linking, form),
                ),
                rx.button(t("dashboard_whatsapp.close"), on_click=InstancesState.close_linking, variant="ghost"),
                align="start", spacing="5", wrap="wrap",
            ),
            col_span=5,
        ), class_name="link-panel"),
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


def _instance_rows(row: rx.Var) -> rx.Component:
    return rx.fragment(
        rx.table.row(
            rx.table.cell(rx.text(row["name"], weight="medium")),
            rx.table.cell(status_badge(row["status"], "dashboard_whatsapp.status")),
            rx.table.cell(row["number"]),
            rx.table.cell(rx.cond(row["last_connected"] != "", row["last_connected"],
                                  t("dashboard_whatsapp.never"))),
            rx.table.cell(_actions(row)),
            class_name="instance-row", data_instance=row["id"], data_status=row["status"],
        ),
        _link_panel(row),
    )


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
                    rx.hstack(
                        rx.input(name="name", placeholder=t("dashboard_whatsapp.instances.name"), id="instance-name",
                                 required=True, max_length=100),
                        rx.button(t("dashboard_whatsapp.instances.create"), type="submit", id="create-instance",
                                  loading=InstancesState.busy),
                    ),
                    on_submit=InstancesState.create,
                    reset_on_submit=True,
                ),
            ),
            rx.cond(
                InstancesState.instances.length() > 0,  # type: ignore[attr-defined]
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell(t("dashboard_whatsapp.instances.name")),
                        rx.table.column_header_cell(t("dashboard_whatsapp.instances.status")),
                        rx.table.column_header_cell(t("dashboard_whatsapp.instances.number")),
                        rx.table.column_header_cell(t("dashboard_whatsapp.instances.last_connected")),
                        rx.table.column_header_cell(""),
                    )),
                    rx.table.body(rx.foreach(InstancesState.instances, _instance_rows)),
                    width="100%", id="instances-table",
                ),
                rx.text(t("dashboard_whatsapp.instances.empty"), color_scheme="gray", id="instances-empty"),
            ),
            spacing="4", width="100%",
        ),
    )


# --- one instance ------------------------------------------------------------------------------

S = InstanceDetailState


def _message_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["time"]),
        rx.table.cell(rx.cond(row["direction"] == "inbound", rx.icon("arrow-down-left", size=16),
                              rx.icon("arrow-up-right", size=16))),
        rx.table.cell(row["phone"]),
        rx.table.cell(rx.text(row["text"], size="2"), rx.cond(row["error"] != "", rx.vstack(
            rx.text(error_text(row["error_key"]), size="1", color_scheme="red", class_name="message-error"),
            rx.text(row["error"], size="1", color_scheme="gray"),  # the technical detail, as the API gives it
            spacing="0"))),
        rx.table.cell(status_badge(row["status"], "dashboard_whatsapp.message_status")),
        class_name="message-row", data_direction=row["direction"], data_status=row["status"],
    )


def _messages_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(t("dashboard_whatsapp.messages.title"), size="4"),
        rx.form(
            rx.hstack(
                rx.input(name="to", placeholder=t("dashboard_whatsapp.messages.to"), id="send-to", required=True,
                         min_width="14em"),
                rx.input(name="text", placeholder=t("dashboard_whatsapp.messages.text"), id="send-text",
                         required=True, flex="1"),
                rx.button(t("dashboard_whatsapp.messages.send"), type="submit", id="send-message", loading=S.busy),
                width="100%",
            ),
            on_submit=S.send_message, reset_on_submit=False, width="100%",
        ),
        rx.cond(
            S.messages.length() > 0,  # type: ignore[attr-defined]
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell(t("dashboard_whatsapp.messages.time")),
                    rx.table.column_header_cell(t("dashboard_whatsapp.messages.direction")),
                    rx.table.column_header_cell(t("dashboard_whatsapp.messages.phone")),
                    rx.table.column_header_cell(t("dashboard_whatsapp.messages.text")),
                    rx.table.column_header_cell(t("dashboard_whatsapp.instances.status")),
                )),
                rx.table.body(rx.foreach(S.messages, _message_row)),
                width="100%", id="messages-table",
            ),
            rx.text(t("dashboard_whatsapp.messages.empty"), color_scheme="gray"),
        ),
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
            rx.code(id=SECRET_ELEMENT),
            rx.button(t("dashboard_whatsapp.copy"), on_click=copy_from(SECRET_ELEMENT), size="1"),
            rx.button(t("dashboard_whatsapp.done"), on_click=S.dismiss_secret, size="1", variant="soft"),
            align="center", wrap="wrap",
        ),
    ), icon="key-round", color_scheme="green", id="webhook-secret-callout",
        display=rx.cond(S.showing_secret, "flex", "none"))


def _webhook_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(t("dashboard_whatsapp.webhook.title"), size="4"),
        rx.cond(S.webhook_paused, rx.callout(t("dashboard_whatsapp.webhook.paused"), icon="pause",
                                             color_scheme="amber")),
        _secret_box(),
        rx.input(value=S.webhook_url, on_change=S.set_webhook_url, placeholder="https://example.com/webhooks/livchat",
                 id="webhook-url", width="100%", disabled=~S.can_manage),
        rx.flex(
            *[rx.checkbox(event, checked=S.webhook_events.contains(event),  # type: ignore[attr-defined]
                          on_change=S.toggle_event(event), disabled=~S.can_manage,
                          class_name="webhook-event", id=f"event-{event.replace('.', '-')}")
              for event in WEBHOOK_EVENT_TYPES],
            wrap="wrap", spacing="4",
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


def _attempt_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["attempt"]), rx.table.cell(row["time"]), rx.table.cell(row["status"]),
        rx.table.cell(row["latency"]),
        rx.table.cell(rx.code(row["snippet"], size="1", white_space="pre-wrap", word_break="break-all"),
                      rx.cond(row["error"] != "", rx.vstack(
                          rx.match(row["error_key"], *[(k, rx.text(t(k), size="1", color_scheme="red",
                                                                   class_name="attempt-error"))
                                                       for k in ATTEMPT_ERROR_KEYS], rx.fragment()),
                          rx.text(row["error"], size="1", color_scheme="gray"),  # as the dispatcher wrote it
                          spacing="0"))),
        class_name="attempt-row",
    )


def _failure_reason(row: rx.Var) -> rx.Component:
    """Why a failed delivery failed, under its status (the API's failureReason)."""
    return rx.match(
        row["reason"],
        *[(reason, rx.text(t(f"dashboard_whatsapp.failure_reason.{reason}"), size="1", color_scheme="gray",
                           class_name="failure-reason")) for reason in (ENDPOINT_PAUSED, ATTEMPTS_EXHAUSTED)],
        rx.fragment(),
    )


def _delivery_rows(row: rx.Var) -> rx.Component:
    return rx.fragment(
        rx.table.row(
            rx.table.cell(row["created"]),
            rx.table.cell(rx.code(row["event"])),
            rx.table.cell(status_badge(row["status"], "dashboard_whatsapp.delivery_status"), _failure_reason(row)),
            rx.table.cell(row["attempts"]),
            rx.table.cell(row["response"]),
            rx.table.cell(row["latency"]),
            rx.table.cell(rx.hstack(
                rx.button(t("dashboard_whatsapp.deliveries.details"), size="1", variant="ghost",
                          on_click=S.toggle_delivery(row["id"]), class_name="delivery-details"),
                rx.button(t("dashboard_whatsapp.deliveries.redeliver"), size="1", variant="soft",
                          on_click=S.redeliver(row["id"]), class_name="redeliver"),
            )),
            class_name="delivery-row", data_status=row["status"], data_event=row["event"],
        ),
        rx.cond(S.expanded == row["id"], rx.table.row(rx.table.cell(
            rx.cond(
                S.attempts.length() > 0,  # type: ignore[attr-defined]
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell("#"),
                        rx.table.column_header_cell(t("dashboard_whatsapp.messages.time")),
                        rx.table.column_header_cell(t("dashboard_whatsapp.deliveries.status_code")),
                        rx.table.column_header_cell(t("dashboard_whatsapp.deliveries.latency")),
                        rx.table.column_header_cell(t("dashboard_whatsapp.deliveries.response")),
                    )),
                    rx.table.body(rx.foreach(S.attempts, _attempt_row)),
                    size="1", width="100%",
                ),
                rx.text(t("dashboard_whatsapp.deliveries.no_attempts"), size="2", color_scheme="gray"),
            ),
            col_span=7,
        ), class_name="attempts-panel")),
    )


def _deliveries_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(
            rx.heading(t("dashboard_whatsapp.deliveries.title"), size="4"),
            rx.spacer(),
            rx.cond(S.has_pending, rx.el.button(on_click=S.reload_deliveries, id="poll-deliveries", hidden=True)),
            rx.icon_button(rx.icon("refresh-cw", size=14), on_click=S.reload_deliveries, variant="ghost", size="1",
                           id="refresh-deliveries", aria_label=t("dashboard_whatsapp.deliveries.refresh")),
            rx.select.root(
                rx.select.trigger(id="delivery-filter"),
                rx.select.content(
                    rx.select.item(t("dashboard_whatsapp.deliveries.all"), value="all"),
                    *[rx.select.item(t(f"dashboard_whatsapp.delivery_status.{s}"), value=s)
                      for s in DELIVERY_STATUSES],
                ),
                value=S.delivery_filter, on_change=S.filter_deliveries, size="1",
            ),
            width="100%", align="center",
        ),
        rx.cond(
            S.deliveries.length() > 0,  # type: ignore[attr-defined]
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell(t("dashboard_whatsapp.messages.time")),
                    rx.table.column_header_cell(t("dashboard_whatsapp.deliveries.event")),
                    rx.table.column_header_cell(t("dashboard_whatsapp.instances.status")),
                    rx.table.column_header_cell(t("dashboard_whatsapp.deliveries.attempts")),
                    rx.table.column_header_cell(t("dashboard_whatsapp.deliveries.status_code")),
                    rx.table.column_header_cell(t("dashboard_whatsapp.deliveries.latency")),
                    rx.table.column_header_cell(""),
                )),
                rx.table.body(rx.foreach(S.deliveries, _delivery_rows)),
                width="100%", id="deliveries-table",
            ),
            rx.text(t("dashboard_whatsapp.deliveries.empty"), color_scheme="gray"),
        ),
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
                rx.match(S.notice, *[(k, t(k)) for k in _KEYS if k.startswith(
                    ("dashboard_whatsapp.webhook.", "dashboard_whatsapp.messages."))], ""),
                icon="check", color_scheme="green", id="dashboard-notice")),
            rx.cond(
                S.found,
                rx.vstack(
                    rx.hstack(
                        rx.heading(S.instance["name"], size="5", id="instance-name-heading"),
                        status_badge(S.instance["status"], "dashboard_whatsapp.status"),
                        rx.text(S.instance["number"], color_scheme="gray"),
                        align="center", spacing="3", id="instance-header", data_status=S.instance["status"],
                    ),
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


def _keys() -> set[str]:
    from livchat.i18n import EN

    return {k for k in EN if k.startswith("dashboard_whatsapp.")}


_KEYS = _keys()


def register(app: rx.App) -> list[str]:
    from livchat.pages.usage import register as register_usage
    from livchat.pages.webhooks import register as register_webhooks

    app.register_lifespan_task(feed_lifespan)
    on_load_list = [OrgFeed.link, InstancesState.load]
    app.add_page(instances_page, route=SECTION.route, title="LivChat — Instances", on_load=on_load_list)
    app.add_page(instance_page, route=DETAIL_ROUTE, title="LivChat — Instance",
                 on_load=[OrgFeed.link, InstanceDetailState.load])
    return [SECTION.route, *register_usage(app), *register_webhooks(app)]
