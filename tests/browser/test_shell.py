from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.browser_support import livchat_cli

pytestmark = pytest.mark.browser


def test_switch_to_portuguese_sign_in_and_reach_the_dashboard(live_app: str, live_env: dict[str, str],
                                                              page: Page) -> None:
    email = f"shell-{uuid.uuid4().hex[:8]}@example.com"
    livchat_cli(live_env, "create-user", email, "--password", "long-password", "--org", "Shell Co")
    page.goto(live_app + "/")
    heading = page.locator("#hero-title")
    expect(heading).to_have_text("WhatsApp API and AI support, ready in minutes")
    expect(page).to_have_title("LivChat — WhatsApp API and AI support")

    page.locator("#language-switcher").click()
    page.locator("#lang-pt-BR").click()
    expect(heading).to_have_text("API de WhatsApp e atendimento com IA, prontos em minutos")
    expect(page).to_have_title("LivChat — API de WhatsApp e atendimento com IA")
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")

    page.locator("#nav-dashboard").click()  # signed out: the guard sends us to sign in
    expect(page.locator("#sign-in-title")).to_have_text("Entrar no LivChat")
    expect(page).to_have_title("LivChat — Entrar no LivChat")
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill("long-password")
    page.locator("#sign-in-submit").click()

    expect(page).to_have_url(re.compile(r".*/dashboard/?$"))
    expect(page.locator("#dashboard-title")).to_have_text("Visão geral")
    expect(page).to_have_title("LivChat — Visão geral")
    sidebar = page.locator("#dashboard-sidebar")
    for label in ["Instâncias", "Webhooks", "Chaves de API", "Caixa de entrada", "Base de conhecimento", "Cobrança"]:
        expect(sidebar).to_contain_text(label)

    page.locator("#nav-api_keys").click()
    expect(page.locator("#dashboard-title")).to_have_text("Chaves de API")


def test_language_choice_survives_a_reload(live_app: str, page: Page) -> None:
    page.goto(live_app + "/")
    page.locator("#language-switcher").click()
    page.locator("#lang-pt-BR").click()
    expect(page.locator("#hero-title")).to_contain_text("API de WhatsApp")
    page.reload()
    expect(page.locator("#hero-title")).to_contain_text("API de WhatsApp")
    page.goto(live_app + "/no-such-page")  # the app's own not-found page, in the chosen language
    expect(page.locator("#not-found-title")).to_have_text("Página não encontrada")


def test_browser_language_is_the_first_choice(live_app: str, open_context) -> None:  # type: ignore[no-untyped-def]
    page = open_context(locale="pt-BR").new_page()
    page.goto(live_app + "/")
    expect(page.locator("#hero-title")).to_contain_text("API de WhatsApp")
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")


def test_served_pages_carry_security_headers(live_app: str, page: Page) -> None:
    response = page.goto(live_app + "/dashboard/")
    assert response is not None
    assert response.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert response.headers["x-content-type-options"] == "nosniff"
    api = page.request.get(live_app + "/api/nope")
    assert api.status == 404 and api.json()["code"] == "not_found"
    wrong_method = page.request.post(live_app + "/api/health")  # Reflex's own mount must not count
    assert wrong_method.status == 405 and wrong_method.headers["allow"] == "GET, HEAD"


def test_on_a_phone_the_dashboard_has_a_menu_instead_of_the_sidebar(live_app: str, live_env: dict[str, str],
                                                                     open_context) -> None:  # type: ignore[no-untyped-def]
    email = f"phone-{uuid.uuid4().hex[:8]}@example.com"
    livchat_cli(live_env, "create-user", email, "--password", "long-password", "--org", "Phone Co")
    page = open_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(live_app + "/sign-in")
    expect(page.locator("#nav-dashboard")).to_be_in_viewport()  # the public bar wraps instead of overflowing
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill("long-password")
    page.locator("#sign-in-submit").click()
    expect(page.locator("#dashboard-title")).to_have_text("Overview")
    expect(page.locator("#dashboard-sidebar")).to_be_hidden()
    page.locator("#mobile-menu").click()
    page.get_by_role("menuitem", name="API keys").click()
    expect(page).to_have_url(re.compile(r".*/dashboard/api-keys/?$"))
    expect(page.locator("#dashboard-title")).to_have_text("API keys")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width} px wide)"
