"""Wire shapes of notices (the dashboard's, in every language) and of the email outbox as the
members page lists it (who, what and when; never the body: an invitation's link is the invitee's)."""

from __future__ import annotations

from livchat.models.system import EmailOutbox
from livchat.services.schemas import CamelModel, Timestamp


class NoticeText(CamelModel):
    title: str
    body: str


class NoticeOut(CamelModel):
    id: str
    kind: str
    created_at: Timestamp
    text: dict[str, NoticeText]  # by language: each reader sees their own


class OutboxEmailOut(CamelModel):
    id: str
    to: str
    subject: str
    status: str
    created_at: Timestamp

    @classmethod
    def of(cls, row: EmailOutbox) -> OutboxEmailOut:
        return cls(id=row.id, to=row.to_email, subject=row.subject, status=row.status, created_at=row.created_at)
