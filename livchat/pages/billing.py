"""Dashboard → Billing: current plan and usage against it, the price calculator, upgrade or
downgrade (Stripe Checkout, or an instant switch in development mode), the Customer Portal,
invoices. Owners change; admins and members look."""

from __future__ import annotations

import reflex as rx

from livchat.components.errors import error_box
from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.components.pricing import calculator
from livchat.components.status import status_badge
from livchat.components.table import Column, data_table
from livchat.components.time import local_time
from livchat.models.enums import Plan
from livchat.state.billing import BillingState
from livchat.state.i18n import LangState

SECTION = Section("billing", "credit-card")
STATUSES = "billing.status"


def _plan_name(plan: rx.Var) -> rx.Var:
    return rx.match(plan, *[(p.value, t(f"dashboard_whatsapp.plan.{p.value}")) for p in Plan], plan)


def _mode_notice() -> rx.Component:
    return rx.cond(
        BillingState.mode == "development",
        rx.callout(t("billing.development_mode"), icon="flask-conical", color_scheme="amber", id="billing-dev-mode",
                   width="100%"),
    )


def _past_due() -> rx.Component:
    return rx.cond(
        BillingState.status == "past_due",
        rx.callout(rx.vstack(
            rx.text(t("billing.past_due")),
            rx.cond(BillingState.grace_ends != "",
                    rx.text(t("billing.grace_until"), " ", local_time(BillingState.grace_ends), size="2")),
            spacing="1"), icon="triangle-alert", color_scheme="red", id="billing-past-due", role="alert",
            width="100%"),
    )


def _awaiting_checkout() -> rx.Component:
    return rx.cond(
        BillingState.awaiting_checkout,
        rx.callout(t("billing.awaiting_checkout"), icon="loader", color_scheme="blue", id="billing-awaiting",
                   role="status", width="100%"),
    )


def _current() -> rx.Component:
    used, allowed = BillingState.instances_used, BillingState.instances_allowed
    return rx.card(rx.vstack(
        rx.heading(t("billing.current"), as_="h2", size="4"),
        rx.hstack(
            rx.badge(_plan_name(BillingState.plan), size="3", id="billing-plan"),
            status_badge(BillingState.status, STATUSES, id="billing-status"),
            align="center", spacing="2", wrap="wrap",
        ),
        rx.text(t("billing.instances"), ": ",
                rx.el.span(used.to(str), "/", allowed.to(str), id="billing-instances"), size="3"),
        rx.cond(allowed > 0, rx.progress(value=rx.cond(used >= allowed, 100, (used * 100 / allowed).to(int)),
                                         max=100, width="100%", aria_label=t("billing.instances"))),
        rx.cond(used > allowed, rx.text(t("billing.over_limit"), size="2", color_scheme="red", id="billing-over")),
        rx.cond(BillingState.extra_instances > 0,
                rx.text(t("billing.extra_instances"), ": ", BillingState.extra_instances.to(str), size="2",
                        id="billing-extra")),
        rx.cond(BillingState.renews != "",
                rx.text(t("billing.renews"), " ", local_time(BillingState.renews), size="2", color_scheme="gray")),
        spacing="2", width="100%",
    ), width="100%", id="billing-current")


def _actions() -> rx.Component:
    return rx.cond(
        BillingState.can_manage,
        rx.vstack(
            rx.hstack(
                rx.button(t("billing.choose_starter"), on_click=BillingState.choose_plan("starter"),
                          loading=BillingState.busy, id="billing-upgrade"),
                rx.cond(BillingState.mode == "development",
                        rx.button(t("billing.choose_scale"), on_click=BillingState.choose_plan("scale"),
                                  variant="soft", loading=BillingState.busy, id="billing-scale"),
                        rx.link(t("billing.scale_contact"), href="mailto:sales@livchat.ai", id="billing-scale-contact",
                                size="2")),
                rx.cond(BillingState.plan != "free",
                        rx.button(t("billing.choose_free"), on_click=BillingState.choose_plan("free"),
                                  variant="outline", color_scheme="gray", loading=BillingState.busy,
                                  id="billing-downgrade")),
                rx.cond(BillingState.has_customer & (BillingState.mode == "stripe"),
                        rx.button(t("billing.portal"), on_click=BillingState.open_portal, variant="soft",
                                  loading=BillingState.busy, id="billing-portal")),
                spacing="3", wrap="wrap",
            ),
            rx.text(t("billing.starter_hint"), size="2", color_scheme="gray"),
            rx.cond(BillingState.changed,
                    rx.callout(t("billing.changed"), icon="check", color_scheme="green", id="billing-changed",
                               role="status", width="100%")),
            spacing="2", width="100%",
        ),
        rx.text(t("billing.owners_only"), size="2", color_scheme="gray", id="billing-owners-only"),
    )


INVOICE_COLUMNS = [
    Column("billing.invoice.number", lambda i: i["number"]),
    Column("billing.invoice.date", lambda i: local_time(i["created"])),
    Column("billing.invoice.amount", lambda i: rx.cond(LangState.lang == "pt-BR", i["amount_pt"], i["amount_en"])),
    Column("billing.invoice.status", lambda i: status_badge(i["status"], STATUSES)),
    Column("billing.invoice.link", lambda i: rx.cond(i["url"] != "", rx.link(t("billing.invoice.open"), href=i["url"],
                                                                            is_external=True))),
]


def _invoices() -> rx.Component:
    return rx.vstack(
        rx.heading(t("billing.invoices"), as_="h2", size="4"),
        rx.cond(
            BillingState.mode == "development",
            rx.text(t("billing.invoices_development"), size="2", color_scheme="gray", id="billing-no-invoices"),
            data_table(BillingState.invoices, INVOICE_COLUMNS, table_id="billing-invoices", row_class="billing-invoice",
                       empty_key="billing.invoices_none", empty_id="billing-no-invoices", size="1"),
        ),
        spacing="3", width="100%",
    )


def billing_page() -> rx.Component:
    return dashboard_shell(
        SECTION.label_key,
        rx.vstack(
            _mode_notice(),
            error_box(BillingState.error, element_id="billing-error"),
            _past_due(),
            _awaiting_checkout(),
            _current(),
            calculator("h2"),
            _actions(),
            _invoices(),
            spacing="4", width="100%", max_width="860px",
        ),
    )


def register(app: rx.App) -> list[str]:
    app.add_page(billing_page, route=SECTION.route, title="LivChat — Billing", on_load=BillingState.load)
    return [SECTION.route]
