"""The playground service: ask the agent as a visitor would, without a conversation — the answer,
the passages with their scores and similarities, the tools called in order; members may ask; one
organization's questions never reach another's knowledge base."""

from __future__ import annotations

import pytest
from sqlmodel import select

from livchat.core.db import db
from livchat.i18n import translate
from livchat.models import Conversation, EmailOutbox, Notification, UnansweredQuestion
from livchat.services.actors import Actor
from livchat.services.agent import playground
from livchat.services.agent.extractive import ExtractiveAgent
from livchat.services.agent.openai_agent import OpenAIAgent
from livchat.services.agent.schemas import HistoryIn
from livchat.services.errors import InvalidInput, PermissionDenied
from tests.agent.agent_support import Environment, ingest_corpus, ingest_text
from tests.fakes.openai_server import ChatReply, FakeOpenAI, ToolCall
from tests.support.desk_support import make_org


async def test_an_answer_with_its_passages_and_the_tools_called_and_nothing_stored(database: str) -> None:
    org = await make_org()
    ids = await ingest_corpus(org.owner)
    answer = await playground.ask(org.operator, "How long is the warranty?")  # a member may ask
    assert (answer.agent, answer.action, answer.language, answer.reason) == ("extractive", "answer", "en", None)
    assert "12-month warranty" in answer.text and answer.sources[0].file_id == ids["warranty.md"]
    assert [step.tool for step in answer.trace] == ["search_knowledge_base"]
    step = answer.trace[0]
    assert step.arguments == {"query": "How long is the warranty?"} and step.duration_ms >= 0
    assert step.chunk_ids and set(step.chunk_ids) == {p.chunk_id for p in answer.passages}
    best = answer.passages[0]
    assert best.filename == "warranty.md" and best.similarity is not None and 0 < best.score <= 1
    assert answer.threshold == 0.45 and answer.threshold_shared_word == 0.10  # the hashed embedder's
    async with db.session() as session:
        for table in (Conversation, Notification, EmailOutbox, UnansweredQuestion):
            assert (await session.exec(select(table))).all() == []


async def test_a_handoff_shows_why_and_the_note_the_visitor_would_read(database: str) -> None:
    org = await make_org()
    await ingest_corpus(org.owner, ("warranty.md",))
    human = await playground.ask(org.operator, "Quero falar com um atendente")
    assert (human.action, human.reason, human.language) == ("escalate", "human_requested", "pt-BR")
    assert [s.tool for s in human.trace] == ["escalate_conversation"]
    assert human.text == translate("agent.handoff.notice", "pt-BR")
    nothing = await playground.ask(org.operator, "What is the capital of Australia?", language="en")
    assert (nothing.action, nothing.reason) == ("escalate", "no_answer")
    assert [s.tool for s in nothing.trace] == ["search_knowledge_base", "escalate_conversation"]


async def test_the_openai_agent_in_the_playground_shows_its_tool_calls_in_order(
        database: str, env: Environment, fake_openai: FakeOpenAI) -> None:
    env.set(**fake_openai.environment(), LIVCHAT_AGENT="openai")
    org = await make_org()
    await ingest_corpus(org.owner, ("warranty.md",))
    fake_openai.chat.push(ChatReply(tool_calls=[ToolCall("search_knowledge_base", {"query": "warranty"})]),
                          ChatReply(content="12 months [1]."))
    answer = await playground.ask(org.operator, "How long is the warranty?",
                                  history=[HistoryIn(role="visitor", text="hi"), HistoryIn(role="agent", text="Hello!")])
    assert (answer.agent, answer.action, answer.text) == ("openai", "answer", "12 months [1].")
    assert [s.tool for s in answer.trace] == ["search_knowledge_base"] and answer.trace[0].arguments == {
        "query": "warranty"}
    assert answer.first_draft_ms is not None and answer.sources[0].filename == "warranty.md"
    sent = fake_openai.chat.requests[0]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]


async def test_questions_are_checked(database: str) -> None:
    org = await make_org()
    for question, code in (("   ", "question_empty"), ("x" * 1001, "question_too_long"), (None, "question_empty")):
        with pytest.raises(InvalidInput) as raised:
            await playground.ask(org.operator, question)  # type: ignore[arg-type]
        assert raised.value.detail == code
    with pytest.raises(InvalidInput):
        await playground.ask(org.operator, "hi", language="fr")
    with pytest.raises(PermissionDenied):
        await playground.ask(Actor(organization_id=org.id, role="visitor"), "hi")


async def test_one_organizations_agent_never_reads_another_organizations_knowledge_base(
        database: str, env: Environment, fake_openai: FakeOpenAI) -> None:
    mine, theirs = await make_org("Mine"), await make_org("Theirs")
    secret = await ingest_text(theirs.owner, "secret.md",
                               "# Vault\n\nThe vault opening code is 4242, and the vault opens on Tuesdays.")
    await ingest_corpus(mine.owner, ("warranty.md",))
    offline = await playground.ask(mine.owner, "What is the vault opening code?", agent=ExtractiveAgent())
    assert offline.action == "escalate" and all(p.file_id != secret for p in offline.passages)
    env.set(**fake_openai.environment(), LIVCHAT_AGENT="openai")
    fake_openai.chat.push(ChatReply(tool_calls=[ToolCall("search_knowledge_base", {"query": "vault opening code"})]),
                          ChatReply(content="I could not find it."))
    online = await playground.ask(mine.owner, "What is the vault opening code?", agent=OpenAIAgent())
    assert all(p.file_id != secret for p in online.passages)
    assert "4242" not in fake_openai.chat.requests[1]["messages"][-1]["content"]
    own = await playground.ask(theirs.owner, "What is the vault opening code?", agent=ExtractiveAgent())
    assert own.action == "answer" and "4242" in own.text and own.passages[0].file_id == secret
