"""Plans and the price calculator, on the landing page and on /pricing. Every figure comes from
the services: prices from `services.billing.prices`, limits from `services.usage.limits`."""

from __future__ import annotations

import reflex as rx

from livchat.components.i18n import t
from livchat.i18n import CATALOGUES
from livchat.models.enums import Plan
from livchat.services.billing import prices
from livchat.services.usage.limits import PLANS
from livchat.state.i18n import LangState
from livchat.state.pricing import PricingState


def _in_language(en: str | rx.Var, pt: str | rx.Var) -> rx.Var:
    return rx.cond(LangState.lang == "pt-BR", pt, en)


def _price(cents: int) -> rx.Var:
    return _in_language(prices.format_price(cents, "en"), prices.format_price(cents, "pt-BR"))


def _filled(key: str, **values: object) -> rx.Var:
    """A catalogue string with `{name}` filled in, in the viewer's language."""
    return _in_language(CATALOGUES["en"][key].format(**values), CATALOGUES["pt-BR"][key].format(**values))


def _bullet(text: rx.Var) -> rx.Component:
    return rx.el.li(rx.hstack(rx.icon("check", size=16, color=rx.color("teal", 11), aria_hidden="true",
                                      flex_shrink="0", margin_top="3px"),
                              rx.text(text, size="2"), spacing="2", align="start"))


def _plan(slug: str, price: rx.Component, bullets: list[rx.Var], cta: rx.Component, highlight: bool = False,
          level: str = "h3") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t(f"pricing.{slug}.name"), as_=level, size="4"),
            rx.text(t(f"pricing.{slug}.for"), size="2", color_scheme="gray", as_="p"),
            price,
            rx.el.ul(*[_bullet(b) for b in bullets], class_name="plain-list"),
            rx.spacer(),
            cta,
            spacing="3",
            height="100%",
        ),
        size="3",
        id=f"plan-{slug}",
        **({"border": f"2px solid {rx.color('teal', 9)}"} if highlight else {}),
    )


def _amount(amount: rx.Var, per_key: str | None = "pricing.per_month") -> rx.Component:
    return rx.hstack(
        rx.text(amount, size="7", weight="bold"),
        rx.text(t(per_key), size="2", color_scheme="gray") if per_key else rx.fragment(),
        align="baseline", spacing="1",
    )


def plans(level: str = "h3") -> rx.Component:
    free, starter, scale = PLANS[Plan.FREE], PLANS[Plan.STARTER], PLANS[Plan.SCALE]
    sign_up = rx.link(rx.button(t("pricing.cta"), width="100%", variant="soft"), href="/sign-up", width="100%")
    return rx.grid(
        _plan("free", _amount(_price(0)), [
            _filled("pricing.numbers", count=free.instances),
            _filled("pricing.messages_day", count=free.messages_per_day),
            t("pricing.api_webhooks"),
            t("pricing.test_panel"),
        ], sign_up, level=level),
        _plan("starter", _amount(_price(prices.STARTER_MONTHLY_CENTS)), [
            _filled("pricing.numbers_included", count=prices.STARTER_INCLUDED_INSTANCES),
            _in_language(CATALOGUES["en"]["pricing.extra"].format(price=prices.format_price(
                prices.EXTRA_INSTANCE_MONTHLY_CENTS, "en")), CATALOGUES["pt-BR"]["pricing.extra"].format(
                price=prices.format_price(prices.EXTRA_INSTANCE_MONTHLY_CENTS, "pt-BR"))),
            t("pricing.unlimited_messages"),
            _filled("pricing.sends", count=starter.sends_per_second),
            t("pricing.retries"),
        ], rx.link(rx.button(t("pricing.cta"), width="100%"), href="/sign-up", width="100%"), highlight=True,
            level=level),
        _plan("scale", _amount(t("pricing.on_request"), None), [
            _filled("pricing.numbers_from", count=prices.SCALE_FROM),
            _filled("pricing.sends", count=scale.sends_per_second),
            t("pricing.unlimited_messages"),
            t("pricing.setup_together"),
        ], sign_up, level=level),
        columns=rx.breakpoints(initial="1", md="3"),
        gap="16px",
        width="100%",
    )


def calculator(level: str = "h3") -> rx.Component:
    quote = PricingState.quote
    total = rx.cond(quote["on_request"] != "", t("pricing.calculator.scale"),
                    _in_language(quote["total_en"], quote["total_pt"]))
    return rx.card(
        rx.vstack(
            rx.heading(t("pricing.calculator.title"), as_=level, size="4", id="calculator-title"),
            rx.el.label(rx.text(t("pricing.calculator.label"), size="2", weight="medium", as_="span"),
                        html_for="pricing-instances"),
            rx.hstack(
                rx.icon_button(rx.icon("minus", aria_hidden="true"), on_click=PricingState.step(-1), variant="soft",
                               aria_label=t("pricing.calculator.fewer"), id="pricing-fewer", size="3"),
                rx.input(id="pricing-instances", value=PricingState.instances_text,
                         on_change=PricingState.set_instances, type="number", min=1,
                         max=prices.MAX_QUOTED_INSTANCES, input_mode="numeric", size="3", width="96px"),
                rx.icon_button(rx.icon("plus", aria_hidden="true"), on_click=PricingState.step(1), variant="soft",
                               aria_label=t("pricing.calculator.more"), id="pricing-more", size="3"),
                align="center", spacing="2",
            ),
            rx.hstack(
                rx.text(total, size="8", weight="bold", id="pricing-total"),
                rx.cond(quote["on_request"] == "", rx.text(t("pricing.per_month"), size="2", color_scheme="gray")),
                align="baseline", spacing="1", aria_live="polite", wrap="wrap",
            ),
            rx.cond(
                quote["on_request"] != "",
                rx.text(t("pricing.calculator.scale_body"), size="2", color_scheme="gray", as_="p"),
                rx.text(t("pricing.calculator.base"), " ", _price(prices.STARTER_MONTHLY_CENTS), " ",
                        _filled("pricing.calculator.included", count=prices.STARTER_INCLUDED_INSTANCES),
                        rx.cond(quote["extra"] != "0",
                                rx.fragment(" + ", quote["extra"], " × ", _price(prices.EXTRA_INSTANCE_MONTHLY_CENTS),
                                            " = ", _in_language(quote["extra_en"], quote["extra_pt"]))),
                        size="2", color_scheme="gray", as_="p", id="pricing-breakdown"),
            ),
            rx.text(_filled("pricing.calculator.free_note", count=PLANS[Plan.FREE].messages_per_day), size="1",
                    color_scheme="gray", as_="p"),
            spacing="3",
        ),
        size="3",
        width="100%",
        id="pricing-calculator",
        as_="section",
        aria_labelledby="calculator-title",
    )


def pricing_section(title_level: str = "h2") -> rx.Component:
    """Plans and calculator under a heading of `title_level` (h2 on the landing page, h1 on /pricing)."""
    inner = "h3" if title_level == "h2" else "h2"
    return rx.vstack(
        rx.heading(t("pricing.title"), as_=title_level, size="7", id="pricing"),
        rx.text(t("pricing.subtitle"), size="3", color_scheme="gray", as_="p", max_width="720px"),
        plans(inner),
        calculator(inner),
        rx.text(t("pricing.billing_note"), size="1", color_scheme="gray", as_="p"),
        spacing="5",
        width="100%",
    )
