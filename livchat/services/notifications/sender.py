"""The email sender: with BREVO_API_KEY set, pending outbox rows go out through Brevo.

A row stays `pending` until Brevo accepts it (then `sent`): a failure — Brevo down, refusing,
timing out — only records the error and when to try again (backoff doubling from 30 s to an
hour), so nothing queued is ever lost. Without the key the outbox is the embedded default: rows
stay pending and show in the dashboard and `livchat emails`.

Several workers may run the sender: each claims a row with one conditional UPDATE (it moves
`next_attempt_at` a lease ahead), so two never send the same row at once. A worker that dies
mid-send leaves the row to be tried again after the lease (at-least-once delivery).
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import select

from livchat.core.db import db, utcnow
from livchat.core.logging import get_logger
from livchat.core.periodic import periodic_lifespan
from livchat.core.settings import get_settings
from livchat.integrations import brevo
from livchat.models import EmailOutbox
from livchat.models.enums import EmailStatus
from livchat.services.notifications.email import body_of

log = get_logger("email")

BATCH = 20
CLAIM_LEASE = timedelta(minutes=5)  # a send takes seconds; past this a crashed worker's row is free again
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
_URL = re.compile(r"https?://[^\s<>\"']+")


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure: 30 s, 1 min, 2 min, ... at most an hour."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_WAIT)


def html_of(text: str) -> str:
    """The HTML part of a plain-text email: escaped, paragraphs kept, links clickable."""
    def paragraph(block: str) -> str:
        escaped = html.escape(block)
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        return "<p>" + linked.replace("\n", "<br>") + "</p>"

    return "".join(paragraph(block) for block in text.split("\n\n") if block.strip())


def _config() -> brevo.BrevoConfig | None:
    settings = get_settings()
    if not settings.brevo_api_key:
        return None
    return brevo.BrevoConfig(settings.brevo_api_key, settings.brevo_api_url, settings.email_from)


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return (EmailOutbox.status == EmailStatus.PENDING,
            or_(EmailOutbox.next_attempt_at.is_(None), EmailOutbox.next_attempt_at <= now))  # type: ignore[union-attr,operator]


async def send_pending(now: datetime | None = None, batch: int = BATCH) -> int:
    """Send what is due (oldest first); how many Brevo accepted. A no-op without BREVO_API_KEY."""
    config = _config()
    if config is None:
        return 0
    now = now or utcnow()
    async with db.session() as session:
        due = (await session.exec(select(EmailOutbox.id).where(*_due(now))
                                  .order_by(EmailOutbox.created_at, EmailOutbox.id).limit(batch))).all()
    sent = 0
    for email_id in due:
        sent += await _send_one(config, email_id, now)
    return sent


async def _send_one(config: brevo.BrevoConfig, email_id: str, now: datetime) -> int:
    async with db.session() as session:
        claimed = await session.exec(update(EmailOutbox).where(EmailOutbox.id == email_id, *_due(now))  # type: ignore[call-overload]
                                     .values(next_attempt_at=now + CLAIM_LEASE))
        await session.commit()
        if claimed.rowcount != 1:
            return 0  # another worker has it
        row = await session.get(EmailOutbox, email_id)
        assert row is not None
        text = body_of(row)
        try:
            await brevo.send_email(config, to=row.to_email, subject=row.subject, text=text, html=html_of(text),
                                   tags=[row.template] if row.template else None)
        except brevo.BrevoError as exc:
            row.attempts += 1
            row.error = str(exc)[:500]
            row.next_attempt_at = utcnow() + backoff(row.attempts)
            await session.commit()
            log.warning("email not accepted by Brevo; will retry",
                        extra={"email_id": email_id, "attempts": row.attempts, "error": row.error})
            return 0
        row.attempts += 1
        row.status, row.sent_at, row.error, row.next_attempt_at = EmailStatus.SENT, utcnow(), None, None
        await session.commit()
        return 1


@contextlib.asynccontextmanager
async def email_sender_lifespan() -> AsyncIterator[None]:
    """For `app.register_lifespan_task`: the outbox drains through Brevo while the app is up (only
    with BREVO_API_KEY; without it the outbox is where emails stay)."""
    if _config() is None:
        yield
        return
    async with periodic_lifespan("email-sender", send_pending, get_settings().email_send_every_seconds):
        yield
