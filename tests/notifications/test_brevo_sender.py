"""Email through Brevo: the outbox drains into a fake Brevo API (real HTTP, Brevo's wire format);
with Brevo down or failing nothing is lost — rows stay pending and go out once it answers."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from uuid import uuid4

import pytest
from sqlmodel import select

from livchat.core.db import db, utcnow
from livchat.models import EmailOutbox, Organization
from livchat.services.accounts import auth
from livchat.services.notifications import sender
from livchat.services.notifications.email import send_email
from livchat.services.usage import counters
from livchat.services.usage.limits import QuotaExceeded
from tests.environment import environment
from tests.factories import PASSWORD
from tests.fakes.brevo_server import FakeBrevo, _fake_brevo_session, fake_brevo  # noqa: F401  (fixtures)


@pytest.fixture
def brevo_at() -> Iterator[Callable[[str], None]]:
    """Switch Brevo on (its key) at a base URL of the test's choosing; restored afterwards."""
    with contextlib.ExitStack() as switched:  # each switch undone in reverse: the first state returns

        def point(url: str) -> None:
            switched.enter_context(environment({"BREVO_API_KEY": FakeBrevo.API_KEY, "BREVO_API_URL": url}))

        yield point


def _nothing_listening() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now: connections are refused, as with Brevo down
    return f"http://127.0.0.1:{port}"


async def _sign_up(locale: str = "en") -> str:
    address = f"ana-{uuid4().hex[:8]}@example.com"
    async with db.session() as session:
        await auth.sign_up(session, address, PASSWORD, organization_name="Ana's shop", locale=locale)
        await session.commit()
    return address


async def _rows() -> list[EmailOutbox]:
    async with db.session() as session:
        return list((await session.exec(select(EmailOutbox).order_by(EmailOutbox.created_at, EmailOutbox.id))).all())


async def test_the_welcome_email_goes_out_through_brevo_in_the_users_language(
        database: str, fake_brevo: FakeBrevo, brevo_at: Callable[[str], None]) -> None:  # noqa: F811
    brevo_at(fake_brevo.base_url)
    english, portuguese = await _sign_up("en"), await _sign_up("pt-BR")
    assert await sender.send_pending() == 2
    by_address = {mail["to"][0]["email"]: mail for mail in fake_brevo.sent}
    assert by_address[english]["subject"] == "Welcome to LivChat"
    assert by_address[portuguese]["subject"] == "Boas-vindas ao LivChat"
    mail = by_address[english]
    assert mail["sender"] == {"name": "LivChat", "email": "no-reply@livchat.local"}
    assert "Ana's shop" in mail["textContent"] and "/dashboard" in mail["textContent"]
    assert "Ana&#x27;s shop" in mail["htmlContent"] and '<a href="http' in mail["htmlContent"]
    assert mail["tags"] == ["welcome"]
    assert {(r.status, r.attempts) for r in await _rows()} == {("sent", 1)}
    assert await sender.send_pending() == 0  # each email once


async def test_with_brevo_down_nothing_is_lost_and_everything_goes_out_when_it_is_back(
        database: str, fake_brevo: FakeBrevo, brevo_at: Callable[[str], None]) -> None:  # noqa: F811
    brevo_at(_nothing_listening())
    first, second = await _sign_up(), await _sign_up()
    start = utcnow()
    assert await sender.send_pending(now=start) == 0
    rows = await _rows()
    assert [(r.status, r.attempts) for r in rows] == [("pending", 1), ("pending", 1)]
    assert all("unreachable" in (r.error or "") for r in rows)
    assert all(r.next_attempt_at and r.next_attempt_at >= start + timedelta(seconds=29) for r in rows)
    assert await sender.send_pending(now=start) == 0  # not due yet: no retry storm
    assert [r.attempts for r in await _rows()] == [1, 1]

    # Brevo answers again, but its first answer is a 503: that row waits longer (backoff), the other goes.
    brevo_at(fake_brevo.base_url)
    fake_brevo.fail_next(1, status=503)
    later = start + timedelta(seconds=31)
    assert await sender.send_pending(now=later) == 1
    rows = await _rows()
    assert sorted((r.status, r.attempts) for r in rows) == [("pending", 2), ("sent", 2)]
    waiting = next(r for r in rows if r.status == "pending")
    assert "503" in (waiting.error or "")
    assert waiting.next_attempt_at and waiting.next_attempt_at >= utcnow() + timedelta(seconds=59)

    assert await sender.send_pending(now=utcnow() + timedelta(minutes=2)) == 1
    assert {r.status for r in await _rows()} == {"sent"}
    assert sorted(m["to"][0]["email"] for m in fake_brevo.sent) == sorted([first, second])  # each exactly once


async def test_without_a_brevo_key_the_outbox_keeps_the_emails(database: str) -> None:
    await _sign_up()  # no welcome email: it would only sit in the outbox
    async with db.session() as session:
        await send_email(session, "ana@example.com", "Hello", "Body")
        await session.commit()
    assert await sender.send_pending() == 0
    assert [(r.status, r.template) for r in await _rows()] == [("pending", None)]


async def test_owners_hear_at_80_and_100_percent_of_the_daily_quota(database: str) -> None:
    address = await _sign_up()
    async with db.session() as session:
        organization = (await session.exec(select(Organization))).one()
        for _ in range(50):  # the free plan's 50 messages a day
            await counters.take_daily_quota(session, organization.id, organization.plan)
        with pytest.raises(QuotaExceeded):
            await counters.take_daily_quota(session, organization.id, organization.plan)
        await session.commit()
    usage = [(r.template, r.subject) for r in await _rows() if r.to_email == address and r.template != "welcome"]
    assert usage == [("usage_80", "Ana's shop used 80% of today's LivChat messages"),
                     ("usage_100", "Ana's shop reached today's LivChat message limit")]


def test_the_html_part_escapes_the_text() -> None:
    html = sender.html_of("Hi <b>Ana</b> & co\n\nOpen https://x.example/a?b=1&c=2 now")
    assert html == ("<p>Hi &lt;b&gt;Ana&lt;/b&gt; &amp; co</p>"
                    '<p>Open <a href="https://x.example/a?b=1&amp;c=2">https://x.example/a?b=1&amp;c=2</a> now</p>')


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [sender.backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]
