"""Dashboard → Members: people and roles, invitations, leaving."""

from __future__ import annotations

import reflex as rx

from livchat.components.confirm import confirmed
from livchat.components.errors import error_box
from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.components.table import Column, actions_column, data_table
from livchat.components.time import local_time
from livchat.state.members import MembersState

SECTION = Section("members", "users")
ROLES = ["owner", "admin", "member"]


def role_label(role: rx.Var) -> rx.Component:
    return rx.match(role, *[(r, t(f"accounts.role.{r}")) for r in ROLES], role)


def _member(member: rx.Var) -> rx.Component:
    me = member["me"] != ""
    return rx.vstack(
        rx.hstack(rx.text(member["name"], weight="medium"),
                  rx.cond(me, rx.badge(t("accounts.members.you"), variant="soft"))),
        rx.text(member["email"], size="1", color_scheme="gray"),
        spacing="0",
    )


def _manageable(member: rx.Var) -> rx.Var:
    # Admins manage admins and members; only owners touch owners (the services refuse it anyway).
    return (MembersState.can_manage & (member["me"] == "")
            & (MembersState.is_owner | (member["role"] != "owner")))


def _role(member: rx.Var) -> rx.Component:
    return rx.cond(
        _manageable(member),
        rx.select.root(
            rx.select.trigger(aria_label=t("accounts.members.role_of") + " " + member["email"].to(str)),
            rx.select.content(*[rx.select.item(t(f"accounts.role.{r}"), value=r) for r in ROLES]),
            value=member["role"],
            on_change=lambda role: MembersState.change_role(member["id"], role),
            size="1",
        ),
        role_label(member["role"]),
    )


def _member_actions(member: rx.Var) -> rx.Component:
    me = member["me"] != ""
    return rx.hstack(
        rx.cond(MembersState.is_owner & ~me & (member["role"] != "owner"),
                rx.button(t("accounts.members.make_owner"), on_click=MembersState.make_owner(member["id"]),
                          size="1", variant="soft")),
        rx.cond(_manageable(member),
                rx.button(t("accounts.members.remove"), on_click=MembersState.remove(member["id"]),
                          size="1", variant="soft", color_scheme="red")),
        wrap="wrap",
    )


COLUMNS = [
    Column("accounts.members.name", _member),
    Column("accounts.members.role", _role),
    actions_column(_member_actions),
]


def _invite_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="email", type="email", placeholder=t("accounts.email"), required=True, id="invite-email",
                     aria_label=t("accounts.email")),
            rx.select.root(
                rx.select.trigger(aria_label=t("accounts.members.role")),
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
        MembersState.invitations.length() > 0,
        rx.vstack(
            rx.heading(t("accounts.members.pending"), as_="h2", size="3"),
            rx.foreach(
                MembersState.invitations,
                lambda inv: rx.hstack(
                    rx.text(inv["email"]),
                    rx.badge(role_label(inv["role"])),
                    rx.text(t("accounts.members.expires"), " ", local_time(inv["expires"]), size="1",
                            color_scheme="gray"),
                    rx.button(t("accounts.members.revoke_invite"), on_click=MembersState.revoke_invitation(inv["id"]),
                              size="1", variant="soft", color_scheme="red"),
                    align="center",
                    wrap="wrap",
                    class_name="invitation-row",
                ),
            ),
            width="100%",
        ),
    )


def _outbox() -> rx.Component:
    return rx.cond(
        MembersState.emails.length() > 0,
        rx.vstack(
            rx.heading(t("accounts.members.outbox"), as_="h2", size="3"),
            rx.text(t("accounts.members.outbox_hint"), size="2", color_scheme="gray"),
            rx.foreach(
                MembersState.emails,
                lambda mail: rx.card(
                    rx.vstack(
                        rx.hstack(rx.text(mail["to"], weight="medium"), rx.spacer(),
                                  rx.text(local_time(mail["created"]), size="1", color_scheme="gray"), width="100%",
                                  wrap="wrap"),
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
            error_box(MembersState.error, element_id="form-error"),
            rx.cond(MembersState.notice != "", rx.callout(t("accounts.members.invited"), icon="mail-check",
                                                          color_scheme="green")),
            rx.cond(MembersState.can_manage, rx.vstack(rx.heading(t("accounts.members.invite"), as_="h2", size="3"),
                                                       _invite_form())),
            data_table(MembersState.members, COLUMNS, table_id="members-table", row_class="member-row"),
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


def register(app: rx.App) -> list[str]:
    app.add_page(members_page, route=SECTION.route, title="LivChat — Members", on_load=MembersState.load)
    return [SECTION.route]
