"""`t(key)`: a string that follows the visitor's language in the browser, with no round trip.

Both catalogues are compiled into the page; switching language only flips `LangState.lang`.
"""

from __future__ import annotations

import reflex as rx

from livchat.i18n import CATALOGUES, EN, LANGUAGES
from livchat.state.i18n import LangState


def t(key: str) -> rx.Var:
    if key not in EN:
        raise KeyError(f"missing i18n key: {key}")
    return rx.cond(LangState.lang == "pt-BR", CATALOGUES["pt-BR"][key], EN[key])


def language_switcher() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=t("nav.language"), id="language-switcher"),
        rx.select.content(
            *[rx.select.item(label, value=code, id=f"lang-{code}") for code, label in LANGUAGES.items()]
        ),
        value=LangState.lang,
        on_change=LangState.set_language,
        size="2",
    )


def theme_toggle() -> rx.Component:
    return rx.icon_button(
        rx.color_mode_cond(light=rx.icon("moon"), dark=rx.icon("sun")),
        on_click=rx.toggle_color_mode,
        variant="ghost",
        aria_label=t("nav.theme"),
        id="theme-toggle",
    )
