"""/sandbox: the simulated phone. Link one of your waiting sessions (click it, paste its QR
payload or type a pairing code), then act as contacts. Only the viewer's own instances show (a
signed-in user's organization, or the visitor's test-panel session). Element ids are stable for
browser tests and use our instance ids."""

from __future__ import annotations

import reflex as rx

from livchat.components.forms import label
from livchat.components.i18n import t
from livchat.components.layout import public_page
from livchat.i18n import EN
from livchat.state.sandbox_phone import SandboxPhoneState as S

NOTICE_KEYS = sorted(k for k in EN if k.startswith(("sandbox.done.", "sandbox.error.")))
STATE_KEYS = ["waiting", "linked", "offline", "disconnected"]
TYPE_KEYS = ["text", "image", "audio", "video", "document", "location"]
STATUS_KEYS = ["sent", "delivered", "read"]
POLL_MS = 3000
# One timer per tab; it clicks a hidden button only while this page is shown.
POLL_SCRIPT = (
    "window.__sandboxPoll = window.__sandboxPoll || setInterval(function () {"
    " var b = document.getElementById('sandbox-poll'); if (b && !document.hidden) { b.click(); } }, "
    f"{POLL_MS});"
)


def _translated(value: rx.Var, prefix: str, keys: list[str]) -> rx.Var:
    return rx.match(value, *[(k, t(f"{prefix}.{k}")) for k in keys], value)


def _session_row(session: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(session["name"], weight="bold", size="2"),
            rx.text(_translated(session["state"], "sandbox.state", STATE_KEYS), " ", session["phone"],
                    size="1", color_scheme="gray"),
            spacing="0",
        ),
        rx.spacer(),
        rx.cond(
            session["state"] == "waiting",
            rx.button(t("sandbox.link"), size="1", id=f"sandbox-link-{session['instance_id']}",
                      on_click=S.link_session(session["instance_id"])),
        ),
        rx.cond(
            session["state"] == "offline",
            rx.button(t("sandbox.reconnect"), size="1", variant="soft", id=f"sandbox-reconnect-{session['instance_id']}",
                      on_click=S.reconnect(session["instance_id"])),
        ),
        id=f"sandbox-session-{session['instance_id']}",
        width="100%",
        align="center",
        padding_y="6px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _sessions_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(t("sandbox.sessions"), as_="h2", size="4"),
                rx.spacer(),
                rx.button(rx.icon("refresh-cw", size=14, aria_hidden="true"), t("sandbox.refresh"), size="1", variant="soft",
                          id="sandbox-refresh", on_click=S.refresh),
                width="100%",
                align="center",
            ),
            rx.cond(
                S.sessions.length() > 0,
                rx.vstack(rx.foreach(S.sessions, _session_row), id="sandbox-sessions", width="100%", spacing="0"),
                rx.box(rx.text(rx.cond(S.signed_out, t("sandbox.sessions.signed_out"), t("sandbox.sessions.empty")),
                               size="2", color_scheme="gray"), id="sandbox-sessions"),
            ),
            rx.heading(t("sandbox.link.title"), as_="h3", size="3", padding_top="8px"),
            rx.input(placeholder=t("sandbox.phone"), value=S.phone, on_change=S.set_phone, id="sandbox-phone",
                     aria_label=t("sandbox.phone"), width="100%"),
            rx.hstack(
                rx.input(placeholder=t("sandbox.qr"), value=S.qr_payload, on_change=S.set_qr_payload,
                         id="sandbox-qr", aria_label=t("sandbox.qr"), flex="1", min_width="0"),
                rx.button(t("sandbox.link_qr"), id="sandbox-link-qr", on_click=S.link_qr, variant="soft"),
                width="100%",
            ),
            rx.hstack(
                rx.input(placeholder=t("sandbox.pairing_code"), value=S.pairing_code, on_change=S.set_pairing_code,
                         id="sandbox-pairing-code", aria_label=t("sandbox.pairing_code"), flex="1", min_width="0"),
                rx.button(t("sandbox.link_code"), id="sandbox-link-code", on_click=S.link_code, variant="soft"),
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _outbox_item(item: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(item["text"], size="2"),
            rx.text("→ ", item["to"], " · ", _translated(item["type"], "sandbox.type", TYPE_KEYS), " · ",
                    _translated(item["status"], "sandbox.status", STATUS_KEYS), size="1", color_scheme="gray",
                    id=f"sandbox-status-{item['id']}"),
            spacing="0",
            min_width="0",
        ),
        rx.spacer(),
        rx.button(t("sandbox.delivered"), size="1", variant="soft", id=f"sandbox-delivered-{item['id']}",
                  on_click=S.mark(item["id"], "Delivered")),
        rx.button(t("sandbox.read"), size="1", id=f"sandbox-read-{item['id']}", on_click=S.mark(item["id"], "Read")),
        id=f"sandbox-out-{item['id']}",
        width="100%",
        align="center",
        padding_y="6px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _contact_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            label("sandbox.active", "sandbox-active-session"),
            rx.el.select(
                rx.el.option(t("sandbox.active.none"), value=""),
                rx.foreach(S.linked_sessions,
                           lambda s: rx.el.option(s["name"], " · ", s["phone"], value=s["instance_id"])),
                value=S.active_session,
                on_change=S.set_active_session,
                id="sandbox-active-session",
                style={"width": "100%", "padding": "6px", "color": "inherit", "background": "transparent",
                       "border": f"1px solid {rx.color('gray', 7)}", "border-radius": "var(--radius-2)"},
            ),
            rx.heading(t("sandbox.contact.title"), as_="h2", size="3", padding_top="8px"),
            rx.input(placeholder=t("sandbox.from"), value=S.sender, on_change=S.set_sender, id="sandbox-from",
                     aria_label=t("sandbox.from"), width="100%"),
            rx.hstack(
                rx.input(placeholder=t("sandbox.text"), value=S.text, on_change=S.set_text, id="sandbox-text",
                         aria_label=t("sandbox.text"), flex="1", min_width="0"),
                rx.button(t("sandbox.send"), id="sandbox-send", on_click=S.send),
                width="100%",
            ),
            rx.heading(t("sandbox.outbox"), as_="h3", size="3", padding_top="8px"),
            rx.cond(
                S.outbox.length() > 0,
                rx.vstack(rx.foreach(S.outbox, _outbox_item), id="sandbox-outbox", width="100%", spacing="0"),
                rx.box(rx.text(t("sandbox.outbox.empty"), size="2", color_scheme="gray"), id="sandbox-outbox"),
            ),
            rx.hstack(
                rx.button(t("sandbox.disconnect"), id="sandbox-disconnect", variant="soft", color_scheme="orange",
                          on_click=S.disconnect),
                rx.button(t("sandbox.logout"), id="sandbox-logout", variant="soft", color_scheme="red",
                          on_click=S.logout),
                padding_top="8px",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _notice() -> rx.Component:
    return rx.cond(
        S.notice_key != "",
        rx.callout(
            rx.match(S.notice_key, *[(k, t(k)) for k in NOTICE_KEYS], ""),
            color_scheme=rx.cond(S.notice_ok, "teal", "red"),
            id="sandbox-notice",
            width="100%",
            role="status",
        ),
    )


def sandbox_page() -> rx.Component:
    return public_page(
        rx.container(
            rx.vstack(
                rx.heading(t("sandbox.title"), as_="h1", size="7", id="sandbox-title"),
                rx.el.button(id="sandbox-poll", on_click=S.poll, style={"display": "none"}, aria_hidden="true"),
                rx.text(t("sandbox.subtitle"), color_scheme="gray"),
                rx.cond(
                    S.enabled,
                    rx.vstack(
                        _notice(),
                        rx.grid(_sessions_card(), _contact_card(), columns=rx.breakpoints(initial="1", md="2"),
                                spacing="4", width="100%"),
                        width="100%",
                        spacing="4",
                    ),
                    rx.callout(t("sandbox.disabled"), color_scheme="gray", id="sandbox-disabled"),
                ),
                spacing="4",
                width="100%",
                padding_y="32px",
            ),
            size="4",
            on_mount=rx.call_script(POLL_SCRIPT),
        ),
        title_key="sandbox.title",
    )


def register(app: rx.App) -> list[str]:
    app.add_page(sandbox_page, route="/sandbox", title="LivChat — Sandbox", on_load=S.refresh)
    return ["/sandbox"]
