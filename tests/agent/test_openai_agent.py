"""The OpenAI agent against the fake OpenAI server over a real socket (the SDK's httpx2 transport):
streamed tool calls and text, the tool loop (search → answer, escalate, resolve), the visitor's
language in the system prompt, drafts streamed to the conversation's feed before one stored answer
with its sources, and graceful handoffs when the API fails, is too slow or loops."""

from __future__ import annotations

import itertools
import socket
from typing import Any

import pytest
import reflex as rx
from sqlmodel import select

from livchat.core.db import db
from livchat.i18n import translate
from livchat.livchat import app
from livchat.models import EmailOutbox, Notification
from livchat.services.agent.openai_agent import OpenAIAgent
from livchat.services.support.events import AgentDraft, AgentReplied
from livchat.services.widget import visitor
from livchat.state import support_feeds
from livchat.state.support_feeds import ConversationFeed, conversation_token
from tests.agent.agent_support import (
    Environment,
    answering,
    conversation,
    ingest_corpus,
    messages_of,
    transcript,
)
from tests.fakes.openai_server import ChatReply, FakeOpenAI, ToolCall
from tests.polling import eventually
from tests.support.desk_support import EventLog, make_org, make_visitor


@pytest.fixture
def openai_env(env: Environment, fake_openai: FakeOpenAI) -> FakeOpenAI:
    env.set(**fake_openai.environment(), LIVCHAT_AGENT="openai")
    return fake_openai


async def _ask(org_id: str, text: str, language: str = "en") -> str:
    ana, _ = await make_visitor(org_id, language=language)
    async with db.session() as session:
        return (await visitor.send_message(session, ana, text)).conversation_id


def _search_then(answer: str, **options: Any) -> list[ChatReply]:
    return [ChatReply(tool_calls=[ToolCall("search_knowledge_base", {"query": "warranty length"})]),
            ChatReply(content=answer, **options)]


async def test_a_cited_answer_streams_as_drafts_then_is_stored_once_with_its_sources(
        database: str, openai_env: FakeOpenAI) -> None:
    org = await make_org()
    ids = await ingest_corpus(org.owner, ("warranty.md", "order-tracking.md"))
    answer = "Every product has a 12-month warranty from the delivery date [1]. Claims go through My orders [9]."
    openai_env.chat.push(*_search_then(answer, chunk_chars=4, delay=0.02))
    with EventLog() as log:
        async with answering(OpenAIAgent()):
            conversation_id = await _ask(org.id, "How long is the warranty?")
    drafts = [e.text for e in log.of(AgentDraft)]
    final = [m for m in await messages_of(conversation_id) if m.sender == "ai"]
    assert len(final) == 1 and len(log.of(AgentReplied)) == 1
    # [9] names no passage retrieved: dropped; [1] is the first passage found.
    assert final[0].content == ("Every product has a 12-month warranty from the delivery date [1]. "
                                "Claims go through My orders.")
    sources = final[0].metadata_["sources"]
    assert [s["fileId"] for s in sources] == [ids["warranty.md"]]
    assert sources[0]["heading"] == "Warranty > How long is the warranty?" and "12-month" in sources[0]["text"]
    # Drafts: growing prefixes of the streamed text, throttled, all before the stored answer, then withdrawn.
    shown = [d for d in drafts if d]
    assert len(shown) >= 3 and all(answer.startswith(d) for d in shown)
    assert all(len(a) < len(b) for a, b in itertools.pairwise(shown)) and len(shown) < len(answer) / 4
    replied_at = log.seen.index(log.of(AgentReplied)[0])
    assert all(log.seen.index(e) < replied_at for e in log.of(AgentDraft) if e.text) and drafts[-1] == ""
    # The wire: streamed, the three tools, the search's passages handed back as a tool message.
    first, second = openai_env.chat.requests
    assert first["stream"] is True and first["stream_options"] == {"include_usage": True}
    assert [t["function"]["name"] for t in first["tools"]] == [
        "search_knowledge_base", "escalate_conversation", "resolve_conversation"]
    assert second["messages"][-2]["tool_calls"][0]["function"]["name"] == "search_knowledge_base"
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and "[1] warranty.md" in tool_message["content"]
    assert "12-month warranty" in tool_message["content"]


async def test_drafts_show_in_the_conversation_feed_while_the_answer_streams(
        database: str, openai_env: FakeOpenAI) -> None:
    org = await make_org()
    await ingest_corpus(org.owner, ("warranty.md",))
    answer = "The warranty lasts 12 months from delivery, covering manufacturing defects [1]."
    openai_env.chat.push(*_search_then(answer, chunk_chars=2, delay=0.03))
    support_feeds.install(app)
    try:
        async with answering(OpenAIAgent()):
            conversation_id = await _ask(org.id, "How long is the warranty?")

            async def feed() -> ConversationFeed:
                root = await app.state_manager.get_state(
                    rx.BaseStateToken(ident=conversation_token(conversation_id), cls=ConversationFeed))
                return await root.get_state(ConversationFeed)

            during = await eventually(feed, lambda f: bool(f.ai_draft), what="a draft in the feed")
            assert answer.startswith(during.ai_draft) and during.ai_draft != answer
        after = await feed()
        stored = next(m for m in await messages_of(conversation_id) if m.sender == "ai")
        assert after.ai_draft == "" and after.last_message == stored.id
    finally:
        support_feeds.uninstall()


async def test_the_system_prompt_names_the_visitors_language_and_keeps_the_organizations_instructions(
        database: str, openai_env: FakeOpenAI) -> None:
    from livchat.services.agent import settings as agent_settings
    from livchat.services.agent.schemas import AgentSettingsUpdate

    org = await make_org()
    async with db.session() as session:
        await agent_settings.update_agent_settings(session, org.owner, AgentSettingsUpdate(
            instructions="Always answer in English and sign as Aurora Bot.", tone="formal"))
    openai_env.chat.push(ChatReply(content="Olá! Como posso ajudar?"))
    async with answering(OpenAIAgent()):
        conversation_id = await _ask(org.id, "Oi", language="pt-BR")
    system = openai_env.chat.requests[0]["messages"][0]
    assert system["role"] == "system"
    assert "Brazilian Portuguese" in system["content"] and "(pt-BR)" in system["content"]
    assert "whatever the language of these instructions, of the organization's instructions" in system["content"]
    assert "Always answer in English and sign as Aurora Bot." in system["content"]
    assert "courteous and formal" in system["content"]
    assert openai_env.chat.requests[0]["messages"][-1] == {"role": "user", "content": "Oi"}
    assert (await transcript(conversation_id))[-1] == ("ai", "Olá! Como posso ajudar?")


async def test_the_escalate_tool_hands_off_and_tells_the_operators(database: str, openai_env: FakeOpenAI) -> None:
    org = await make_org()
    openai_env.chat.push(ChatReply(tool_calls=[ToolCall("escalate_conversation", {"reason": "human_requested"})]))
    async with answering(OpenAIAgent()):
        conversation_id = await _ask(org.id, "Quero falar com uma pessoa", language="pt-BR")
    assert await transcript(conversation_id) == [("contact", "Quero falar com uma pessoa"),
                                                ("system", translate("agent.handoff.notice", "pt-BR"))]
    assert (await conversation(conversation_id)).status == "escalated"
    async with db.session() as session:
        notice = (await session.exec(select(Notification).where(Notification.organization_id == org.id))).one()
        emails = (await session.exec(select(EmailOutbox).where(EmailOutbox.organization_id == org.id))).all()
    assert notice.kind == "handoff_human_requested" and "Quero falar com uma pessoa" in notice.body
    assert len(emails) == 2 and {e.template for e in emails} == {"handoff_human_requested"}


async def test_the_resolve_tool_closes_the_conversation_with_the_models_words(
        database: str, openai_env: FakeOpenAI) -> None:
    org = await make_org()
    openai_env.chat.push(ChatReply(content="You're welcome, have a nice day!",
                                   tool_calls=[ToolCall("resolve_conversation", {})]))
    async with answering(OpenAIAgent()):
        conversation_id = await _ask(org.id, "thanks, bye")
    assert (await transcript(conversation_id))[-1] == ("ai", "You're welcome, have a nice day!")
    assert (await conversation(conversation_id)).status == "resolved"


async def test_a_handoff_marker_written_in_the_text_is_only_text(database: str, openai_env: FakeOpenAI) -> None:
    """Chatwoot's failure: instructions reworded the marker and the handoff never fired. Here a
    handoff is a tool call; words in the answer change nothing."""
    org = await make_org()
    openai_env.chat.push(ChatReply(content="conversation_handoff: transferring you now"))
    async with answering(OpenAIAgent()):
        conversation_id = await _ask(org.id, "hello")
    assert (await conversation(conversation_id)).status == "unresolved"
    assert (await transcript(conversation_id))[-1] == ("ai", "conversation_handoff: transferring you now")


@pytest.mark.parametrize("failure", ["server_error", "unreachable", "too_slow", "empty", "marks_only"])
async def test_when_the_model_fails_the_visitor_is_told_and_an_operator_takes_over(
        database: str, openai_env: FakeOpenAI, env: Environment, failure: str) -> None:
    org = await make_org()
    if failure == "server_error":
        openai_env.fail_next("/v1/chat/completions", status=500, times=5)
    elif failure == "unreachable":
        with socket.socket() as sock:  # a port nobody listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env.set(OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1")
    elif failure == "too_slow":
        env.set(LIVCHAT_AGENT_TIMEOUT_SECONDS="0.5")
        openai_env.chat.push(ChatReply(content="a very slow answer that never finishes in time", delay=0.2))
    elif failure == "empty":
        openai_env.chat.push(ChatReply(content=""))
    else:
        openai_env.chat.push(ChatReply(content="[7]"))
    async with answering(OpenAIAgent()):
        conversation_id = await _ask(org.id, "Where is my order?")
    assert await transcript(conversation_id) == [("contact", "Where is my order?"),
                                                ("system", translate("agent.handoff.unavailable", "en"))]
    assert (await conversation(conversation_id)).status == "escalated"
    async with db.session() as session:
        notice = (await session.exec(select(Notification).where(Notification.organization_id == org.id))).one()
    assert notice.kind == "handoff_agent_error"


async def test_a_tool_loop_that_never_ends_is_cut_and_handed_off(database: str, openai_env: FakeOpenAI) -> None:
    org = await make_org()
    openai_env.chat.respond_with(lambda body: ChatReply(tool_calls=[
        ToolCall("search_knowledge_base", {"query": f"try {len(body['messages'])}"})]))
    async with answering(OpenAIAgent()):
        conversation_id = await _ask(org.id, "Where is my order?")
    assert len(openai_env.chat.requests) == 4  # LIVCHAT_AGENT_MAX_ROUNDS
    assert (await conversation(conversation_id)).status == "escalated"
    assert (await transcript(conversation_id))[-1] == ("system", translate("agent.handoff.unavailable", "en"))


async def test_no_search_needed_means_no_sources(database: str, openai_env: FakeOpenAI) -> None:
    org = await make_org()
    openai_env.chat.push(ChatReply(content="Hello! How can I help?"))
    async with answering(OpenAIAgent()):
        conversation_id = await _ask(org.id, "hi")
    stored = (await messages_of(conversation_id))[-1]
    assert stored.sender == "ai" and "sources" not in stored.metadata_


async def test_an_answer_without_markers_cites_the_relevant_passages_it_was_given(
        database: str, openai_env: FakeOpenAI) -> None:
    org = await make_org()
    ids = await ingest_corpus(org.owner, ("warranty.md",))
    openai_env.chat.push(*_search_then("The warranty is 12 months."))
    async with answering(OpenAIAgent()):
        conversation_id = await _ask(org.id, "How long is the warranty?")
    stored = (await messages_of(conversation_id))[-1]
    assert stored.metadata_["sources"][0]["fileId"] == ids["warranty.md"]


async def test_an_answer_longer_than_a_message_is_cut_not_lost(database: str, openai_env: FakeOpenAI) -> None:
    org = await make_org()
    openai_env.chat.push(ChatReply(content="word " * 1500, chunk_chars=500))
    async with answering(OpenAIAgent()):
        conversation_id = await _ask(org.id, "Tell me everything")
    sender, text = (await transcript(conversation_id))[-1]
    assert sender == "ai" and len(text) <= 5000 and text.endswith("…")
