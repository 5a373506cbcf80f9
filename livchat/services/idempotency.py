"""Idempotency keys: the same key within 24 h returns the first response and does nothing twice.

Claiming a key is an INSERT on the unique (organization_id, key): of two concurrent requests
with one key, exactly one proceeds; the other sees it in progress (or, later, its response).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import delete, select

from livchat.core.db import db, utcnow
from livchat.core.ids import new_id
from livchat.models import IdempotencyKey
from livchat.services.errors import Conflict, InvalidInput

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str


class KeyInProgress(Conflict):
    code = "idempotency_in_progress"


class KeyReused(InvalidInput):
    """The key was first used with a different request."""

    code = "idempotency_key_reused"


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


async def claim(organization_id: str, key: str, method: str, path: str, fingerprint: str) -> StoredResponse | None:
    """Claim `key` for this request. None: go ahead (then `complete` or `release`).
    A StoredResponse: replay it. Raises KeyInProgress or KeyReused."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput("invalid_idempotency_key")
    for _ in range(2):  # second pass after removing an expired row
        async with db.session() as session:
            session.add(IdempotencyKey(
                id=new_id("idk"), organization_id=organization_id, key=key, request_hash=fingerprint,
                method=method, path=path, expires_at=utcnow() + TTL,
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
            if existing.expires_at <= utcnow():
                await session.exec(delete(IdempotencyKey).where(IdempotencyKey.id == existing.id))  # type: ignore[call-overload]
                await session.commit()
                continue
            if existing.request_hash != fingerprint:
                raise KeyReused()
            if existing.response_status is None:
                raise KeyInProgress()
            return StoredResponse(existing.response_status, existing.response_body or "")
    raise KeyInProgress()


async def complete(organization_id: str, key: str, status: int, body: str) -> None:
    async with db.session() as session:
        row = (await session.exec(select(IdempotencyKey).where(
            IdempotencyKey.organization_id == organization_id, IdempotencyKey.key == key))).first()
        if row is not None:
            row.response_status = status
            row.response_body = body
            session.add(row)
            await session.commit()


async def release(organization_id: str, key: str) -> None:
    """The request failed on our side (5xx or crash): let the client retry with the same key."""
    async with db.session() as session:
        await session.exec(delete(IdempotencyKey).where(  # type: ignore[call-overload]
            IdempotencyKey.organization_id == organization_id, IdempotencyKey.key == key,
            IdempotencyKey.response_status.is_(None)))  # type: ignore[union-attr]
        await session.commit()


async def purge_expired() -> int:
    async with db.session() as session:
        result = await session.exec(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= utcnow()))  # type: ignore[call-overload]
        await session.commit()
        return result.rowcount or 0
