"""Wire shapes of the analytics (camelCase): support and WhatsApp, charted by the dashboard's analytics page."""

from __future__ import annotations

from datetime import date

from pydantic import ConfigDict, Field

from livchat.services.schemas import CamelModel, Example, Timestamp

_DAY: Example = {"date": "2026-01-15", "conversations": 42, "aiAnswered": 35, "aiResolved": 24, "escalated": 11}
_TOTALS: Example = {"conversations": 42, "aiAnswered": 35, "aiResolved": 24, "aiResolutionRate": 0.5714, "escalated": 11,
           "handoffRate": 0.2619, "operatorAnswered": 13, "medianFirstAnswerSeconds": 2.4, "byChannel":
           {"widget": 30, "whatsapp": 12}}
_QUESTION: Example = {"question": "Do you ship to Portugal?", "language": "en", "channel": "widget",
             "conversationId": "conv_01JD8Z8S1K2M3N4P5Q6R7S8T9V", "bestSimilarity": 0.12,
             "createdAt": "2026-01-15T12:03:00Z"}


class SupportDay(CamelModel):
    """Conversations opened on one day (UTC) and what became of them."""

    date: date
    conversations: int
    ai_answered: int = Field(description="Of those, how many the AI agent answered at least once.")
    ai_resolved: int = Field(description="Resolved without an operator reply and never handed to a person.")
    escalated: int = Field(description="Handed to a person (by the agent, an operator or the visitor's request).")


class SupportTotals(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TOTALS]})

    conversations: int
    ai_answered: int
    ai_resolved: int
    ai_resolution_rate: float | None = Field(description="aiResolved / conversations (null without conversations).")
    escalated: int
    handoff_rate: float | None = Field(description="escalated / conversations.")
    operator_answered: int = Field(description="Conversations an operator replied in.")
    median_first_answer_seconds: float | None = Field(
        description="Median time from a conversation's first contact message to its first answer, by the AI or "
                    "an operator (null when none was answered).")
    by_channel: dict[str, int] = Field(description="Conversations per channel (widget, whatsapp).")


class UnansweredOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_QUESTION]})

    question: str
    language: str
    channel: str
    conversation_id: str | None
    best_similarity: float | None = Field(description="The best passage's similarity: how far the knowledge base "
                                                      "was from an answer.")
    created_at: Timestamp


class UnansweredGroup(CamelModel):
    question: str = Field(description="The latest wording of the question.")
    count: int
    last_asked_at: Timestamp


class SupportAnalytics(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "start": "2026-01-01", "end": "2026-01-31", "days": [_DAY], "totals": _TOTALS, "unanswered": [_QUESTION],
        "topUnanswered": [{"question": "Do you ship to Portugal?", "count": 3,
                           "lastAskedAt": "2026-01-15T12:03:00Z"}]}]})

    start: date
    end: date
    days: list[SupportDay] = Field(description="Every day of the range, oldest first (zeros included).")
    totals: SupportTotals
    unanswered: list[UnansweredOut] = Field(description="Newest first, at most `limit`.")
    top_unanswered: list[UnansweredGroup] = Field(description="The unanswered questions grouped, most asked first.")


# --- WhatsApp (whatsapp.py) ---


class WhatsAppFigures(CamelModel):
    """What happened on a number (or several) over a day or a range."""

    sent: int = Field(description="Messages sent (the usage counter).")
    received: int = Field(description="Messages received (the usage counter).")
    outbound: int = Field(description="Outbound messages accepted by WhatsApp: the rates' denominator.")
    delivered: int = Field(description="Of those, delivered to the phone (or read).")
    read: int = Field(description="Of those, read.")
    delivery_rate: float | None = Field(description="delivered / outbound (null without outbound messages).")
    read_rate: float | None = Field(description="read / outbound.")
    webhooks_delivered: int
    webhooks_failed: int
    median_webhook_latency_seconds: float | None = Field(
        description="Median time from a webhook delivery's creation to its successful post (null without one).")


class WhatsAppDay(WhatsAppFigures):
    date: date
    instance_id: str | None = Field(default=None, description="Null on the rows that add every instance up.")


class WhatsAppInstanceTotals(WhatsAppFigures):
    instance_id: str
    name: str


class WhatsAppAnalytics(CamelModel):
    start: date
    end: date
    instance_id: str | None = Field(description="The one instance the figures are about, or null for all.")
    days: list[WhatsAppDay] = Field(description="Every day of the range, oldest first, instances added up.")
    rows: list[WhatsAppDay] = Field(description="Per day and instance, days with any activity only.")
    instances: list[WhatsAppInstanceTotals] = Field(description="The range's totals per instance, by name.")
    totals: WhatsAppFigures
