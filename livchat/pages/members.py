"""Dashboard → Members: people and roles, invitations, leaving."""

from __future__ import annotations

import reflex as rx

from livchat.components.confirm import confirmed
from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.pages.auth import error_callout
from livchat.state.members import MembersState

SECTION = Section("members", "users")
ROLES = ["owner", "admin", "member"]


def role_label(role: rx.Var) -> rx.Component:
    return rx.match(role, *[(r, t(f"accounts.role.{r}")) for r in ROLES], role)


def _member_row(member: rx.Var) -> rx.Component:
    me = member["me"] != ""
    # Admins manage admins and members; only owners touch owners (the services refuse it anyway).
    manageable = MembersState.can_manage & ~me & (MembersState.is_owner | (member["role"] != "owner"))
    return rx.table.row(
        rx.table.cell(rx.vstack(
            rx.hstack(rx.text(member["name"], weight="medium"),
                      rx.cond(me, rx.badge(t("accounts.members.you"), variant="soft"))),
            rx.text(member["email"], size="1", color_scheme="gray"),
            spacing="0",
        )),
        rx.table.cell(
            rx.cond(
                manageable,
                rx.select.root(
                    rx.select.trigger(),
                    rx.select.content(*[rx.select.item(t(f"accounts.role.{r}"), value=r) for r in ROLES]),
                    value=member["role"],
                    on_change=lambda role: MembersState.change_role(member["id"], role),
                    size="1",
                ),
                role_label(member["role"]),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.cond(MembersState.is_owner & ~me & (member["role"] != "owner"),
                        rx.button(t("accounts.members.make_owner"), on_click=MembersState.make_owner(member["id"]),
                                  size="1", variant="soft")),
                rx.cond(manageable,
                        rx.button(t("accounts.members.remove"), on_click=MembersState.remove(member["id"]),
                                  size="1", variant="soft", color_scheme="red")),
            )
        ),
        class_name="member-row",
    )


def _invite_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="email", type="email", placeholder=t("accounts.email"), required=True, id="invite-email"),
            rx.select.root(
                rx.select.trigger(),
                rx.select.content(*[rx.select.item(t(f"accounts.role.{r}"), value=r) for r in ROLES]),
                name="role",
                default_value="member",
            ),
            rx.button(t("accounts.members.invite_submit"), type="submit", id="invite-submit"),
            wrap="wrap",
        ),
        on_submit=MembersState.invite,
        reset_on_submit=True,
    )


def _invitations() -> rx.Component:
    return rx.cond(
        MembersState.invitations.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(
            rx.heading(t("accounts.members.pending"), size="3"),
            rx.foreach(
                MembersState.invitations,
                lambda inv: rx.hstack(
                    rx.text(inv["email"]),
                    rx.badge(role_label(inv["role"])),
                    rx.text(t("accounts.members.expires"), " ", inv["expires"], size="1", color_scheme="gray"),
                    rx.button(t("accounts.members.revoke_invite"), on_click=MembersState.revoke_invitation(inv["id"]),
                              size="1", variant="soft", color_scheme="red"),
                    align="center",
                    class_name="invitation-row",
                ),
            ),
            width="100%",
        ),
    )


def _outbox() -> rx.Component:
    return rx.cond(
        MembersState.emails.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(
            rx.heading(t("accounts.members.outbox"), size="3"),
            rx.text(t("accounts.members.outbox_hint"), size="2", color_scheme="gray"),
            rx.foreach(
                MembersState.emails,
                lambda mail: rx.card(
                    rx.vstack(
                        rx.hstack(rx.text(mail["to"], weight="medium"), rx.spacer(),
                                  rx.text(mail["created"], size="1", color_scheme="gray"), width="100%"),
                        rx.text(mail["subject"], size="2", class_name="outbox-subject"),
                        spacing="1",
                        width="100%",
                    ),
                    width="100%",
                    class_name="outbox-email",
                ),
            ),
            width="100%",
            id="outbox",
        ),
    )


def members_page() -> rx.Component:
    return dashboard_shell(
        SECTION.label_key,
        rx.vstack(
            rx.text(t("accounts.members.subtitle"), color_scheme="gray"),
            error_callout(MembersState.error),
            rx.cond(MembersState.notice != "", rx.callout(t("accounts.members.invited"), icon="mail-check",
                                                          color_scheme="green")),
            rx.cond(MembersState.can_manage, rx.vstack(rx.heading(t("accounts.members.invite"), size="3"),
                                                       _invite_form())),
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell(t("accounts.members.name")),
                    rx.table.column_header_cell(t("accounts.members.role")),
                    rx.table.column_header_cell(""),
                )),
                rx.table.body(rx.foreach(MembersState.members, _member_row)),
                width="100%",
                id="members-table",
            ),
            _invitations(),
            _outbox(),
            confirmed(rx.button(t("accounts.members.leave"), variant="outline", color_scheme="red",
                                id="leave-organization"),
                      title_key="accounts.members.leave_title", body_key="accounts.members.leave_confirm",
                      action_key="accounts.members.leave", on_confirm=MembersState.leave,
                      confirm_id="confirm-leave"),
            spacing="4",
            width="100%",
        ),
    )


def register(app: rx.App) -> str:
    app.add_page(members_page, route=SECTION.route, title="LivChat — Members", on_load=MembersState.load)
    return SECTION.route
