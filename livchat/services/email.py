"""Outgoing email. Every message is stored in the outbox first; a sender (Brevo) drains it later."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.ids import new_id
from livchat.models import EmailOutbox
from livchat.models.enums import EmailStatus


async def send_email(
    session: AsyncSession,
    to: str,
    subject: str,
    body: str,
    org_id: str | None = None,
    *,
    template: str | None = None,
) -> EmailOutbox:
    """Queue one email (committed with the caller's transaction, so it leaves only if that succeeds)."""
    row = EmailOutbox(
        id=new_id("eml"),
        organization_id=org_id,
        to_email=to.strip().lower(),
        subject=subject[:300],
        body_text=body,
        template=template,
        status=EmailStatus.PENDING,
    )
    session.add(row)
    await session.flush()
    return row


async def outbox_for(session: AsyncSession, to: str, limit: int = 20) -> list[EmailOutbox]:
    """The latest emails to one address, newest first."""
    rows = await session.exec(
        select(EmailOutbox)
        .where(EmailOutbox.to_email == to.strip().lower())
        .order_by(EmailOutbox.created_at.desc(), EmailOutbox.id.desc())  # type: ignore[attr-defined]
        .limit(limit)
    )
    return list(rows)


async def organization_outbox(session: AsyncSession, organization_id: str, limit: int = 10) -> list[EmailOutbox]:
    """The latest emails sent on an organization's behalf (invitations), newest first."""
    rows = await session.exec(
        select(EmailOutbox)
        .where(EmailOutbox.organization_id == organization_id)
        .order_by(EmailOutbox.created_at.desc(), EmailOutbox.id.desc())  # type: ignore[attr-defined]
        .limit(limit)
    )
    return list(rows)
