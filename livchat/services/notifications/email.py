"""Outgoing email. Every message is stored in the outbox first; a sender (Brevo) drains it later.

Bodies carry live links (password reset for an hour, invitations for a week), so they are
encrypted at rest (livchat.core.crypto); only the sender and the operator's `livchat emails`
read them (`body_of`). Lists for the dashboard show who, what and when, never the body.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import decrypt, encrypt
from livchat.core.ids import new_id
from livchat.i18n import translate
from livchat.models import EmailOutbox
from livchat.models.enums import EmailStatus
from livchat.services.notifications.schemas import OutboxEmailOut


def compose(
    to: str, subject: str, body: str, org_id: str | None = None, *, template: str | None = None
) -> EmailOutbox:
    """The outbox row for one email, body encrypted (not yet added to any session)."""
    return EmailOutbox(
        id=new_id("eml"),
        organization_id=org_id,
        to_email=to.strip().lower(),
        subject=subject[:300],
        body_text=encrypt(body),
        template=template,
        status=EmailStatus.PENDING,
    )


def compose_translated(
    to: str, template: str, language: str, org_id: str | None = None, **params: object
) -> EmailOutbox:
    """An email in the recipient's language from the `accounts.email.<template>.*` strings."""
    subject = translate(f"accounts.email.{template}.subject", language, **params)
    body = translate(f"accounts.email.{template}.body", language, **params)
    return compose(to, subject, body, org_id, template=template)


async def queue(session: AsyncSession, row: EmailOutbox) -> EmailOutbox:
    """Store a composed email (committed with the caller's transaction: it leaves only if that succeeds)."""
    session.add(row)
    await session.flush()
    return row


async def send_email(
    session: AsyncSession,
    to: str,
    subject: str,
    body: str,
    org_id: str | None = None,
    *,
    template: str | None = None,
) -> EmailOutbox:
    """Queue one email."""
    return await queue(session, compose(to, subject, body, org_id, template=template))


def body_of(row: EmailOutbox) -> str:
    """The plain-text body of a stored email."""
    return decrypt(row.body_text)


async def outbox_for(session: AsyncSession, to: str, limit: int = 20) -> list[EmailOutbox]:
    """The latest emails to one address, newest first."""
    rows = await session.exec(
        select(EmailOutbox)
        .where(EmailOutbox.to_email == to.strip().lower())
        .order_by(col(EmailOutbox.created_at).desc(), col(EmailOutbox.id).desc())
        .limit(limit)
    )
    return list(rows)


async def organization_outbox(session: AsyncSession, organization_id: str, limit: int = 10) -> list[OutboxEmailOut]:
    """The latest emails sent on an organization's behalf (invitations), newest first, without bodies."""
    rows = await session.exec(
        select(EmailOutbox)
        .where(EmailOutbox.organization_id == organization_id)
        .order_by(col(EmailOutbox.created_at).desc(), col(EmailOutbox.id).desc())
        .limit(limit)
    )
    return [OutboxEmailOut.of(row) for row in rows]
