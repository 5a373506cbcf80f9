"""The visitor's language: an explicit choice (kept in local storage) wins, else the browser's."""

from __future__ import annotations

import reflex as rx

from livchat.i18n import CATALOGUES, normalize_language
from livchat.state.inputs import browser_input

# The browser's preferred languages, most wanted first ("pt-BR,pt,en-US").
_BROWSER_LANGUAGES_JS = (
    "(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || '']).join(',')"
)


class LangState(rx.State):
    chosen: str = rx.LocalStorage("", name="livchat_lang", sync=True)
    browser_language: str = ""

    # Not cached: linking a tab to a shared state (the test panel's feed, the dashboards' feeds)
    # resolves the tab's computed vars before a page's hydrate sets `chosen`, and a cached `lang`
    # then kept the language of before the reload on the next page.
    @rx.var(cache=False)
    def lang(self) -> str:
        if self.chosen in CATALOGUES:
            return self.chosen
        return normalize_language(self.browser_language)

    @rx.event
    @browser_input
    def set_language(self, language: str) -> None:
        if language in CATALOGUES:  # anything else from the browser is ignored
            self.chosen = language

    @rx.event
    def detect_browser_language(self):  # type: ignore[no-untyped-def]
        if not self.browser_language:
            return rx.call_script(_BROWSER_LANGUAGES_JS, callback=LangState.set_browser_language)
        return None

    @rx.event
    @browser_input
    def set_browser_language(self, value: str) -> None:
        self.browser_language = str(value)[:200]
