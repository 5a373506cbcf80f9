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


# Keeps <title> and <html lang> in step with the element `document_meta` renders: React Router
# owns <head>, so the page says what it wants and this applies it after every render.
DOCUMENT_META_SCRIPT = """(function () {
  function apply() {
    var el = document.getElementById('document-meta');
    if (!el) return;
    if (el.dataset.lang && document.documentElement.lang !== el.dataset.lang) document.documentElement.lang = el.dataset.lang;
    if (el.dataset.title && document.title !== el.dataset.title) document.title = el.dataset.title;
  }
  new MutationObserver(apply).observe(document.documentElement, {subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ['data-title', 'data-lang']});
  apply();
})();"""


def document_meta(title_key: str | None = None, title_prefix: rx.Var | None = None) -> rx.Component:
    """An invisible element naming the page's title and language in the visitor's language.
    `title_prefix` goes before the title (the inbox's unread signal, "(3) ")."""
    attrs: dict[str, rx.Var | str] = {"data-lang": LangState.lang}
    if title_key is not None:
        attrs["data-title"] = rx.cond(LangState.lang == "pt-BR", f"LivChat — {CATALOGUES['pt-BR'][title_key]}",
                                      f"LivChat — {EN[title_key]}")
        if title_prefix is not None:
            attrs["data-title"] = title_prefix + attrs["data-title"]
    return rx.el.span(id="document-meta", custom_attrs=attrs, display="none")


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
