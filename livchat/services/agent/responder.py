"""The agent on the support desk: the `agent` responder (support/responder.py runs it in a
background task per contact message, one at a time per conversation, a bounded number at once).

For each contact message it:
1. stays silent when a person is on the conversation — escalated, or an operator wrote in the
   current episode (no talking over a human) — or when the agent is off for it (the widget: the
   organization's agent settings; WhatsApp: the number's "AI answers this number"; then the plain
   default responder's note is posted instead);
2. reads the current episode only (since the conversation was last reopened): an escalation before
   a resolution is never read again, so a reopened conversation does not hand off in a loop
   (Chatwoot #13880 / #15068);
3. answers the contact messages not yet answered, in the language they are written in (the
   conversation's when unclear), streaming drafts (`AgentDraft`) to the conversation's feed; a
   turn with nothing to read (only files, voice notes, locations) goes to a person;
4. applies the outcome: the answer stored once with its sources; a resolution with a closing
   line; a handoff with the desk's note to the visitor, the status change, and the operators told
   (handoff.py). Before writing it checks again that no operator stepped in meanwhile.
"""

from __future__ import annotations

from sqlmodel import select

from livchat.core.db import db
from livchat.core.events import bus
from livchat.core.logging import get_logger
from livchat.i18n import translate
from livchat.models import Conversation, ConversationMessage, Instance
from livchat.models.enums import ConversationChannel, ConversationStatus, Sender
from livchat.services.agent import handoff
from livchat.services.agent import settings as agent_settings
from livchat.services.agent.core import Agent, HistoryItem, HistoryRole, Outcome, Turn
from livchat.services.agent.language import answer_language
from livchat.services.agent.registry import agent_kind, configured_agent
from livchat.services.support import conversations
from livchat.services.support import responder as desk_responder
from livchat.services.support.events import AgentDraft, ContactMessageReceived
from livchat.services.support.responder import DefaultResponder, Desk
from livchat.services.support.whatsapp_channel import PLACEHOLDER

log = get_logger("agent")

HANDOFF_NOTE = "agent.handoff.notice"
UNAVAILABLE_NOTE = "agent.handoff.unavailable"
_ROLES: dict[str, HistoryRole] = {Sender.CONTACT: "visitor", Sender.AI: "agent", Sender.OPERATOR: "operator",
                                  Sender.SYSTEM: "system"}


ANSWERED_UP_TO = "answeredUpTo"  # message metadata: the last contact message an agent's turn answered


def unanswered(episode: list[ConversationMessage]) -> tuple[list[ConversationMessage], list[ConversationMessage]]:
    """(the rest of the episode, the contact messages no turn has answered yet). An agent's message
    names the last contact message its turn answered (ANSWERED_UP_TO: a message that arrived while
    it worked is still to answer); any other reply covers the contact messages before it."""
    covered: str | None = None
    last_contact: str | None = None
    for message in episode:
        if message.sender == Sender.CONTACT:
            last_contact = message.id
            continue
        mark = message.metadata_.get(ANSWERED_UP_TO)
        mark = mark if isinstance(mark, str) else last_contact
        if mark is not None and (covered is None or mark > covered):
            covered = mark
    asked = [m for m in episode if m.sender == Sender.CONTACT and (covered is None or m.id > covered)]
    return [m for m in episode if m not in asked], asked


async def agent_answers(conversation: Conversation) -> bool:
    """Is the agent on for this conversation? Off in this deployment (LIVCHAT_AGENT=off), off for the
    organization's widget (its settings), off for the WhatsApp number it came in on."""
    if agent_kind() == "off":
        return False
    async with db.session() as session:
        if conversation.channel == ConversationChannel.WHATSAPP:
            if conversation.instance_id is None:
                return False
            enabled = (await session.exec(select(Instance.agent_enabled).where(
                Instance.id == conversation.instance_id,
                Instance.organization_id == conversation.organization_id))).first()
            return bool(enabled)
        return (await agent_settings.effective(session, conversation.organization_id)).enabled


def fit(text: str) -> str:
    """An answer as a message can hold it (a model may write more than MAX_TEXT_LENGTH)."""
    text = text.strip()
    limit = conversations.MAX_TEXT_LENGTH
    return text if len(text) <= limit else text[:limit - 1].rsplit(" ", 1)[0] + "…"


class AgentResponder:
    def __init__(self, agent: Agent | None = None) -> None:
        self._agent = agent  # None: the configured one, chosen per message (settings may change)

    async def respond(self, event: ContactMessageReceived, desk: Desk) -> None:
        conversation = await desk.row()
        if conversation.status != ConversationStatus.UNRESOLVED:
            return  # escalated: a person has it (resolved cannot be: a contact message reopens)
        episode = await desk.episode()
        if any(m.sender == Sender.OPERATOR for m in episode):
            return  # an operator is answering in this episode
        before, asked = unanswered(episode)
        if not asked:
            return  # an earlier run answered these messages too
        if not await agent_answers(conversation):
            await DefaultResponder().respond(event, desk)
            return
        question = "\n".join(m.content for m in asked if m.content.strip() and PLACEHOLDER not in m.metadata_)
        if not question:  # only files, voice notes, locations: a person must look at them
            await self._apply(desk, conversation, Outcome(action="escalate", text="", agent="", reason="other"),
                              asked[-1].content, conversation.language, {ANSWERED_UP_TO: asked[-1].id})
            return
        async with db.session() as session:
            org_settings = await agent_settings.effective(session, conversation.organization_id)
        language = answer_language(question, conversation.language)
        turn = Turn(organization_id=conversation.organization_id, question=question, language=language,
                    history=tuple(HistoryItem(_ROLES.get(m.sender, "system"), m.content)
                                  for m in before if m.content.strip()),
                    instructions=org_settings.instructions, tone=org_settings.tone, channel=conversation.channel)
        drafted = False

        async def on_draft(text: str) -> None:
            nonlocal drafted
            drafted = True
            await bus.publish(AgentDraft(organization_id=conversation.organization_id,
                                         conversation_id=conversation.id,
                                         contact_session_id=conversation.contact_session_id, text=text))

        agent = self._agent or configured_agent()
        outcome = await agent.run(turn, on_draft)
        marks = {ANSWERED_UP_TO: asked[-1].id}
        try:
            await self._apply(desk, conversation, outcome, question, language, marks)
        except Exception:  # the answer could not be written: a person takes over, never silence
            log.exception("could not apply the agent's outcome; handing off", extra={"conversation": conversation.id})
            failed = Outcome(action="escalate", text="", agent=outcome.agent, reason="agent_error")
            await self._apply(desk, conversation, failed, question, language, marks)
        finally:
            if drafted:
                await on_draft("")

    async def _apply(self, desk: Desk, conversation: Conversation, outcome: Outcome, question: str,
                     language: str, turn: dict[str, str]) -> None:
        current = await desk.row()
        if current.status != ConversationStatus.UNRESOLVED or any(
                m.sender == Sender.OPERATOR for m in await desk.episode()):
            log.info("answer dropped: a person took the conversation meanwhile", extra={"conversation": current.id})
            return
        sources = [s.model_dump(by_alias=True) for s in outcome.sources] or None
        outcome.text = fit(outcome.text)
        if outcome.action == "answer":
            await desk.reply(outcome.text, sources, metadata=turn)
            return
        if outcome.action == "resolve":
            await desk.reply(outcome.text, metadata=turn)
            await desk.resolve()
            return
        if outcome.text.strip():
            await desk.reply(outcome.text, sources, metadata=turn)
        note = UNAVAILABLE_NOTE if outcome.reason in ("agent_error", "max_rounds") else HANDOFF_NOTE
        await desk.post_system(translate(note, language), metadata=turn)
        if await desk.escalate():
            await handoff.operators_told(conversation, outcome.reason, question, language=language,
                                         best_similarity=outcome.best_similarity)


desk_responder.register("agent", AgentResponder)
