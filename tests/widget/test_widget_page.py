"""The /widget page's state (state/widget.py) driven as a browser tab would: the organization from
`?organizationId=`, the browser's facts and token from the bridge, the contact form, messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from livchat.core.crypto import hash_token
from livchat.core.db import db, utcnow
from livchat.models import ContactSession
from livchat.services.widget import customization, visitor
from livchat.services.widget.schemas import WidgetSettingsUpdate
from livchat.state.widget import error_text, readable_on
from tests.accounts.accounts_support import event_text
from tests.support.desk_support import make_org, make_visitor
from tests.widget.widget_support import Tab
from tests.widget.widget_support import widget_tab as _tab

FACTS = {"languages": "pt-BR,pt,en", "language": "pt-BR", "timeZone": "America/Sao_Paulo",
         "referrer": "https://shop.example/cart", "screen": "390x844", "embedded": True}


async def _booted(organization_id: str, token: str = "", locale: str = "") -> Tab:
    tab = _tab(organization_id, locale)
    events = await tab.run("load")
    assert "await w.token()" in event_text(events)  # asks the bridge for the token and facts
    await tab.run("boot", {**FACTS, "token": token})
    return tab


async def test_unknown_or_malformed_organization_shows_the_unavailable_page(database: str) -> None:
    for organization_id in ("org_01JD8Z5P0A1B2C3D4E5F6G7H8J", "x' OR 1=1", ""):
        tab = _tab(organization_id)
        assert await tab.run("load") == []
        assert tab.phase == "missing"


async def test_contact_form_validates_in_the_visitors_language_then_starts_a_session(database: str) -> None:
    org = await make_org()
    async with db.session() as session:
        await customization.update_settings(session, org.owner, WidgetSettingsUpdate(
            primary_color="#ffcc00", suggestions=["Onde está meu pedido?"], greet_message="Oi!"))
    tab = await _booted(org.id)
    assert (tab.phase, tab.lang, tab.embedded, tab.greeting) == ("form", "pt-BR", True, "Oi!")
    assert tab.on_color == "#000000"  # black reads on yellow

    await tab.run("start", {"name": " ", "email": "nope"})
    assert tab.name_error == "Informe seu nome (até 120 caracteres)."
    assert tab.email_error == "Informe um e-mail válido."
    assert tab.phase == "form"

    events = await tab.run("start", {"name": "Ana", "email": "ana@x.com"})
    assert tab.phase == "chat" and tab._token.startswith("lc_ct_")
    assert f'LivChatWidget.session("{tab._token}")' in event_text(events)  # the loader keeps it
    async with db.session() as session:
        row = (await session.exec(select(ContactSession).where(
            ContactSession.token_hash == hash_token(tab._token)))).one()
    assert row.metadata_["timeZone"] == "America/Sao_Paulo" and row.metadata_["referrer"] == "https://shop.example/cart"
    assert row.metadata_["locale"] == "pt-BR"

    await tab.run("ask", "Not one of the suggestions")
    assert tab.messages == []  # only the organization's own suggestions are sent by a click
    await tab.run("ask", "Onde está meu pedido?")
    await tab.run("send", {"text": "<script>alert(1)</script>"})
    mine = [m for m in tab.messages if m["sender"] == "contact"]
    assert [m["text"] for m in mine] == ["Onde está meu pedido?", "<script>alert(1)</script>"]
    assert mine[0]["author"] == "Você"
    await tab.run("send", {"text": "   "})
    assert tab.chat_error == "Escreva uma mensagem."


async def test_the_default_greeting_speaks_the_visitors_language(database: str) -> None:
    """The widget's default language is English, the visitor's page (?locale=, as the loader sends
    its lang) or browser Portuguese: the default greeting is in Portuguese, like the rest of the
    widget. A greeting the organization wrote is shown as written."""
    org = await make_org()
    async with db.session() as session:
        await customization.update_settings(session, org.owner, WidgetSettingsUpdate(locale="en"))
    english, portuguese = "Hi! How can we help you today?", "Olá! Como podemos ajudar você hoje?"

    for locale in ("pt-BR", ""):  # the page's language, then the browser's (FACTS: pt-BR first)
        tab = await _booted(org.id, locale=locale)
        assert (tab.lang, tab.greeting) == ("pt-BR", portuguese), locale
    tab = _tab(org.id)
    await tab.run("load")
    await tab.run("boot", {**FACTS, "languages": "en-GB,en", "language": "en-GB"})
    assert (tab.lang, tab.greeting) == ("en", english)
    tab = _tab(org.id)
    await tab.run("load")
    await tab.run("boot", {**FACTS, "languages": "de-DE,fr", "language": "de-DE"})  # none we speak
    assert (tab.lang, tab.greeting) == ("en", english)  # the widget's own language

    async with db.session() as session:  # a Portuguese widget, an English page
        await customization.update_settings(session, org.owner, WidgetSettingsUpdate(locale="pt-BR"))
    tab = await _booted(org.id, locale="en")
    assert (tab.lang, tab.greeting) == ("en", english)

    async with db.session() as session:
        await customization.update_settings(session, org.owner, WidgetSettingsUpdate(greet_message="Oi, tudo bem?"))
    for locale in ("en", ""):
        tab = await _booted(org.id, locale=locale)
        assert tab.greeting == "Oi, tudo bem?", locale  # the organization's own words, whatever the language


async def test_a_returning_visitor_sees_the_conversation_and_a_reply(database: str) -> None:
    org = await make_org()
    ana, token = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hello")
        from livchat.services.support import conversations
        await conversations.reply(session, org.operator, posted.conversation_id, "Hi Ana")
        await conversations.resolve(session, org.operator, posted.conversation_id)
    tab = await _booted(org.id, token, locale="en")
    assert tab.phase == "chat" and tab.lang == "en"  # ?locale= wins over the browser
    assert [(m["sender"], m["text"]) for m in tab.messages if m["sender"] != "system"][:2] == [
        ("contact", "Hello"), ("operator", "Hi Ana")]
    assert tab.status == "resolved"
    events = await tab.run("unread", True)
    assert "LivChatWidget.unread(" in event_text(events)


async def test_a_token_of_another_organization_or_expired_shows_the_form(database: str) -> None:
    org, other = await make_org(), await make_org("Other")
    _, other_token = await make_visitor(other.id)
    tab = await _booted(org.id, other_token)
    assert tab.phase == "form" and tab._token == "" and tab.messages == []

    ana, token = await make_visitor(org.id)
    async with db.session() as session:
        row = await session.get(ContactSession, ana.contact_session_id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(minutes=1)
        session.add(row)
        await session.commit()
    tab = await _booted(org.id, token)
    assert tab.phase == "form" and "24" in tab.form_note
    await tab.run("start", {"name": "Ana", "email": "ana@example.com"})
    async with db.session() as session:
        new = (await session.exec(select(ContactSession).where(
            ContactSession.token_hash == hash_token(tab._token)))).one()
    assert new.contact_id == ana.contact_id  # the same contact continues


@pytest.mark.parametrize("color", ["#0d9488", "#ffcc00", "#777777", "#000000", "#ffffff", "#3b82f6"])
def test_text_on_the_brand_colour_has_at_least_4_5_to_1(color: str) -> None:
    def luminance(value: str) -> float:
        def channel(pair: str) -> float:
            c = int(pair, 16) / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b = (channel(value[i:i + 2]) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(color), luminance(readable_on(color))), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 4.5


def test_error_codes_read_in_the_visitors_language() -> None:
    assert error_text("attachment_type_mismatch", "en").startswith("The file's name does not match")
    assert error_text("invalid_contact_email", "pt-BR") == "Informe um e-mail válido."
    assert error_text("rate_limited", "en").startswith("Too many")
    assert error_text("something_new", "pt-BR") == "Algo deu errado. Tente de novo em instantes."
