"""Handoffs done right: operators are told (a live notice and an email each, in their language);
the agent never talks over a human; and a resolved conversation that gets a new message reopens
without handing off again — the agent reads the current episode only (Chatwoot #13880 / #15068:
Captain reread the old handoff in the history and handed off in a loop)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from livchat.core.db import db
from livchat.core.events import bus
from livchat.i18n import translate
from livchat.models import EmailOutbox, Notification, User
from livchat.services.agent.extractive import ExtractiveAgent
from livchat.services.agent.openai_agent import OpenAIAgent
from livchat.services.notifications import email as outbox
from livchat.services.notifications import notices
from livchat.services.notifications.notices import NotificationCreated
from livchat.services.support import conversations, responder
from livchat.services.support.events import AgentDraft, ConversationStatusChanged
from livchat.services.widget import visitor
from tests.agent.agent_support import (
    Environment,
    answering,
    conversation,
    ingest_corpus,
    transcript,
)
from tests.fakes.openai_server import ChatReply, FakeOpenAI, ToolCall
from tests.support.desk_support import EventLog, make_org, make_visitor


def rereading_model(body: dict[str, Any]) -> ChatReply:
    """A model that, like Captain, hands off whenever the history it is given asks for a human."""
    messages = body["messages"]
    asked = " ".join(str(m.get("content") or "") for m in messages if m["role"] == "user").lower()
    if "human" in asked:
        return ChatReply(tool_calls=[ToolCall("escalate_conversation", {"reason": "human_requested"})])
    if messages[-1]["role"] == "tool":
        return ChatReply(content="The warranty lasts 12 months [1].")
    return ChatReply(tool_calls=[ToolCall("search_knowledge_base", {"query": messages[-1]["content"]})])


@pytest.fixture(params=["extractive", "openai"])
def agent(request: pytest.FixtureRequest, env: Environment, fake_openai: FakeOpenAI) -> Any:
    if request.param == "openai":
        env.set(**fake_openai.environment(), LIVCHAT_AGENT="openai")
        fake_openai.chat.respond_with(rereading_model)
        return OpenAIAgent()
    return ExtractiveAgent()


async def test_a_reopened_conversation_is_answered_not_handed_off_again(database: str, agent: Any,
                                                                       fake_openai: FakeOpenAI) -> None:
    org = await make_org()
    await ingest_corpus(org.owner, ("warranty.md",))
    ana, _ = await make_visitor(org.id)
    with EventLog() as log:
        async with answering(agent):
            async with db.session() as session:
                posted = await visitor.send_message(session, ana, "I want to talk to a human")
            await responder.drain()
            assert (await conversation(posted.conversation_id)).status == "escalated"
            async with db.session() as session:
                await conversations.reply(session, org.operator, posted.conversation_id, "Hi, Bruno here. Done!")
                await conversations.resolve(session, org.operator, posted.conversation_id)
                reopened = await visitor.send_message(session, ana, "How long is the warranty?")
            await responder.drain()
    assert reopened.conversation_id == posted.conversation_id
    rows = await transcript(posted.conversation_id)
    assert rows[-2] == ("contact", "How long is the warranty?") and rows[-1][0] == "ai" and "12" in rows[-1][1]
    assert (await conversation(posted.conversation_id)).status == "unresolved"
    escalations = [e for e in log.of(ConversationStatusChanged) if e.status == "escalated"]
    assert len(escalations) == 1 and escalations[0].by == "ai"
    async with db.session() as session:
        assert len((await session.exec(select(Notification).where(Notification.organization_id == org.id))).all()) == 1
    if isinstance(agent, OpenAIAgent):  # what the model was given for the new turn: the new episode only
        last = fake_openai.chat.requests[-1]["messages"]
        said = " ".join(str(m.get("content") or "") for m in last[1:])
        assert "human" not in said and "Bruno" not in said and last[1]["content"] == "How long is the warranty?"


async def test_the_agent_is_silent_once_an_operator_replied(database: str, agent: Any) -> None:
    org = await make_org()
    await ingest_corpus(org.owner, ("warranty.md",))
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hello, anyone?")  # no agent yet
        await conversations.reply(session, org.operator, posted.conversation_id, "Bruno here, how can I help?")
    async with answering(agent):
        async with db.session() as session:
            await visitor.send_message(session, ana, "How long is the warranty?")
    assert [s for s, _ in await transcript(posted.conversation_id)] == ["contact", "operator", "contact"]


async def test_the_agent_is_silent_on_an_escalated_conversation(database: str, agent: Any) -> None:
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hello")
        await conversations.escalate(session, org.operator, posted.conversation_id)
    async with answering(agent):
        async with db.session() as session:
            await visitor.send_message(session, ana, "How long is the warranty?")
    assert [s for s, _ in await transcript(posted.conversation_id)] == ["contact", "contact"]


async def test_an_answer_is_dropped_when_an_operator_steps_in_while_it_is_written(
        database: str, env: Environment, fake_openai: FakeOpenAI) -> None:
    env.set(**fake_openai.environment(), LIVCHAT_AGENT="openai")
    fake_openai.chat.push(ChatReply(content="A long answer the model takes its time to write, piece by piece.",
                                    chunk_chars=3, delay=0.05))
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    with EventLog() as log:
        async with answering(OpenAIAgent()):
            async with db.session() as session:
                posted = await visitor.send_message(session, ana, "Can you help me?")
            await log.wait_for(AgentDraft)  # the model is writing
            async with db.session() as session:
                await conversations.reply(session, org.operator, posted.conversation_id, "Bruno here, I've got it.")
    assert [s for s, _ in await transcript(posted.conversation_id)] == ["contact", "operator"]
    assert log.of(AgentDraft)[-1].text == ""  # the draft bubble is withdrawn


async def test_operators_get_a_notice_and_an_email_each_in_their_language(database: str) -> None:
    org = await make_org()
    async with db.session() as session:
        operator = await session.get(User, org.operator.user_id)
        assert operator is not None
        operator.locale = "pt-BR"
        session.add(operator)
        await session.commit()
        owner_email = (await session.get(User, org.owner.user_id)).email  # type: ignore[union-attr]
    created: list[NotificationCreated] = []

    async def seen(event: NotificationCreated) -> None:
        created.append(event)

    unsubscribe = bus.subscribe(NotificationCreated, seen)
    try:
        ana, _ = await make_visitor(org.id, name="Ana Souza")
        async with answering(ExtractiveAgent()):
            async with db.session() as session:
                posted = await visitor.send_message(session, ana, "I'd like to speak to a real person")
    finally:
        unsubscribe()
    assert [e.organization_id for e in created] == [org.id]  # live: open dashboards hear of it
    async with db.session() as session:
        shown = await notices.unread(session, org.id)
        mails = {m.to_email: m for m in (await session.exec(select(EmailOutbox).where(
            EmailOutbox.organization_id == org.id))).all()}
        operator_email = (await session.get(User, org.operator.user_id)).email  # type: ignore[union-attr]
    assert len(shown) == 1 and shown[0].kind == "handoff_human_requested"
    assert shown[0].text["en"].title == translate("notifications.handoff_human_requested.title", "en")
    assert "Ana Souza" in shown[0].text["pt-BR"].body and "speak to a real person" in shown[0].text["en"].body
    assert set(mails) == {owner_email, operator_email}
    assert mails[operator_email].subject == translate("notifications.handoff_human_requested.title", "pt-BR")
    assert mails[owner_email].subject == translate("notifications.handoff_human_requested.title", "en")
    body = outbox.body_of(mails[operator_email])
    assert "Ana Souza" in body and f"/dashboard/inbox?conversation={posted.conversation_id}" in body
