"""Idempotency keys: the same key within 24 h returns the first response and does nothing twice.

Claiming a key is an INSERT on the unique (organization_id, key): of two concurrent requests
with one key, exactly one proceeds; the other sees it in progress (or, later, its response).
A claim is a lease: if its holder dies, the key is free again once the lease lapses — unless
the holder had already reached the point where its request may have left for WuzAPI
(`mark_dispatched`); then the key answers `OutcomeUnknown` and never runs the request again.
The request fingerprint is over canonical JSON, so whitespace and key order do not matter.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import db, utcnow
from livchat.core.ids import new_id
from livchat.core.periodic import periodic_lifespan
from livchat.core.settings import get_settings
from livchat.models import IdempotencyKey
from livchat.services.errors import Conflict, InvalidInput, ServiceError

TTL = timedelta(hours=24)
MIN_LEASE = timedelta(minutes=2)
IN_PROGRESS_RETRY_AFTER = 1  # seconds: the first request is running and usually done by then
MAX_KEY_LENGTH = 255
PURGE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


class KeyInProgress(Conflict):
    code = "idempotency_in_progress"


class OutcomeUnknown(ServiceError):
    """The first request with the key died after it may have reached WuzAPI: never run again."""

    code = "outcome_unknown"
    status = 500


class KeyReused(InvalidInput):
    """The key was first used with a different request."""

    code = "idempotency_key_reused"


def lease() -> timedelta:
    """How long a claim is its holder's: longer than any request can run before it dispatches
    (the media download's deadline) and sends (WuzAPI's timeout), so only a dead holder lapses."""
    settings = get_settings()
    runs = timedelta(seconds=settings.media_fetch_seconds + settings.wuzapi_timeout_seconds + 60)
    return max(MIN_LEASE, runs)


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """Same method, path and JSON (any whitespace or key order) → same fingerprint."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body  # not JSON: the bytes as they are
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


async def claim(organization_id: str, key: str, method: str, path: str, fingerprint: str) -> StoredResponse | None:
    """Claim `key` for this request. None: go ahead (then `complete` or `release`).
    A StoredResponse: replay it. Raises KeyInProgress or KeyReused."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput("invalid_idempotency_key")
    for _ in range(3):  # again after removing an expired row or losing a race for a lapsed lease
        now = utcnow()
        async with db.session() as session:
            session.add(IdempotencyKey(
                id=new_id("idk"), organization_id=organization_id, key=key, request_hash=fingerprint,
                method=method, path=path, lease_expires_at=now + lease(), expires_at=now + TTL,
            ))
            try:
                await session.commit()
                return None
            except IntegrityError:
                await session.rollback()
            existing = (await session.exec(select(IdempotencyKey).where(
                IdempotencyKey.organization_id == organization_id, IdempotencyKey.key == key))).first()
            if existing is None:
                continue
            if existing.expires_at <= now:
                await session.exec(delete(IdempotencyKey).where(col(IdempotencyKey.id) == existing.id))
                await session.commit()
                continue
            if existing.request_hash != fingerprint:
                raise KeyReused()
            if existing.response_status is not None:
                return StoredResponse(existing.response_status, existing.response_body or "",
                                      dict(existing.response_headers or {}))
            if existing.lease_expires_at is not None and existing.lease_expires_at > now:
                raise KeyInProgress()
            if existing.dispatched_at is not None:  # its holder died with the outcome unknown
                raise OutcomeUnknown()
            if await _take_over(session, existing.id, now):
                return None
    raise KeyInProgress()


async def _take_over(session: AsyncSession, row_id: str, now: datetime) -> bool:
    """The holder's lease lapsed before it dispatched (it died): the key is ours if we win the race."""
    taken = await session.exec(update(IdempotencyKey).where(
        col(IdempotencyKey.id) == row_id, col(IdempotencyKey.response_status).is_(None),
        col(IdempotencyKey.dispatched_at).is_(None), col(IdempotencyKey.lease_expires_at) <= now,
    ).values(lease_expires_at=now + lease()))
    await session.commit()
    return bool(taken.rowcount == 1)


async def mark_dispatched(organization_id: str, key: str) -> None:
    """The request may leave for WuzAPI now: whatever happens next, it is never run again."""
    async with db.session() as session:
        await session.exec(update(IdempotencyKey).where(
            col(IdempotencyKey.organization_id) == organization_id, col(IdempotencyKey.key) == key,
            col(IdempotencyKey.response_status).is_(None)).values(dispatched_at=utcnow()))
        await session.commit()


async def complete(organization_id: str, key: str, status: int, body: str,
                   headers: dict[str, str] | None = None) -> None:
    async with db.session() as session:
        await session.exec(update(IdempotencyKey).where(
            col(IdempotencyKey.organization_id) == organization_id, col(IdempotencyKey.key) == key,
            col(IdempotencyKey.response_status).is_(None)).values(
            response_status=status, response_body=body, response_headers=headers or {}, lease_expires_at=None))
        await session.commit()


async def release(organization_id: str, key: str) -> None:
    """The request certainly did nothing (refused, or failed before it could send): the client
    may retry with the same key."""
    async with db.session() as session:
        await session.exec(delete(IdempotencyKey).where(
            col(IdempotencyKey.organization_id) == organization_id, col(IdempotencyKey.key) == key,
            col(IdempotencyKey.response_status).is_(None)))
        await session.commit()


async def purge_expired() -> int:
    async with db.session() as session:
        result = await session.exec(delete(IdempotencyKey).where(col(IdempotencyKey.expires_at) <= utcnow()))
        await session.commit()
        return result.rowcount or 0


def purge_lifespan(every_seconds: float = PURGE_EVERY_SECONDS) -> contextlib.AbstractAsyncContextManager[None]:
    """For the app's lifespan: expired keys purged now and every `every_seconds` (each worker; harmless twice)."""
    return periodic_lifespan("idempotency-purge", purge_expired, every_seconds)
