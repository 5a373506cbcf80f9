"""The offline extractive agent on the support desk (widget conversations): it searches on every
question and answers with cited passages in the visitor's language, hands off on a request for a
person and when nothing relevant is found, resolves on thanks — through the same tool loop."""

from __future__ import annotations

import pytest
from sqlmodel import select

from livchat.core.db import db
from livchat.i18n import translate
from livchat.models import UnansweredQuestion
from livchat.services.agent.extractive import ExtractiveAgent
from livchat.services.support import responder
from livchat.services.widget import visitor
from tests.agent.agent_support import (
    answering,
    conversation,
    ingest_corpus,
    messages_of,
    transcript,
)
from tests.support.desk_support import make_org, make_visitor


async def _ask(org_id: str, text: str, language: str = "en") -> str:
    ana, _ = await make_visitor(org_id, language=language)
    async with db.session() as session:
        return (await visitor.send_message(session, ana, text)).conversation_id


async def test_a_question_is_answered_with_passages_that_cite_their_source(database: str) -> None:
    org = await make_org()
    ids = await ingest_corpus(org.owner)
    async with answering(ExtractiveAgent()):
        conversation_id = await _ask(org.id, "How long is the warranty?")
    contact, answer = await messages_of(conversation_id)
    assert (contact.sender, answer.sender) == ("contact", "ai")
    assert "12-month warranty" in answer.content
    assert answer.content.startswith(translate("agent.answer.intro", "en"))
    assert "Source: warranty.md" in answer.content
    sources = answer.metadata_["sources"]
    assert sources[0]["fileId"] == ids["warranty.md"] and sources[0]["filename"] == "warranty.md"
    assert sources[0]["chunkId"].startswith(ids["warranty.md"] + ":")
    assert sources[0]["heading"] == "Warranty > How long is the warranty?"
    assert "12-month warranty" in sources[0]["text"] and len(sources[0]["text"]) <= 300
    assert (await conversation(conversation_id)).status == "unresolved"


async def test_the_answer_follows_the_visitors_language(database: str) -> None:
    org = await make_org()
    await ingest_corpus(org.owner)
    async with answering(ExtractiveAgent()):
        # A visitor whose browser speaks English asks in Portuguese: the answer is in Portuguese.
        in_portuguese = await _ask(org.id, "Quanto custa a assinatura Aurora Plus?", language="en")
        in_english = await _ask(org.id, "How long is the warranty?", language="pt-BR")
    pt_answer = (await transcript(in_portuguese))[1][1]
    assert pt_answer.startswith(translate("agent.answer.intro", "pt-BR")) and "R$ 19,90" in pt_answer
    assert "Fonte: assinatura-aurora-plus.md" in pt_answer
    assert (await transcript(in_english))[1][1].startswith(translate("agent.answer.intro", "en"))


@pytest.mark.parametrize(("text", "language"), [
    ("I want to talk to a human", "en"), ("Quero falar com um atendente", "pt-BR"),
    ("Preciso falar com alguém, por favor", "pt-BR"), ("HUMANO!!", "pt-BR")])
async def test_an_explicit_request_for_a_person_hands_off(database: str, text: str, language: str) -> None:
    org = await make_org()
    await ingest_corpus(org.owner, ("warranty.md",))
    async with answering(ExtractiveAgent()):
        conversation_id = await _ask(org.id, text, language=language)
    assert await transcript(conversation_id) == [("contact", text),
                                                ("system", translate("agent.handoff.notice", language))]
    assert (await conversation(conversation_id)).status == "escalated"
    async with db.session() as session:  # a request for a person is no gap in the knowledge base
        assert (await session.exec(select(UnansweredQuestion))).all() == []


async def test_nothing_relevant_hands_off_and_keeps_the_question_for_the_knowledge_base(database: str) -> None:
    org = await make_org()
    await ingest_corpus(org.owner)
    async with answering(ExtractiveAgent()):
        conversation_id = await _ask(org.id, "What is the capital of Australia?")
    assert [s for s, _ in await transcript(conversation_id)] == ["contact", "system"]
    assert (await conversation(conversation_id)).status == "escalated"
    async with db.session() as session:
        kept = (await session.exec(select(UnansweredQuestion))).one()
    assert (kept.question, kept.organization_id, kept.conversation_id, kept.channel, kept.language) == (
        "What is the capital of Australia?", org.id, conversation_id, "widget", "en")
    assert kept.best_similarity is not None and kept.best_similarity < 0.45


async def test_an_empty_knowledge_base_hands_off(database: str) -> None:
    org = await make_org()
    async with answering(ExtractiveAgent()):
        conversation_id = await _ask(org.id, "Where is my order?")
    assert (await conversation(conversation_id)).status == "escalated"


async def test_thanks_resolve_with_a_short_closing_line(database: str) -> None:
    org = await make_org()
    await ingest_corpus(org.owner, ("assinatura-aurora-plus.md",))
    ana, _ = await make_visitor(org.id, language="pt-BR")
    async with answering(ExtractiveAgent()):
        async with db.session() as session:
            posted = await visitor.send_message(session, ana, "Quanto custa o Aurora Plus?")
        await responder.drain()
        async with db.session() as session:
            await visitor.send_message(session, ana, "Valeu, era só isso!")
    rows = await transcript(posted.conversation_id)
    assert [s for s, _ in rows] == ["contact", "ai", "contact", "ai"]
    assert rows[-1][1] == translate("agent.closing", "pt-BR")
    assert (await conversation(posted.conversation_id)).status == "resolved"


async def test_a_bare_greeting_is_greeted_back(database: str) -> None:
    org = await make_org()
    async with answering(ExtractiveAgent()):
        conversation_id = await _ask(org.id, "Oi, bom dia!", language="pt-BR")
    assert (await transcript(conversation_id))[1] == ("ai", translate("agent.greeting", "pt-BR"))
    assert (await conversation(conversation_id)).status == "unresolved"


async def test_two_quick_messages_get_one_answer_each_and_none_twice(database: str) -> None:
    org = await make_org()
    await ingest_corpus(org.owner, ("warranty.md", "order-tracking.md"))
    ana, _ = await make_visitor(org.id)
    async with answering(ExtractiveAgent()):
        async with db.session() as session:
            posted = await visitor.send_message(session, ana, "How long is the warranty?")
            await visitor.send_message(session, ana, "How do I cancel an order?")
    rows = await transcript(posted.conversation_id)
    answers = [text for sender, text in rows if sender == "ai"]
    assert rows[0] == ("contact", "How long is the warranty?") and 1 <= len(answers) <= 2
    assert any("12-month" in a for a in answers) and any("Cancel order" in a for a in answers), rows


async def test_the_agent_is_off_for_an_organization_that_turned_it_off(database: str) -> None:
    from livchat.services.agent import settings as agent_settings
    from livchat.services.agent.schemas import AgentSettingsUpdate
    from livchat.services.support.responder import OPERATOR_SOON

    org = await make_org()
    await ingest_corpus(org.owner, ("warranty.md",))
    async with db.session() as session:
        await agent_settings.update_agent_settings(session, org.owner, AgentSettingsUpdate(enabled=False))
    async with answering(ExtractiveAgent()):
        conversation_id = await _ask(org.id, "How long is the warranty?")
    assert await transcript(conversation_id) == [("contact", "How long is the warranty?"),
                                                ("system", translate(OPERATOR_SOON, "en"))]
    assert (await conversation(conversation_id)).status == "unresolved"
