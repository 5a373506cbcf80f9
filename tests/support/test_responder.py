"""The agent's hook: the configured responder answers each contact message after its commit.
The default one says, once per conversation and in the visitor's language, that an operator
will answer soon; after an escalation or an operator reply it stays quiet."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from livchat.core.db import db
from livchat.core.settings import reset_settings_cache
from livchat.i18n import translate
from livchat.services.support import conversations, responder
from livchat.services.support.events import ContactMessageReceived, SystemMessagePosted
from livchat.services.widget import visitor
from tests.support.desk_support import EventLog, make_org, make_visitor


@pytest.fixture
def default_responder() -> Iterator[None]:
    responder.install(responder.DefaultResponder())
    yield
    responder.uninstall()


async def _texts(who) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    async with db.session() as session:
        return [(m.sender, m.text) for m in (await visitor.messages(session, who)).data]


@pytest.mark.parametrize("language", ["en", "pt-BR"])
async def test_one_note_in_the_visitors_language_on_the_first_message(database: str, default_responder: None,
                                                                      language: str) -> None:
    org = await make_org()
    ana, _ = await make_visitor(org.id, language=language)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hello")
        await responder.drain()
        await visitor.send_message(session, ana, "Anyone there?")
        await conversations.resolve(session, org.operator, posted.conversation_id)
        await visitor.send_message(session, ana, "Reopening")
        await responder.drain()
    note = translate(responder.OPERATOR_SOON, language)
    assert note != translate(responder.OPERATOR_SOON, "pt-BR" if language == "en" else "en")
    assert await _texts(ana) == [("contact", "Hello"), ("system", note), ("contact", "Anyone there?"),
                                 ("contact", "Reopening")]


async def test_a_widget_in_portuguese_answers_a_visitor_whose_browser_language_we_lack_in_portuguese(
        database: str, default_responder: None) -> None:
    from livchat.services.widget import customization
    from livchat.services.widget.schemas import WidgetSettingsUpdate

    org = await make_org()
    async with db.session() as session:
        await customization.update_settings(session, org.owner, WidgetSettingsUpdate(locale="pt-BR"))
    hans, _ = await make_visitor(org.id, language="de-DE")
    async with db.session() as session:
        await visitor.send_message(session, hans, "Hallo")
    await responder.drain()
    assert (await _texts(hans))[-1] == ("system", translate(responder.OPERATOR_SOON, "pt-BR"))


async def test_quiet_once_an_operator_replied_or_escalated(database: str) -> None:
    """The responder runs after the commit: an operator may have answered meanwhile."""
    org = await make_org()
    default = responder.DefaultResponder()
    for act in ("reply", "escalate"):
        ana, _ = await make_visitor(org.id)
        async with db.session() as session:
            posted = await visitor.send_message(session, ana, "Hello")
            if act == "reply":
                await conversations.reply(session, org.operator, posted.conversation_id, "Hi, I am here")
            else:
                await conversations.escalate(session, org.operator, posted.conversation_id)
        event = ContactMessageReceived(organization_id=org.id, conversation_id=posted.conversation_id,
                                       message_id=posted.message_id, sender="contact", language="en", first=True)
        await default.respond(event, responder.Desk(org.id, posted.conversation_id))
        assert [s for s, _ in await _texts(ana)] == (["contact", "operator"] if act == "reply" else ["contact"])


async def test_the_note_is_posted_once_even_when_two_runs_race(database: str) -> None:
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hello")
    event = ContactMessageReceived(organization_id=org.id, conversation_id=posted.conversation_id,
                                   message_id=posted.message_id, sender="contact", language="en", first=True)
    default = responder.DefaultResponder()
    with EventLog() as log:
        await asyncio.gather(*(default.respond(event, responder.Desk(org.id, posted.conversation_id))
                               for _ in range(4)))
    assert [s for s, _ in await _texts(ana)] == ["contact", "system"]
    assert len(log.of(SystemMessagePosted)) == 1


async def test_responders_register_by_name_and_the_setting_picks_one(database: str) -> None:
    calls: list[tuple[str, list[str]]] = []

    class Echo:
        async def respond(self, event: ContactMessageReceived, desk: responder.Desk) -> None:
            history = await desk.history()
            calls.append((event.message_id, [m.text for m in history]))
            await desk.reply(f"echo: {history[-1].text}", sources=[{"fileId": "kf_1", "text": "a passage"}])
            if history[-1].text == "human please":
                await desk.escalate()

    responder.register("echo", Echo)
    os.environ["LIVCHAT_SUPPORT_RESPONDER"] = "echo"
    reset_settings_cache()
    try:
        assert isinstance(responder.configured(), Echo)
        responder.install()
        org = await make_org()
        ana, _ = await make_visitor(org.id)
        async with db.session() as session:
            posted = await visitor.send_message(session, ana, "ping")
            await responder.drain()
            await visitor.send_message(session, ana, "human please")
            await responder.drain()
        desk = responder.Desk(org.id, posted.conversation_id)
        assert (await desk.conversation()).status == "escalated" and await desk.operator_involved()
        texts = await _texts(ana)
        assert texts == [("contact", "ping"), ("ai", "echo: ping"), ("contact", "human please"),
                         ("ai", "echo: human please")]
        os.environ["LIVCHAT_SUPPORT_RESPONDER"] = "nobody"
        reset_settings_cache()
        with pytest.raises(ValueError, match="not a registered responder"):
            responder.configured()
    finally:
        responder.uninstall()
        os.environ.pop("LIVCHAT_SUPPORT_RESPONDER", None)
        reset_settings_cache()
