"""Support analytics: conversations per day, AI resolution and handoff rates, the median time to
first answer (AI or operator), the questions the agent could not answer — over a date range, for
the caller's organization only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from livchat.core.db import db
from livchat.core.ids import new_id
from livchat.models import Conversation, ConversationMessage, UnansweredQuestion
from livchat.services.actors import Actor
from livchat.services.agent.extractive import ExtractiveAgent
from livchat.services.analytics import support
from livchat.services.errors import InvalidInput, PermissionDenied
from livchat.services.widget import visitor
from tests.agent.agent_support import answering, ingest_corpus
from tests.support.desk_support import make_org, make_visitor

DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)


async def _conversation(organization_id: str, opened: datetime, *, status: str = "unresolved",
                        escalated: bool = False, channel: str = "widget",
                        replies: tuple[tuple[str, float], ...] = ()) -> str:
    """A conversation opened at `opened` by a contact message, with replies (sender, seconds later)."""
    async with db.session() as session:
        row = Conversation(id=new_id("conv"), organization_id=organization_id, channel=channel, status=status,
                           escalated_at=opened + timedelta(seconds=1) if escalated else None, created_at=opened)
        session.add(row)
        await session.flush()
        for sender, after in (("contact", 0.0), *replies):
            session.add(ConversationMessage(id=new_id("cmsg"), organization_id=organization_id, conversation_id=row.id,
                                            sender=sender, content="...", created_at=opened + timedelta(seconds=after)))
        await session.commit()
        return row.id


async def _unanswered(organization_id: str, question: str, at: datetime) -> None:
    async with db.session() as session:
        session.add(UnansweredQuestion(id=new_id("uq"), organization_id=organization_id, question=question,
                                       language="en", best_similarity=0.1, created_at=at))
        await session.commit()


async def test_a_range_of_days_in_figures(database: str) -> None:
    org, other = await make_org(), await make_org("Other")
    await _conversation(org.id, DAY1, status="resolved", replies=(("ai", 2.0), ("contact", 30.0), ("ai", 31.0)))
    await _conversation(org.id, DAY1 + timedelta(hours=3), status="escalated", escalated=True,
                        replies=(("system", 1.0), ("operator", 60.0)))
    await _conversation(org.id, DAY2, status="resolved", channel="whatsapp", replies=(("operator", 10.0),))
    await _conversation(org.id, DAY2 + timedelta(hours=1))
    await _conversation(org.id, DAY2 + timedelta(days=1))  # after the range
    await _conversation(other.id, DAY1, status="resolved", replies=(("ai", 1.0),))  # another organization's
    await _unanswered(org.id, "Do you ship to Portugal?", DAY1)
    await _unanswered(org.id, "do you ship to portugal", DAY2)
    await _unanswered(org.id, "Can I pay with bitcoin?", DAY2 + timedelta(hours=2))
    await _unanswered(other.id, "Another organization's question", DAY2)
    async with db.session() as session:
        report = await support.support_analytics(session, org.operator, DAY1.date(), DAY2.date())
    assert [(d.date, d.conversations, d.ai_answered, d.ai_resolved, d.escalated) for d in report.days] == [
        (date(2026, 3, 2), 2, 1, 1, 1), (date(2026, 3, 3), 2, 0, 0, 0)]
    totals = report.totals
    assert (totals.conversations, totals.ai_answered, totals.ai_resolved, totals.escalated,
            totals.operator_answered) == (4, 1, 1, 1, 2)
    assert (totals.ai_resolution_rate, totals.handoff_rate) == (0.25, 0.25)
    assert totals.median_first_answer_seconds == 10.0  # of 2 s (AI), 60 s and 10 s (operators)
    assert totals.by_channel == {"widget": 3, "whatsapp": 1}
    assert [q.question for q in report.unanswered] == ["Can I pay with bitcoin?", "do you ship to portugal",
                                                       "Do you ship to Portugal?"]
    assert [(g.question, g.count) for g in report.top_unanswered] == [("do you ship to portugal", 2),
                                                                      ("Can I pay with bitcoin?", 1)]
    wire = report.wire()
    assert wire["days"][0] == {"date": "2026-03-02", "conversations": 2, "aiAnswered": 1, "aiResolved": 1,
                               "escalated": 1}
    assert wire["totals"]["aiResolutionRate"] == 0.25 and wire["unanswered"][0]["createdAt"].endswith("Z")


async def test_an_empty_range_has_every_day_and_no_rates(database: str) -> None:
    org = await make_org()
    async with db.session() as session:
        report = await support.support_analytics(session, org.owner, date(2026, 1, 1), date(2026, 1, 7))
    assert len(report.days) == 7 and all(d.conversations == 0 for d in report.days)
    assert (report.totals.ai_resolution_rate, report.totals.median_first_answer_seconds) == (None, None)


async def test_ranges_and_roles_are_checked(database: str) -> None:
    org = await make_org()
    async with db.session() as session:
        for start, end in ((date(2026, 2, 1), date(2026, 1, 1)), (date(2025, 1, 1), date(2026, 1, 2))):
            with pytest.raises(InvalidInput):
                await support.support_analytics(session, org.owner, start, end)
        with pytest.raises(PermissionDenied):
            await support.support_analytics(session, Actor(organization_id=org.id, role="nobody"),
                                            date(2026, 1, 1), date(2026, 1, 2))


async def test_the_agents_real_work_shows_up(database: str) -> None:
    org = await make_org()
    await ingest_corpus(org.owner, ("warranty.md",))
    ana, _ = await make_visitor(org.id)
    bob, _ = await make_visitor(org.id)
    async with answering(ExtractiveAgent()):
        async with db.session() as session:
            await visitor.send_message(session, ana, "How long is the warranty?")
            await visitor.send_message(session, bob, "What is the capital of Australia?")
    async with answering(ExtractiveAgent()):
        async with db.session() as session:
            await visitor.send_message(session, ana, "thanks, bye!")
    today = datetime.now(UTC).date()
    async with db.session() as session:
        report = await support.support_analytics(session, org.operator, today, today)
    totals = report.totals
    assert (totals.conversations, totals.ai_answered, totals.ai_resolved, totals.escalated) == (2, 1, 1, 1)
    assert totals.median_first_answer_seconds is not None and totals.median_first_answer_seconds < 10
    assert [q.question for q in report.unanswered] == ["What is the capital of Australia?"]
