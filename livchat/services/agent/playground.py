"""The dashboard's playground: ask the agent as a visitor would, without any conversation.

`ask` runs the configured agent (OpenAI or offline) on one question, with the organization's
instructions and tone, and returns what it would do — its answer (or the handoff note, or the
closing line), the passages it retrieved with their score and similarity, the passages it cites,
and the tools it called, in order. Nothing is stored, nobody is notified, nothing is sent.

Permission: `read`. Any member may try it: like the knowledge-base search (`read`), it only reads
the organization's own data and changes nothing. With the OpenAI agent each question costs
tokens, as a visitor's would.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from livchat.core.db import db
from livchat.i18n import normalize_language, translate
from livchat.services.actors import Actor
from livchat.services.agent import relevance
from livchat.services.agent import settings as agent_settings
from livchat.services.agent.core import Agent, HistoryItem, Turn
from livchat.services.agent.language import answer_language
from livchat.services.agent.registry import configured_agent
from livchat.services.agent.schemas import HistoryIn, PlaygroundAnswer, TraceStepOut
from livchat.services.errors import InvalidInput
from livchat.services.knowledge.search import MAX_QUERY_CHARS

MAX_HISTORY = 20


def checked_question(question: object) -> str:
    if not isinstance(question, str) or "\x00" in question:
        raise InvalidInput("question_empty")
    text = " ".join(question.split())
    if not text:
        raise InvalidInput("question_empty")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput("question_too_long")
    return text


async def ask(actor: Actor, question: str, *, language: str | None = None, channel: str = "widget",
              history: Sequence[HistoryIn] = (), agent: Agent | None = None) -> PlaygroundAnswer:
    """`language`: the visitor's (en | pt-BR; None: detected from the question, else en);
    `history`: earlier turns of the same pretend conversation, oldest first."""
    actor.require("read")
    text = checked_question(question)
    if language is not None and language not in ("en", "pt-BR"):
        raise InvalidInput("invalid_language")
    async with db.session() as session:
        org = await agent_settings.effective(session, actor.organization_id)
    turn = Turn(organization_id=actor.organization_id, question=text,
                language=answer_language(text, normalize_language(language)),
                history=tuple(HistoryItem(h.role, h.text) for h in list(history)[-MAX_HISTORY:]),
                instructions=org.instructions, tone=org.tone,
                channel="whatsapp" if channel == "whatsapp" else "widget")
    started = time.perf_counter()
    first_draft: list[float] = []

    async def on_draft(_: str) -> None:
        if not first_draft:
            first_draft.append((time.perf_counter() - started) * 1000)

    outcome = await (agent or configured_agent()).run(turn, on_draft)
    duration = (time.perf_counter() - started) * 1000
    reply = outcome.text
    if outcome.action == "escalate" and not reply.strip():
        note = "agent.handoff.unavailable" if outcome.reason in ("agent_error", "max_rounds") else "agent.handoff.notice"
        reply = translate(note, turn.language)
    return PlaygroundAnswer(
        agent=outcome.agent, language=turn.language, action=outcome.action, reason=outcome.reason, text=reply,
        sources=outcome.sources, passages=outcome.passages,
        trace=[TraceStepOut(tool=s.tool, arguments=s.arguments, result=s.result, duration_ms=s.duration_ms,
                            chunk_ids=[h.chunk_id for h in s.hits]) for s in outcome.trace],
        threshold=relevance.thresholds()[0], threshold_shared_word=relevance.thresholds()[1],
        duration_ms=round(duration, 1),
        first_draft_ms=round(first_draft[0], 1) if first_draft else None)
