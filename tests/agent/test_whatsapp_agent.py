"""The WhatsApp channel end to end, through the in-process sandbox over real sockets: a contact
writes to a number with "AI answers this number" on, the message becomes a conversation in the
inbox (channel whatsapp), the agent's answer goes out over WhatsApp, an operator's reply from the
inbox too, media shows in the conversation, and the same contact continues the conversation on
another day."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from livchat.core.db import db, utcnow
from livchat.core.ids import new_id
from livchat.i18n import translate
from livchat.models import (
    Conversation,
    ConversationAttachment,
    ConversationMessage,
    Message,
    UnansweredQuestion,
)
from livchat.services.agent.extractive import ExtractiveAgent
from livchat.services.errors import PermissionDenied, ServiceError
from livchat.services.support import attachments, conversations, inbox, whatsapp_channel
from livchat.services.whatsapp import instances
from tests.agent.agent_support import answering, ingest_corpus, transcript
from tests.factories import make_instance
from tests.polling import eventually
from tests.support.desk_support import PNG, make_org
from tests.whatsapp.wa_support import LiveApp, linked_instance

CONTACT = "5511912345678"


@pytest.fixture
def channel() -> Any:
    whatsapp_channel.install()
    yield
    whatsapp_channel.uninstall()


async def _outbox(live: LiveApp, instance: Any) -> list[dict[str, Any]]:
    return (await live.control.get("/outbox", params={"id": instance.wuzapi_user_id})).json()["messages"]


async def _write(live: LiveApp, instance: Any, **body: Any) -> None:
    response = await live.control.post("/inbound", json={"id": instance.wuzapi_user_id, "from": CONTACT,
                                                         "pushName": "Carla Dias", **body})
    assert response.status_code == 200, response.text


async def _conversations(organization_id: str) -> list[Conversation]:
    async with db.session() as session:
        return list((await session.exec(select(Conversation).where(
            Conversation.organization_id == organization_id).order_by(col(Conversation.created_at)))).all())


async def test_a_contact_gets_the_agents_answer_over_whatsapp_then_an_operator_takes_over(
        live: LiveApp, forget_sandbox_users: None, channel: None) -> None:
    org = await make_org()
    await ingest_corpus(org.owner, ("warranty.md",))
    async with db.session() as session:
        instance = await linked_instance(live, session, org.id)
        with pytest.raises(PermissionDenied):  # an operator may not switch it on
            await instances.set_ai_answers(session, org.operator, instance.id, True)
        await instances.set_ai_answers(session, org.owner, instance.id, True)
    async with answering(ExtractiveAgent()):
        await _write(live, instance, text="How long is the warranty?")
        sent = await eventually(lambda: _outbox(live, instance), lambda out: any(m["to"] == CONTACT for m in out),
                                what="the agent's answer over WhatsApp")
    (answer,) = [m for m in sent if m["to"] == CONTACT]
    assert "12-month warranty" in answer["text"] and "Source: warranty.md" in answer["text"]
    (conversation,) = await _conversations(org.id)
    assert (conversation.channel, conversation.instance_id, conversation.status) == ("whatsapp", instance.id,
                                                                                     "unresolved")
    async with db.session() as session:
        shown = await inbox.get_conversation(session, org.operator, conversation.id)
        page = await inbox.list_conversations(session, org.operator, channel="whatsapp")
    assert shown.contact.phone == CONTACT and shown.contact.name == "Carla Dias" and shown.channel == "whatsapp"
    assert [c.id for c in page.data] == [conversation.id]
    rows = await transcript(conversation.id)
    assert rows[0] == ("contact", "How long is the warranty?") and rows[1][0] == "ai"
    async with db.session() as session:
        ai = (await session.exec(select(ConversationMessage).where(
            ConversationMessage.conversation_id == conversation.id, ConversationMessage.sender == "ai"))).one()
        out_row = await session.get(Message, ai.metadata_["whatsappMessageId"])
    assert out_row is not None and out_row.direction == "outbound" and out_row.text == ai.content

    # The contact asks for a person; an operator answers from the inbox: over WhatsApp too.
    async with answering(ExtractiveAgent()):
        await _write(live, instance, text="Quero falar com um atendente")
        await eventually(lambda: _conversations(org.id), lambda rows: bool(rows) and rows[0].status == "escalated",
                         what="the handoff")
    async with db.session() as session:
        reply = await conversations.reply(session, org.operator, conversation.id, "Oi Carla, aqui é o Bruno!")
    newest_first = [m["text"] for m in await _outbox(live, instance) if m["to"] == CONTACT]
    assert newest_first[0] == "Oi Carla, aqui é o Bruno!" and reply.sender == "operator"
    assert newest_first[1] == translate("agent.handoff.notice", "pt-BR")  # the desk's note reached the contact too
    assert len(newest_first) == 3


async def test_the_same_contact_continues_the_conversation_on_another_day(
        live: LiveApp, forget_sandbox_users: None, channel: None) -> None:
    org = await make_org()
    await ingest_corpus(org.owner, ("warranty.md",))
    async with db.session() as session:
        instance = await linked_instance(live, session, org.id)
        await instances.set_ai_answers(session, org.owner, instance.id, True)
    async with answering(ExtractiveAgent()):
        await _write(live, instance, text="How long is the warranty?")
        (first,) = await eventually(lambda: _conversations(org.id), what="the conversation")
        await eventually(lambda: transcript(first.id), lambda rows: len(rows) == 2, what="the answer")
        async with db.session() as session:
            await conversations.resolve(session, org.operator, first.id)
            # Yesterday's: move the conversation and its messages a day back.
            yesterday = utcnow() - timedelta(days=1)
            await session.exec(update(Conversation).where(col(Conversation.id) == first.id)  # type: ignore[call-overload]
                               .values(created_at=yesterday, last_message_at=yesterday))
            await session.exec(update(ConversationMessage)  # type: ignore[call-overload]
                               .where(col(ConversationMessage.conversation_id) == first.id)
                               .values(created_at=yesterday))
            await session.commit()
        await _write(live, instance, text="Does the warranty cover water damage?")
        await eventually(lambda: transcript(first.id), lambda rows: len(rows) == 4, what="the next day's answer")
    conversations_now = await _conversations(org.id)
    assert [c.id for c in conversations_now] == [first.id] and conversations_now[0].status == "unresolved"
    rows = await transcript(first.id)
    assert rows[2] == ("contact", "Does the warranty cover water damage?") and "water damage" in rows[3][1]


async def test_media_is_shown_in_the_conversation(live: LiveApp, forget_sandbox_users: None, channel: None) -> None:
    org = await make_org()
    async with db.session() as session:
        instance = await linked_instance(live, session, org.id)
        await instances.set_ai_answers(session, org.owner, instance.id, True)
    await _write(live, instance, type="image", base64=base64.b64encode(PNG).decode(), mimeType="image/png",
                 caption="my receipt")
    await _write(live, instance, type="audio", base64=base64.b64encode(b"OggS" + b"\0" * 60).decode(),
                 mimeType="audio/ogg")
    (conversation,) = await eventually(lambda: _conversations(org.id), what="the conversation")
    rows = await eventually(lambda: transcript(conversation.id), lambda rows: len(rows) >= 2, what="both messages")
    assert rows[0] == ("contact", "my receipt")
    assert rows[1][1].startswith("[audio · audio/ogg · 64 B]")
    async with db.session() as session:
        attachment = (await session.exec(select(ConversationAttachment).where(
            ConversationAttachment.conversation_id == conversation.id))).one()
        page = await inbox.list_messages(session, org.operator, conversation.id, links="signed")
    assert (attachment.content_type, attachment.size_bytes) == ("image/png", len(PNG))
    assert page.data[0].attachments[0].is_image and page.data[0].attachments[0].url


async def test_a_number_without_ai_stays_plain_api_traffic(live: LiveApp, forget_sandbox_users: None,
                                                           channel: None) -> None:
    org = await make_org()
    async with db.session() as session:
        instance = await linked_instance(live, session, org.id)
    await _write(live, instance, text="hello?")
    stored = await eventually(lambda: _inbound(instance.id), what="the stored message")
    assert await _conversations(org.id) == []
    assert await whatsapp_channel.mirror(stored[0].id) is None  # and asking again changes nothing


async def _inbound(instance_id: str) -> list[Message]:
    async with db.session() as session:
        return list((await session.exec(select(Message).where(Message.instance_id == instance_id,
                                                              Message.direction == "inbound"))).all())


async def test_an_inbound_message_enters_a_conversation_once(live: LiveApp, forget_sandbox_users: None,
                                                             channel: None) -> None:
    org = await make_org()
    async with db.session() as session:
        instance = await linked_instance(live, session, org.id)
        await instances.set_ai_answers(session, org.owner, instance.id, True)
    await _write(live, instance, text="only once")
    (conversation,) = await eventually(lambda: _conversations(org.id), what="the conversation")
    (stored,) = await _inbound(instance.id)
    assert await whatsapp_channel.mirror(stored.id) is None  # a replayed event posts nothing
    assert await transcript(conversation.id) == [("contact", "only once")]


async def test_an_operators_file_goes_out_over_whatsapp(live: LiveApp, forget_sandbox_users: None,
                                                       channel: None) -> None:
    org = await make_org()
    async with db.session() as session:
        instance = await linked_instance(live, session, org.id)
        await instances.set_ai_answers(session, org.owner, instance.id, True)
    await _write(live, instance, text="Can you send me the invoice?")
    (conversation,) = await eventually(lambda: _conversations(org.id), what="the conversation")
    async with db.session() as session:
        upload = attachments.check("invoice.png", PNG)
        await conversations.reply(session, org.operator, conversation.id, "Here it is", upload)
    sent = [m for m in await _outbox(live, instance) if m["to"] == CONTACT]
    assert (sent[0]["type"], sent[0]["text"]) == ("image", "Here it is")


async def test_a_reply_that_cannot_be_sent_is_refused_and_not_stored(live: LiveApp, channel: None) -> None:
    org = await make_org()
    async with db.session() as session:
        instance = make_instance(org.id)  # no WhatsApp session behind it
        session.add(instance)
        await session.commit()
        posted = await conversations.post_whatsapp_contact_message(
            session, org.id, instance.id, CONTACT, "hello", source_message_id=new_id("msg"))
        assert posted is not None
        with pytest.raises(ServiceError):
            await conversations.reply(session, org.operator, posted.conversation.id, "Hi!")
    assert await transcript(posted.conversation.id) == [("contact", "hello")]


async def test_a_voice_note_goes_to_a_person(live: LiveApp, forget_sandbox_users: None, channel: None) -> None:
    org = await make_org()
    async with db.session() as session:
        instance = await linked_instance(live, session, org.id)
        await instances.set_ai_answers(session, org.owner, instance.id, True)
    async with answering(ExtractiveAgent()):
        await _write(live, instance, type="audio", base64=base64.b64encode(b"OggS" + b"\0" * 60).decode(),
                     mimeType="audio/ogg")
        (conversation,) = await eventually(
            lambda: _conversations(org.id), lambda rows: bool(rows) and rows[0].status == "escalated", what="the handoff")
    rows = await transcript(conversation.id)
    assert [s for s, _ in rows] == ["contact", "system"] and rows[0][1].startswith("[audio")
    assert conversation.language == "pt-BR"  # a Brazilian number, and no words to tell
    async with db.session() as session:
        assert (await session.exec(select(UnansweredQuestion))).all() == []
