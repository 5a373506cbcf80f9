"""The landing page's test panel: an anonymous visitor links WhatsApp and sends test messages
before having an account, then keeps the connection on sign-up (`migrate_to_organization`).

The visitor holds a random token (browser local storage); we keep only its hash. One active
session per IP: a new one replaces the old (its instance is removed). Sessions expire 30 days
after their last use. 50 test messages a day per session (`panel_limits`, with the per-IP limits
both surfaces apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import hash_token, new_token
from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.core.logging import get_logger
from livchat.models import AnonymousSession, Instance, Message, Organization
from livchat.services.accounts import organizations
from livchat.services.actors import Actor
from livchat.services.errors import NotFound, ServiceError
from livchat.services.usage import counters
from livchat.services.usage.limits import (
    QuotaExceeded,
    RateLimitResult,
    check_instance_count,
)
from livchat.services.whatsapp import instances, messaging
from livchat.services.whatsapp.panel_limits import panel_limits
from livchat.services.whatsapp.schemas import (
    PairingOut,
    PanelConnectOut,
    PanelStatusOut,
    QrOut,
    StatusOut,
)

log = get_logger("anonymous")

SESSION_TTL = timedelta(days=30)
TOKEN_PREFIX = "lc_anon_"


class SessionExpired(ServiceError):
    code = "anonymous_session_expired"
    status = 401


class DailyQuotaUsed(QuotaExceeded):
    """429 `quota_exceeded` with Retry-After and RateLimit-* of the test panel's daily messages."""

    def __init__(self, result: RateLimitResult) -> None:
        super().__init__(result, f"the test panel's {result.limit} messages a day are used up; they reset at "
                                 "00:00 UTC (see Retry-After), or sign up to keep going")


def daily_messages() -> int:
    return panel_limits().daily_messages


@dataclass(frozen=True)
class NewSession:
    row: AnonymousSession
    token: str  # returned once to the browser


async def create_session(session: AsyncSession, ip: str, user_agent: str | None = None) -> NewSession:
    now = utcnow()
    for old in (await session.exec(select(AnonymousSession).where(
            AnonymousSession.ip_address == ip, AnonymousSession.expires_at > now,
            col(AnonymousSession.migrated_at).is_(None)))).all():
        await _retire(session, old)
    token = new_token(TOKEN_PREFIX, 32)
    row = AnonymousSession(id=new_id("anon"), token_hash=hash_token(token), ip_address=ip,
                           user_agent=(user_agent or "")[:500] or None, last_used_at=now,
                           expires_at=now + SESSION_TTL)
    session.add(row)
    await session.commit()
    return NewSession(row, token)


async def _retire(session: AsyncSession, old: AnonymousSession) -> None:
    old.expires_at = utcnow()
    session.add(old)
    for instance in await instances.list_instances(session, None, anonymous_session_id=old.id):
        try:
            await instances.delete_instance(session, None, instance.id, anonymous_session_id=old.id)
        except ServiceError:  # the gateway is down: the row stays, expired with its session
            log.warning("could not remove a replaced test-panel instance", extra={"instance_id": instance.id})
    await session.flush()


async def resolve(session: AsyncSession, token: str | None) -> AnonymousSession:
    """The live session of a token, its expiry slid forward; SessionExpired otherwise."""
    if not token:
        raise SessionExpired("anonymous_session_expired")
    row = (await session.exec(select(AnonymousSession).where(
        AnonymousSession.token_hash == hash_token(token)))).first()
    now = utcnow()
    if row is None or row.expires_at <= now or row.migrated_at is not None:
        raise SessionExpired("anonymous_session_expired")
    row.last_used_at, row.expires_at = now, now + SESSION_TTL
    session.add(row)
    await session.commit()
    return row


async def session_by_id(session: AsyncSession, anonymous_session_id: str) -> AnonymousSession:
    """The live session behind an id the server resolved from its token earlier (the landing
    page's state keeps that id, never the token); SessionExpired once it is not live."""
    row = await session.get(AnonymousSession, anonymous_session_id) if anonymous_session_id else None
    now = utcnow()
    if row is None or row.expires_at <= now or row.migrated_at is not None:
        raise SessionExpired("anonymous_session_expired")
    return row


async def instance_of(session: AsyncSession, anon: AnonymousSession, *, create: bool = False) -> Instance:
    found = await instances.list_instances(session, None, anonymous_session_id=anon.id)
    if found:
        return found[0]
    if not create:
        raise NotFound("not_connected_yet")
    return await instances.create_instance(session, None, "Test panel", anonymous_session_id=anon.id)


async def connect(session: AsyncSession, anon: AnonymousSession) -> PanelConnectOut:
    instance = await instance_of(session, anon, create=True)
    return PanelConnectOut.of(await instances.connect(session, None, instance.id, anonymous_session_id=anon.id))


async def qr(session: AsyncSession, anon: AnonymousSession) -> QrOut:
    instance = await instance_of(session, anon, create=True)
    return await instances.qr_code(session, None, instance.id, anonymous_session_id=anon.id)


async def pair_phone(session: AsyncSession, anon: AnonymousSession, phone: str) -> PairingOut:
    instance = await instance_of(session, anon, create=True)
    return await instances.pair_phone(session, None, instance.id, phone, anonymous_session_id=anon.id)


def messages_remaining(anon: AnonymousSession) -> int:
    used = anon.messages_used_today if anon.messages_day == utcnow().date() else 0
    return max(0, daily_messages() - used)


async def status(session: AsyncSession, anon: AnonymousSession) -> PanelStatusOut:
    found = await instances.list_instances(session, None, anonymous_session_id=anon.id)
    live = StatusOut(connected=False, logged_in=False, whatsapp_jid=None)
    if found:
        live = await instances.sync_status(session, None, found[0].id, anonymous_session_id=anon.id)
    return PanelStatusOut(**live.model_dump(), messages_remaining=messages_remaining(anon))


def checked_message(to: str, text: str) -> messaging.OutgoingMessage:
    """The test panel's message, checked (number, text): a bad one is refused before any limit."""
    message = messaging.OutgoingMessage(to=to, text=text)
    messaging.validate(message)
    return message


async def send_test_message(session: AsyncSession, anon: AnonymousSession, to: str, text: str) -> Message:
    message = checked_message(to, text)
    if messages_remaining(anon) <= 0:
        quota = daily_messages()
        raise DailyQuotaUsed(counters.quota_result(quota, quota + 1, utcnow()))
    instance = await instance_of(session, anon)
    row = await messaging.send_message(session, None, instance.id, message, anonymous_session_id=anon.id)
    today = utcnow().date()
    anon.messages_used_today = (anon.messages_used_today if anon.messages_day == today else 0) + 1
    anon.messages_day, anon.last_message_at = today, utcnow()
    session.add(anon)
    await session.commit()
    return row


async def migrate_to_organization(session: AsyncSession, token: str, actor: Actor) -> Instance | None:
    """"Create an account" (or sign in) from the panel: the visitor's instance, linked phone and
    messages become the actor's organization's, counted against its plan like any instance
    (`PlanLimitReached` when it has no room). The anonymous token stops working — rotated to one
    nobody holds — and the session is marked migrated. SessionExpired for a token that is not
    live; None when the session has no instance (nothing to keep: the session stays as it is)."""
    actor.require("manage_instances")
    anon = await resolve(session, token)
    found = await instances.list_instances(session, None, anonymous_session_id=anon.id)
    if not found:
        return None
    instance = found[0]
    organization_id = actor.organization_id
    await session.commit()  # a fresh transaction: its first statement takes the organization's lock
    try:
        if not await organizations.lock_organization(session, organization_id):
            raise NotFound("not_found")
        plan = (await session.exec(select(Organization.plan).where(Organization.id == organization_id))).one()
        count = (await session.exec(select(func.count()).select_from(Instance)
                                    .where(Instance.organization_id == organization_id))).one()
        check_instance_count(plan, count)
        now = utcnow()
        moved = await session.exec(
            update(Instance).where(col(Instance.id) == instance.id, col(Instance.organization_id).is_(None))
            .values(organization_id=organization_id, name="WhatsApp", updated_at=now)
            .execution_options(synchronize_session=False))
        if moved.rowcount != 1:  # a concurrent migration of the same session took it
            raise SessionExpired("anonymous_session_expired")
        await session.exec(update(Message).where(col(Message.instance_id) == instance.id)
                           .values(organization_id=organization_id).execution_options(synchronize_session=False))
        anon.token_hash = hash_token(new_token(TOKEN_PREFIX, 32))
        anon.migrated_to_organization_id, anon.migrated_at = organization_id, now
        session.add(anon)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    await session.refresh(instance)
    log.info("test-panel connection kept", extra={"instance_id": instance.id, "organization_id": organization_id})
    return instance
