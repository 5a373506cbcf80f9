"""When the agent hands a conversation to a person, the operators are told: a live notice on the
dashboard (notifications.notices: each reader sees it in their language) and an email to every
member of the organization through the outbox, each in their own language. A question handed off
because the knowledge base had nothing relevant is kept (`UnansweredQuestion`) for the support
analytics' list of what to write next. One transaction: the notice, the emails and the question
are stored together."""

from __future__ import annotations

from sqlmodel import col, select

from livchat.core.db import db
from livchat.core.events import bus
from livchat.core.ids import new_id
from livchat.core.settings import get_settings
from livchat.i18n import normalize_language
from livchat.models import (
    Contact,
    ContactSession,
    Conversation,
    Membership,
    UnansweredQuestion,
    User,
)
from livchat.models.enums import ConversationChannel
from livchat.services.agent.core import excerpt
from livchat.services.notifications import notices
from livchat.services.notifications.email import send_email

KINDS = {"human_requested": "handoff_human_requested", "no_answer": "handoff_no_answer",
         "agent_error": "handoff_agent_error", "max_rounds": "handoff_agent_error"}
QUESTION_CHARS = 200


def notice_kind(reason: str | None) -> str:
    return KINDS.get(reason or "", "handoff_other")


def inbox_link(conversation_id: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/dashboard/inbox?conversation={conversation_id}"


async def _contact_name(conversation: Conversation) -> str:
    async with db.session() as session:
        if conversation.contact_session_id:
            visit = await session.get(ContactSession, conversation.contact_session_id)
            if visit is not None and visit.name:
                return visit.name
        if conversation.contact_id:
            contact = await session.get(Contact, conversation.contact_id)
            if contact is not None:
                return contact.name or (f"+{contact.phone}" if contact.phone else "")
    return ""


async def operators_told(conversation: Conversation, reason: str | None, question: str, *,
                         language: str, best_similarity: float | None = None) -> str:
    """The notice and the emails (and the unanswered question); the notice's kind."""
    kind = notice_kind(reason)
    channel = "WhatsApp" if conversation.channel == ConversationChannel.WHATSAPP else "widget"
    params = {"contact": await _contact_name(conversation) or "?", "channel": channel,
              "question": excerpt(question, QUESTION_CHARS), "link": inbox_link(conversation.id)}
    async with db.session() as session:
        await notices.notify(session, conversation.organization_id, kind, **params)
        people = (await session.exec(
            select(User.email, User.locale).join(Membership, col(Membership.user_id) == User.id)
            .where(Membership.organization_id == conversation.organization_id))).all()
        for email, locale in people:
            subject, body = notices.render(kind, params, normalize_language(locale))
            await send_email(session, email, subject, body, conversation.organization_id, template=kind)
        if reason == "no_answer":
            session.add(UnansweredQuestion(
                id=new_id("uq"), organization_id=conversation.organization_id, conversation_id=conversation.id,
                channel=conversation.channel, language=language, question=question[:2000],
                best_similarity=best_similarity))
        await bus.commit_and_publish(session)
    return kind
