"""WhatsApp instances: one WuzAPI user each, owned by an organization or, before sign-up, by an
anonymous test-panel session (`organization_id=None`, `anonymous_session_id` set).

Every function takes the owner explicitly: `organization_id`, or `None` plus
`anonymous_session_id=`. An instance of another owner is `NotFound`, exactly like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import decrypt, encrypt, new_token
from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.core.logging import get_logger
from livchat.core.settings import get_settings
from livchat.integrations import wuzapi
from livchat.models.enums import InstanceStatus
from livchat.models.whatsapp import Instance
from livchat.services.errors import InvalidInput, NotFound
from livchat.services.gateway import gateway_errors, get_gateway, service_error
from livchat.services.phones import bare_jid, normalize_phone

log = get_logger("instances")

# The WuzAPI events ingest understands. `connect` re-sends them: an empty Subscribe clears them.
SUBSCRIBED_EVENTS = ["Message", "ReadReceipt", "Connected", "PairSuccess", "Disconnected", "LoggedOut", "QR"]
QR_EXPIRES_IN = 20  # seconds: WhatsApp rotates the code about every 20 s while unlinked
PAIRING_CODE_EXPIRES_IN = 160  # seconds a linking code stays valid on WhatsApp's side
MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class StatusView:
    connected: bool
    logged_in: bool
    whatsapp_jid: str | None

    def as_json(self) -> dict[str, Any]:
        return {"connected": self.connected, "loggedIn": self.logged_in, "whatsappJid": self.whatsapp_jid}


def webhook_url(instance_id: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/api/hooks/wuzapi/{instance_id}"


def wuzapi_token(instance: Instance) -> str:
    return decrypt(instance.wuzapi_token_encrypted)


def hmac_key(instance: Instance) -> str:
    return decrypt(instance.hmac_key_encrypted)


async def get_instance(session: AsyncSession, organization_id: str | None, instance_id: str, *,
                       anonymous_session_id: str | None = None) -> Instance:
    """The instance when it belongs to the organization (or, with no organization, to the anonymous
    session); otherwise NotFound. `session.get` answers from the session when the row is already
    loaded there, so callers that checked first and then call a service pay one query, not two."""
    if organization_id is None and anonymous_session_id is None:
        raise NotFound("not_found")
    instance = await session.get(Instance, instance_id)
    if instance is None:
        raise NotFound("not_found")
    owner_matches = (instance.organization_id == organization_id if organization_id is not None else
                     instance.organization_id is None and instance.anonymous_session_id == anonymous_session_id)
    if not owner_matches:
        raise NotFound("not_found")
    return instance


async def list_instances(session: AsyncSession, organization_id: str | None, *,
                         anonymous_session_id: str | None = None) -> list[Instance]:
    query = select(Instance).order_by(Instance.created_at.desc(), Instance.id.desc())  # type: ignore[attr-defined]
    if organization_id is not None:
        query = query.where(Instance.organization_id == organization_id)
    elif anonymous_session_id is not None:
        query = query.where(Instance.organization_id.is_(None),  # type: ignore[union-attr]
                            Instance.anonymous_session_id == anonymous_session_id)
    else:
        return []
    return list((await session.exec(query)).all())


async def page_instances(session: AsyncSession, organization_id: str, *, limit: int = 50,
                         cursor: str | None = None) -> tuple[list[Instance], str | None]:
    """Newest first, `limit` (≤ 100) at a time: (page, next cursor or None). Ids are time-ordered,
    so the cursor is `id < cursor`."""
    limit = max(1, min(int(limit), 100))
    query = select(Instance).where(Instance.organization_id == organization_id)
    if cursor:
        query = query.where(Instance.id < cursor)
    rows = list((await session.exec(query.order_by(Instance.id.desc()).limit(limit + 1))).all())  # type: ignore[attr-defined]
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].id
    return rows, None


async def create_instance(session: AsyncSession, organization_id: str | None, name: str, *,
                          anonymous_session_id: str | None = None) -> Instance:
    """A WuzAPI user with its own random token and HMAC key, its webhook pointed at us."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput("invalid_instance_name")
    if organization_id is None and anonymous_session_id is None:
        raise InvalidInput("instance_owner_required")
    instance_id = new_id("inst")
    token, key = new_token(nbytes=32), new_token(nbytes=32)  # 43 characters each
    gateway = get_gateway()
    with gateway_errors():
        user = await gateway.create_user(instance_id, token, webhook=webhook_url(instance_id),
                                         events=SUBSCRIBED_EVENTS, hmac_key=key)
    try:
        with gateway_errors():
            # A key given at creation may not sign until it is set again (contract §6).
            await gateway.set_hmac_key(token, key)
        instance = Instance(
            id=instance_id, organization_id=organization_id, anonymous_session_id=anonymous_session_id,
            name=name, wuzapi_user_id=user.id, wuzapi_token_encrypted=encrypt(token),
            hmac_key_encrypted=encrypt(key), status=InstanceStatus.DISCONNECTED,
        )
        session.add(instance)
        await session.commit()
    except BaseException:
        await session.rollback()
        await _forget_user(user.id)
        raise
    return instance


async def _forget_user(user_id: str) -> None:
    """Best effort: do not leave a WuzAPI user behind a creation that failed."""
    try:
        await get_gateway().delete_user_full(user_id)
    except wuzapi.WuzapiError:
        log.warning("could not remove WuzAPI user after a failed create", extra={"wuzapi_user_id": user_id})


async def connect(session: AsyncSession, organization_id: str | None, instance_id: str, *,
                  anonymous_session_id: str | None = None) -> StatusView:
    """Start the session (Immediate). Already connected is fine. Returns the synced status."""
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    await _ensure_connected(instance)
    return await _sync(session, instance)


async def _ensure_connected(instance: Instance) -> None:
    try:
        await get_gateway().connect(wuzapi_token(instance), SUBSCRIBED_EVENTS)
    except wuzapi.AlreadyConnected:
        pass
    except wuzapi.WuzapiError as exc:
        raise service_error(exc) from exc


async def qr_code(session: AsyncSession, organization_id: str | None, instance_id: str, *,
                  anonymous_session_id: str | None = None) -> dict[str, Any]:
    """`{qrCode, expiresIn}`. Starts the session if needed; linked → `InstanceAlreadyConnected`."""
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    token = wuzapi_token(instance)
    gateway = get_gateway()
    try:
        code = await gateway.qr(token)
    except wuzapi.NoSession:
        await _ensure_connected(instance)
        with gateway_errors():
            code = await gateway.qr(token)
    except wuzapi.WuzapiError as exc:
        raise service_error(exc) from exc
    if instance.status == InstanceStatus.DISCONNECTED:
        instance.status = InstanceStatus.CONNECTING
        await session.commit()
    return {"qrCode": code, "expiresIn": QR_EXPIRES_IN if code else 0}


async def pair_phone(session: AsyncSession, organization_id: str | None, instance_id: str, phone: str, *,
                     anonymous_session_id: str | None = None) -> dict[str, Any]:
    """`{pairingCode, expiresIn}`: the code the user types on the phone (Linked devices)."""
    digits = normalize_phone(phone)
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    token = wuzapi_token(instance)
    gateway = get_gateway()
    try:
        code = await gateway.pair_phone(token, digits)
    except wuzapi.NoSession:
        await _ensure_connected(instance)
        with gateway_errors():
            code = await gateway.pair_phone(token, digits)
    except wuzapi.WuzapiError as exc:
        raise service_error(exc) from exc
    if instance.status == InstanceStatus.DISCONNECTED:
        instance.status = InstanceStatus.CONNECTING
        await session.commit()
    return {"pairingCode": code, "expiresIn": PAIRING_CODE_EXPIRES_IN}


async def sync_status(session: AsyncSession, organization_id: str | None, instance_id: str, *,
                      anonymous_session_id: str | None = None) -> StatusView:
    """Ask WuzAPI and store what it says: status, whatsapp_jid, last_connected_at."""
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    return await _sync(session, instance)


async def _sync(session: AsyncSession, instance: Instance) -> StatusView:
    with gateway_errors():
        live = await get_gateway().status(wuzapi_token(instance))
    apply_status(instance, connected=live.connected, logged_in=live.logged_in,
                 jid=bare_jid(live.jid) if live.jid else None)
    await session.commit()
    return StatusView(live.connected, live.logged_in, instance.whatsapp_jid)


def apply_status(instance: Instance, *, connected: bool, logged_in: bool, jid: str | None) -> bool:
    """Set the row from WuzAPI's live (connected, loggedIn, jid); True when the status changed.

    Without a live client WuzAPI reports false/false even for a paired device, so the pairing
    (logged_in, jid) is only updated while connected; LoggedOut events clear it.
    """
    new_status = (InstanceStatus.CONNECTED if connected and logged_in
                  else InstanceStatus.CONNECTING if connected else InstanceStatus.DISCONNECTED)
    changed = instance.status != new_status
    if new_status == InstanceStatus.CONNECTED and changed:
        instance.last_connected_at = utcnow()
    instance.status = new_status
    if connected:
        instance.logged_in = logged_in
        instance.whatsapp_jid = (jid or instance.whatsapp_jid) if logged_in else None
    instance.updated_at = utcnow()
    return changed


async def disconnect(session: AsyncSession, organization_id: str | None, instance_id: str, *,
                     anonymous_session_id: str | None = None) -> StatusView:
    """Close the session, keeping the pairing. Already disconnected is fine."""
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    try:
        await get_gateway().disconnect(wuzapi_token(instance))
    except (wuzapi.NoSession, wuzapi.NotConnected):
        pass
    except wuzapi.WuzapiError as exc:
        raise service_error(exc) from exc
    instance.status = InstanceStatus.DISCONNECTED
    instance.updated_at = utcnow()
    await session.commit()
    return StatusView(False, instance.logged_in, instance.whatsapp_jid)


async def logout(session: AsyncSession, organization_id: str | None, instance_id: str, *,
                 anonymous_session_id: str | None = None) -> StatusView:
    """Unpair the phone. Needs a live session, so one is started if there is none."""
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    token = wuzapi_token(instance)
    gateway = get_gateway()
    try:
        try:
            await gateway.logout(token)
        except wuzapi.NoSession:
            await _ensure_connected(instance)
            await gateway.logout(token)
    except wuzapi.NotConnected:  # "not logged in": nothing to unpair
        pass
    except wuzapi.WuzapiError as exc:
        raise service_error(exc) from exc
    instance.status = InstanceStatus.DISCONNECTED
    instance.logged_in = False
    instance.whatsapp_jid = None
    instance.updated_at = utcnow()
    await session.commit()
    return StatusView(False, False, None)


async def delete_instance(session: AsyncSession, organization_id: str | None, instance_id: str, *,
                          anonymous_session_id: str | None = None) -> None:
    """Full delete in WuzAPI (logout, disconnect, files), then the row and its messages."""
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    if instance.wuzapi_user_id:
        try:
            await get_gateway().delete_user_full(instance.wuzapi_user_id)
        except wuzapi.NotFound:
            pass  # already gone there
        except wuzapi.WuzapiError as exc:  # keep the row: deleting it would orphan a live WuzAPI user
            raise service_error(exc) from exc
    await session.exec(delete(Instance).where(Instance.id == instance.id))
    await session.commit()


async def find_by_wuzapi_user(session: AsyncSession, wuzapi_user_id: str) -> Instance | None:
    query = select(Instance).where(Instance.wuzapi_user_id == wuzapi_user_id)
    return (await session.exec(query)).first()


async def find_by_id(session: AsyncSession, instance_id: str) -> Instance | None:
    """Unscoped lookup, for inbound hooks only (they authenticate by the instance's HMAC key)."""
    return await session.get(Instance, instance_id)


def instance_data(instance: Instance) -> dict[str, Any]:
    """The camelCase `data` of instance events."""
    return {"instanceId": instance.id, "status": instance.status, "loggedIn": instance.logged_in,
            "whatsappJid": instance.whatsapp_jid}

