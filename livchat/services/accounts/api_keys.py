"""API keys: shown once, stored as SHA-256 hashes, revocable at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, bindparam
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import hash_token, new_token
from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.core.text import has_control_characters
from livchat.models import ApiKey, Instance, Organization
from livchat.services.actors import Actor
from livchat.services.errors import InvalidInput, NotFound

KEY_PREFIX = "lc_live_"
DISPLAY_PREFIX_LENGTH = len(KEY_PREFIX) + 4


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str  # the full key: returned once, never stored


async def create_api_key(session: AsyncSession, actor: Actor, name: str) -> CreatedKey:
    actor.require("manage_keys")
    name = name.strip()
    if not name or len(name) > 100 or has_control_characters(name):
        raise InvalidInput("invalid_key_name")
    secret = new_token(KEY_PREFIX, 32)
    key = ApiKey(
        id=new_id("key"),
        organization_id=actor.organization_id,
        name=name,
        prefix=secret[:DISPLAY_PREFIX_LENGTH],
        key_hash=hash_token(secret),
        created_by_user_id=actor.user_id,
    )
    session.add(key)
    await session.flush()
    return CreatedKey(key=key, secret=secret)


async def list_api_keys(session: AsyncSession, organization_id: str) -> list[ApiKey]:
    rows = await session.exec(
        select(ApiKey).where(col(ApiKey.organization_id) == organization_id).order_by(col(ApiKey.id).desc())
    )
    return list(rows)


async def revoke_api_key(session: AsyncSession, actor: Actor, key_id: str) -> ApiKey:
    actor.require("manage_keys")
    key = (
        await session.exec(select(ApiKey).where(ApiKey.id == key_id, ApiKey.organization_id == actor.organization_id))
    ).first()
    if key is None:
        raise NotFound()
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        await session.flush()
    return key


async def authenticate(session: AsyncSession, secret: str) -> tuple[Organization, ApiKey] | None:
    """The organization and key a bearer secret belongs to, or None (unknown or revoked).

    The lookup is by hash, so comparing the secret itself never happens (nothing to time).
    """
    found = await authenticate_for(session, secret, None)
    return None if found is None else (found.organization, found.key)


@dataclass(frozen=True)
class Authenticated:
    organization: Organization
    key: ApiKey
    instance: Instance | None  # the instance asked for, when it is the key's organization's


async def authenticate_for(session: AsyncSession, secret: str, instance_id: str | None) -> Authenticated | None:
    """`authenticate`, and in the same query the instance `instance_id` names when it belongs to
    the key's organization (None otherwise: the route's own lookup then answers 404). A send
    pays one query for its caller and its instance instead of two."""
    if not secret.startswith(KEY_PREFIX):
        return None
    parameters = {"key_hash": hash_token(secret)}
    if instance_id is None:
        row = (await session.exec(_KEY_AND_ORGANIZATION, params=parameters)).first()
        return None if row is None else Authenticated(row[1], row[0], None)
    found = (await session.exec(_KEY_ORGANIZATION_AND_INSTANCE, params={**parameters, "instance_id": instance_id})).first()
    return None if found is None else Authenticated(found[1], found[0], found[2])


# Built once, values bound per call: every API request runs one of these (building the statement
# cost more than running it).
_KEY_AND_ORGANIZATION = (
    select(ApiKey, Organization).join(Organization, col(Organization.id) == ApiKey.organization_id)
    .where(col(ApiKey.key_hash) == bindparam("key_hash"), col(ApiKey.revoked_at).is_(None)))
_KEY_ORGANIZATION_AND_INSTANCE = (
    select(ApiKey, Organization, Instance)
    .join(Organization, col(Organization.id) == ApiKey.organization_id)
    .outerjoin(Instance, and_(col(Instance.id) == bindparam("instance_id"),
                              col(Instance.organization_id) == ApiKey.organization_id))
    .where(col(ApiKey.key_hash) == bindparam("key_hash"), col(ApiKey.revoked_at).is_(None)))


LAST_USED_RESOLUTION = timedelta(minutes=1)


async def mark_used(session: AsyncSession, key: ApiKey) -> bool:
    """Record use at minute resolution, so a busy key costs one write a minute, not one per request.
    True when it wrote (the caller commits), False when the last mark is recent enough."""
    now = utcnow()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return False
    await session.exec(
        update(ApiKey).where(col(ApiKey.id) == key.id).values(last_used_at=now)
    )
    key.last_used_at = now
    return True
