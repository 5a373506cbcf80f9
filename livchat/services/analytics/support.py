"""Support analytics (issue 13 §7): per day of a date range (UTC), the conversations opened and what
became of them; over the range the AI resolution rate (resolved without an operator reply and never
handed to a person), the handoff rate, the median time to first answer (AI or operator), and the
questions the agent could not answer (stored at the handoff: agent/handoff.py).

Two queries over the range's conversations (their rows, and the first message time per sender of
each), one over the unanswered questions; the rest is arithmetic here.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.text import fold
from livchat.models import Conversation, ConversationMessage, UnansweredQuestion
from livchat.models.enums import ConversationStatus, Sender
from livchat.services.actors import Actor
from livchat.services.analytics.schemas import (
    SupportAnalytics,
    SupportDay,
    SupportTotals,
    UnansweredGroup,
    UnansweredOut,
)
from livchat.services.errors import InvalidInput

MAX_DAYS = 366
UNANSWERED_LIMIT = 50
TOP_SCAN = 1000  # unanswered questions grouped for the "most asked" list


def _window(start: date, end: date) -> tuple[datetime, datetime]:
    if not isinstance(start, date) or not isinstance(end, date) or start > end or (end - start).days >= MAX_DAYS:
        raise InvalidInput("invalid_range")
    return datetime.combine(start, time(), UTC), datetime.combine(end + timedelta(days=1), time(), UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def support_analytics(session: AsyncSession, actor: Actor, start: date, end: date, *,
                            limit: int = UNANSWERED_LIMIT) -> SupportAnalytics:
    actor.require("read")
    since, until = _window(start, end)
    organization_id = actor.organization_id
    in_range = (Conversation.organization_id == organization_id, col(Conversation.created_at) >= since,
                col(Conversation.created_at) < until)
    # sqlmodel types select() for up to 4 columns: hence the ignore.
    rows = (await session.exec(select(Conversation.id, Conversation.created_at, Conversation.status,  # type: ignore[call-overload]
                                      Conversation.escalated_at, Conversation.channel).where(*in_range))).all()
    firsts: dict[str, dict[str, datetime]] = {}
    ids = select(Conversation.id).where(*in_range)
    query = (select(ConversationMessage.conversation_id, ConversationMessage.sender,
                    func.min(ConversationMessage.created_at))
             .where(ConversationMessage.organization_id == organization_id,
                    col(ConversationMessage.conversation_id).in_(ids))
             .group_by(ConversationMessage.conversation_id, ConversationMessage.sender))
    for conversation_id, sender, first in (await session.exec(query)).all():
        firsts.setdefault(conversation_id, {})[sender] = _aware(first)

    days = {start + timedelta(days=i): SupportDay(date=start + timedelta(days=i), conversations=0, ai_answered=0,
                                                  ai_resolved=0, escalated=0)
            for i in range((end - start).days + 1)}
    waits: list[float] = []
    channels: Counter[str] = Counter()
    ai_answered = ai_resolved = escalated = operator_answered = 0
    for conversation_id, created_at, status, escalated_at, channel in rows:
        day = days[_aware(created_at).date()]
        senders = firsts.get(conversation_id, {})
        channels[channel] += 1
        day.conversations += 1
        if Sender.AI in senders:
            day.ai_answered += 1
            ai_answered += 1
        if Sender.OPERATOR in senders:
            operator_answered += 1
        if escalated_at is not None:
            day.escalated += 1
            escalated += 1
        elif status == ConversationStatus.RESOLVED and Sender.OPERATOR not in senders:
            day.ai_resolved += 1
            ai_resolved += 1
        asked = senders.get(Sender.CONTACT)
        answers = [t for s, t in senders.items() if s in (Sender.AI, Sender.OPERATOR) and asked and t >= asked]
        if asked and answers:
            waits.append((min(answers) - asked).total_seconds())
    total = len(rows)
    totals = SupportTotals(
        conversations=total, ai_answered=ai_answered, ai_resolved=ai_resolved,
        ai_resolution_rate=_rate(ai_resolved, total), escalated=escalated, handoff_rate=_rate(escalated, total),
        operator_answered=operator_answered,
        median_first_answer_seconds=round(statistics.median(waits), 3) if waits else None,
        by_channel=dict(channels))
    unanswered, top = await _unanswered(session, organization_id, since, until, limit)
    return SupportAnalytics(start=start, end=end, days=list(days.values()), totals=totals, unanswered=unanswered,
                            top_unanswered=top)


async def _unanswered(session: AsyncSession, organization_id: str, since: datetime, until: datetime,
                      limit: int) -> tuple[list[UnansweredOut], list[UnansweredGroup]]:
    rows = (await session.exec(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.organization_id == organization_id, col(UnansweredQuestion.created_at) >= since,
               col(UnansweredQuestion.created_at) < until)
        .order_by(col(UnansweredQuestion.created_at).desc(), col(UnansweredQuestion.id).desc())
        .limit(TOP_SCAN))).all()
    latest = [UnansweredOut(question=r.question, language=r.language, channel=r.channel,
                            conversation_id=r.conversation_id, best_similarity=r.best_similarity,
                            created_at=r.created_at) for r in rows[:max(0, min(int(limit), TOP_SCAN))]]
    groups: dict[str, UnansweredGroup] = {}
    for row in rows:  # newest first: a group's first row is its latest wording
        key = " ".join(fold(row.question).split()).strip(" ?!.")
        found = groups.get(key)
        if found is None:
            groups[key] = UnansweredGroup(question=row.question, count=1, last_asked_at=row.created_at)
        else:
            found.count += 1
    top = sorted(groups.values(), key=lambda g: (-g.count, -g.last_asked_at.timestamp()))[:20]
    return latest, top
