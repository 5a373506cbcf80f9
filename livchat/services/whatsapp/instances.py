"""WhatsApp instances: one WuzAPI user each, owned by an organization or, before sign-up, by an
anonymous test-panel session (`organization_id=None`, `anonymous_session_id` set).

Every function takes the owner explicitly. Reads take `organization_id`; changes take the actor
(`manage_instances`; refreshing the status, `read`), checked before anything happens. The test
panel's anonymous session passes `None` plus `anonymous_session_id=` to either. An instance of
another owner is `NotFound`, exactly like a missing one.

Status changes all go through `settle()`: a compare-and-set on (status, logged_in, whatsapp_jid),
so whichever path sees a change first — connect, disconnect, logout, a status sync, or WuzAPI's
own event arriving through ingest — publishes the `instance.*` event, and only once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import decrypt, encrypt, new_token
from livchat.core.db import db, utcnow
from livchat.core.events import bus
from livchat.core.ids import new_id
from livchat.core.logging import get_logger
from livchat.core.periodic import periodic_lifespan
from livchat.core.settings import get_settings
from livchat.core.text import has_control_characters
from livchat.integrations import wuzapi
from livchat.models.accounts import Organization
from livchat.models.enums import InstanceStatus
from livchat.models.whatsapp import Instance
from livchat.services.accounts import organizations
from livchat.services.actors import Actor
from livchat.services.billing import plans as billing_plans
from livchat.services.errors import GatewayUnavailable, InvalidInput, NotFound, ServiceError
from livchat.services.pagination import newest_first
from livchat.services.usage import limits
from livchat.services.whatsapp.events import (
    InstanceConnected,
    InstanceDisconnected,
    InstanceLoggedOut,
    WhatsAppEvent,
)
from livchat.services.whatsapp.gateway import gateway_errors, get_gateway, service_error
from livchat.services.whatsapp.phones import bare_jid, normalize_phone
from livchat.services.whatsapp.schemas import (
    InstanceEventData,
    PairingOut,
    QrOut,
    StatusOut,
)

log = get_logger("instances")

# The WuzAPI events ingest understands. `connect` re-sends them: an empty Subscribe clears them.
SUBSCRIBED_EVENTS = ["Message", "ReadReceipt", "Connected", "PairSuccess", "Disconnected", "LoggedOut", "QR"]
QR_EXPIRES_IN = 20  # seconds: WhatsApp rotates the code about every 20 s while unlinked
PAIRING_CODE_EXPIRES_IN = 160  # seconds a linking code stays valid on WhatsApp's side
MAX_NAME_LENGTH = 100
# WuzAPI connects in the background (a paired device retries 3 times, 5 s then 10 s apart): how
# long logout waits for a restarted session to come up before it can unpair.
LOGIN_WAIT_SECONDS = 20.0
LOGIN_POLL_SECONDS = 0.2
UNPAIRED_AFTER_SECONDS = 2.0  # up but not logged in for this long: nothing is paired


def acting_for(actor: Actor | None, permission: str) -> str | None:
    """The organization an actor acts in, once its role allows `permission`. None is the landing
    page's anonymous test panel: no organization's actor, its own `anonymous_session_id=` path."""
    if actor is None:
        return None
    actor.require(permission)
    return actor.organization_id


def webhook_url(instance_id: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/api/hooks/wuzapi/{instance_id}"


def wuzapi_token(instance: Instance) -> str:
    return decrypted(instance.wuzapi_token_encrypted)


def hmac_key(instance: Instance) -> str:
    return decrypted(instance.hmac_key_encrypted)


@lru_cache(maxsize=4096)
def decrypted(ciphertext: str) -> str:
    """Every send and every inbound event needs its instance's secret: decrypt each stored value once
    per process (a rotated secret is a new ciphertext, so nothing stale is ever returned)."""
    return decrypt(ciphertext)


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
    query = select(Instance).order_by(col(Instance.created_at).desc(), col(Instance.id).desc())
    if organization_id is not None:
        query = query.where(Instance.organization_id == organization_id)
    elif anonymous_session_id is not None:
        query = query.where(col(Instance.organization_id).is_(None),
                            col(Instance.anonymous_session_id) == anonymous_session_id)
    else:
        return []
    return list((await session.exec(query)).all())


async def page_instances(session: AsyncSession, organization_id: str, *, limit: int = 50,
                         cursor: str | None = None) -> tuple[list[Instance], str | None]:
    """Newest first, `limit` (≤ 100) at a time: (page, next cursor or None). Ids are time-ordered,
    so the cursor is `id < cursor`."""
    query = select(Instance).where(Instance.organization_id == organization_id)
    return await newest_first(session, query, Instance.id, limit=limit, cursor=cursor)


async def create_instance(session: AsyncSession, actor: Actor | None, name: str, *,
                          anonymous_session_id: str | None = None) -> Instance:
    """A WuzAPI user with its own random token and HMAC key, its webhook pointed at us. For an
    organization, the plan's instance limit is enforced here, atomically (`_reserve`)."""
    organization_id = acting_for(actor, "manage_instances")
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH or has_control_characters(name):
        raise InvalidInput("invalid_instance_name")  # control characters (NUL, escapes, newlines) too
    if organization_id is None and anonymous_session_id is None:
        raise InvalidInput("instance_owner_required")
    instance_id = new_id("inst")
    token, key = new_token(nbytes=32), new_token(nbytes=32)  # 43 characters each
    instance = Instance(
        id=instance_id, organization_id=organization_id, anonymous_session_id=anonymous_session_id,
        name=name, wuzapi_token_encrypted=encrypt(token), hmac_key_encrypted=encrypt(key),
        status=InstanceStatus.DISCONNECTED,
    )
    await _reserve(session, instance)
    gateway = get_gateway()
    user: wuzapi.WuzapiUser | None = None
    try:
        with gateway_errors():
            user = await gateway.create_user(instance_id, token, webhook=webhook_url(instance_id),
                                             events=SUBSCRIBED_EVENTS, hmac_key=key)
            # A key given at creation may not sign until it is set again (contract §6).
            await gateway.set_hmac_key(token, key)
        instance.wuzapi_user_id = user.id
        await session.commit()
    except BaseException:
        await session.rollback()
        await session.exec(delete(Instance).where(col(Instance.id) == instance_id))  # give the slot back
        await session.commit()
        if user is not None:
            await _forget_user(user.id)
        raise
    return instance


async def _reserve(session: AsyncSession, instance: Instance) -> None:
    """Commit the row, counted against the plan under a lock on the organization, so two creates
    at the limit cannot both see room. The WuzAPI user is made after, outside the lock."""
    await session.commit()  # start a fresh transaction: its first statement takes the lock
    try:
        if instance.organization_id is not None:
            if not await organizations.lock_organization(session, instance.organization_id):
                raise NotFound("not_found")
            plan = (await session.exec(select(Organization.plan)
                                       .where(Organization.id == instance.organization_id))).one()
            count = (await session.exec(select(func.count()).select_from(Instance)
                                        .where(Instance.organization_id == instance.organization_id))).one()
            # The plan's instances plus the extra ones bought (services/billing).
            allowed = await billing_plans.instance_allowance(session, instance.organization_id, plan)
            limits.check_instance_count(plan, count, allowed=allowed)
        session.add(instance)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise


async def _forget_user(user_id: str) -> None:
    """Best effort: do not leave a WuzAPI user behind a creation that failed."""
    try:
        await get_gateway().delete_user_full(user_id)
    except wuzapi.WuzapiError:
        log.warning("could not remove WuzAPI user after a failed create", extra={"wuzapi_user_id": user_id})


async def connect(session: AsyncSession, actor: Actor | None, instance_id: str, *,
                  anonymous_session_id: str | None = None) -> StatusOut:
    """Start the session (Immediate). Already connected is fine. Returns the synced status."""
    organization_id = acting_for(actor, "manage_instances")
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


async def qr_code(session: AsyncSession, actor: Actor | None, instance_id: str, *,
                  anonymous_session_id: str | None = None) -> QrOut:
    """The current QR code. Starts the session if needed; linked → `InstanceAlreadyConnected`."""
    organization_id = acting_for(actor, "manage_instances")
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
        raise await _gateway_failure(session, instance, exc) from exc
    await settle(session, instance, _waiting)
    await bus.commit_and_publish(session)
    return QrOut(qr_code=code, expires_in=QR_EXPIRES_IN if code else 0)


async def pair_phone(session: AsyncSession, actor: Actor | None, instance_id: str, phone: str, *,
                     anonymous_session_id: str | None = None) -> PairingOut:
    """The code the user types on the phone (Linked devices)."""
    organization_id = acting_for(actor, "manage_instances")
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
        raise await _gateway_failure(session, instance, exc) from exc
    await settle(session, instance, _waiting)
    await bus.commit_and_publish(session)
    return PairingOut(pairing_code=code, expires_in=PAIRING_CODE_EXPIRES_IN)


async def sync_status(session: AsyncSession, actor: Actor | None, instance_id: str, *,
                      anonymous_session_id: str | None = None) -> StatusOut:
    """Ask WuzAPI and store what it says: status, whatsapp_jid, last_connected_at."""
    organization_id = acting_for(actor, "read")
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    return await _sync(session, instance)


async def _sync(session: AsyncSession, instance: Instance) -> StatusOut:
    with gateway_errors():
        live = await get_gateway().status(wuzapi_token(instance))
    await settle(session, instance, observed(live))
    await bus.commit_and_publish(session)
    return StatusOut(connected=live.connected, logged_in=live.logged_in, whatsapp_jid=instance.whatsapp_jid)


async def disconnect(session: AsyncSession, actor: Actor | None, instance_id: str, *,
                     anonymous_session_id: str | None = None) -> StatusOut:
    """Close the session, keeping the pairing. Already disconnected is fine."""
    organization_id = acting_for(actor, "manage_instances")
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    try:
        await get_gateway().disconnect(wuzapi_token(instance))
    except (wuzapi.NoSession, wuzapi.NotConnected):
        pass
    except wuzapi.WuzapiError as exc:
        raise await _gateway_failure(session, instance, exc) from exc
    await settle(session, instance, _offline)
    await bus.commit_and_publish(session)
    return StatusOut(connected=False, logged_in=instance.logged_in, whatsapp_jid=instance.whatsapp_jid)


async def logout(session: AsyncSession, actor: Actor | None, instance_id: str, *,
                 anonymous_session_id: str | None = None) -> StatusOut:
    """Unpair the phone. WuzAPI can only log out a session whose socket is up and logged in; with
    no session one is started and, as WuzAPI connects in the background, awaited before the
    logout — a logout sent at once would be refused ("not connected") and unpair nothing."""
    organization_id = acting_for(actor, "manage_instances")
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    token = wuzapi_token(instance)
    gateway = get_gateway()
    await session.commit()  # only reads so far: hold no transaction through WuzAPI's waits
    try:
        try:
            await gateway.logout(token)
        except wuzapi.NoSession:
            await _ensure_connected(instance)
            try:
                unpaired = await _logout_when_up(token)
            except wuzapi.WuzapiError:
                with contextlib.suppress(wuzapi.WuzapiError):
                    await gateway.disconnect(token)  # we started it only to log out: leave none running
                raise
            if not unpaired:
                await gateway.disconnect(token)
        except wuzapi.NotConnected:  # the socket is down or coming up, or nothing is paired
            await _logout_when_up(token)
    except wuzapi.WuzapiError as exc:
        raise await _gateway_failure(session, instance, exc) from exc
    await settle(session, instance, logged_out)
    await bus.commit_and_publish(session)
    return StatusOut(connected=False, logged_in=False, whatsapp_jid=None)


# How long a call whose WuzAPI user vanished waits for a concurrent delete to commit (1.5 s in all).
DELETE_GRACE = (0.05, 0.1, 0.2, 0.4, 0.75)


async def _gateway_failure(session: AsyncSession, instance: Instance, exc: wuzapi.WuzapiError) -> ServiceError:
    """WuzAPI's error, unless the instance is being deleted (a DELETE racing this call took its WuzAPI
    user away): then it is this caller's 404, as it would be a moment later. WuzAPI refusing our own
    token means exactly that, so wait (bounded) for the deleting transaction to commit."""
    for pause in (0.0, *DELETE_GRACE) if isinstance(exc, wuzapi.Unauthorized) else (0.0,):
        await asyncio.sleep(pause)
        async with db.session() as fresh:  # a new transaction sees the other one's commit
            if await fresh.get(Instance, instance.id) is None:
                return NotFound("not_found")
    return service_error(exc)


async def _logout_when_up(token: str) -> bool:
    """Wait (bounded) for the session to log in, then log it out: True. A session that stays up
    without a pairing (QR codes) has nothing to unpair: False. One that never comes up is an error."""
    gateway = get_gateway()
    started = time.monotonic()
    unpaired_since: float | None = None
    while True:
        live = await gateway.status(token)
        if live.logged_in:
            await gateway.logout(token)
            return True
        now = time.monotonic()
        if live.connected:  # up, not logged in: QR codes, or a login still finishing
            unpaired_since = unpaired_since or now
            if now - unpaired_since >= UNPAIRED_AFTER_SECONDS:
                return False
        else:
            unpaired_since = None
        if now - started >= LOGIN_WAIT_SECONDS:
            raise GatewayUnavailable("WhatsApp gateway error: the session did not come up to log out; try again")
        await asyncio.sleep(LOGIN_POLL_SECONDS)  # WuzAPI has no event to wait on for this


# --- status changes -----------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """What an instance's (status, logged_in, whatsapp_jid) should become, and the event that
    announces the change (None: none)."""

    status: str
    logged_in: bool
    jid: str | None
    event: type[WhatsAppEvent] | None = None


Decide = Callable[[Instance], Target]


def observed(live: wuzapi.SessionStatus) -> Decide:
    """From WuzAPI's live status. Without a live client it reports false/false even for a paired
    device, so the pairing (logged_in, jid) is only taken from it while connected."""
    def decide(instance: Instance) -> Target:
        status = (InstanceStatus.CONNECTED if live.connected and live.logged_in
                  else InstanceStatus.CONNECTING if live.connected else InstanceStatus.DISCONNECTED)
        if live.connected:
            jid = (bare_jid(live.jid) if live.jid else instance.whatsapp_jid) if live.logged_in else None
            logged_in = live.logged_in
        else:
            jid, logged_in = instance.whatsapp_jid, instance.logged_in
        return Target(status, logged_in, jid, _transition_event(instance.status, status))
    return decide


def _offline(instance: Instance) -> Target:
    """No client any more (an API disconnect); the pairing is kept."""
    return Target(InstanceStatus.DISCONNECTED, instance.logged_in, instance.whatsapp_jid,
                  _transition_event(instance.status, InstanceStatus.DISCONNECTED))


def _waiting(instance: Instance) -> Target:
    """A QR code or a pairing code is out: connecting, unless it already is (or more)."""
    if instance.status != InstanceStatus.DISCONNECTED:
        return Target(instance.status, instance.logged_in, instance.whatsapp_jid)
    return Target(InstanceStatus.CONNECTING, instance.logged_in, instance.whatsapp_jid)


def logged_out(instance: Instance) -> Target:
    """Unpaired: our logout, or the phone removing the device (a confirmed LoggedOut event)."""
    paired = instance.logged_in or instance.whatsapp_jid or instance.status != InstanceStatus.DISCONNECTED
    return Target(InstanceStatus.DISCONNECTED, False, None, InstanceLoggedOut if paired else None)


def _transition_event(old: str, new: str) -> type[WhatsAppEvent] | None:
    if old == new:
        return None
    if new == InstanceStatus.CONNECTED:
        return InstanceConnected
    if new == InstanceStatus.DISCONNECTED:
        return InstanceDisconnected
    return None  # connecting: the QR event tells it


async def settle(session: AsyncSession, instance: Instance, decide: Decide) -> WhatsAppEvent | None:
    """Apply `decide` to the row with a compare-and-set on what it was decided from; if another
    writer got there first, decide again on the fresh row. Emits (in this transaction) and returns
    the event of the change, or None when nothing changed; the caller commits."""
    for _ in range(5):
        seen = (instance.status, instance.logged_in, instance.whatsapp_jid)
        target = decide(instance)
        if (target.status, target.logged_in, target.jid) == seen:
            return None
        now = utcnow()
        values: dict[str, Any] = {"status": target.status, "logged_in": target.logged_in,
                                  "whatsapp_jid": target.jid, "updated_at": now}
        if target.status == InstanceStatus.CONNECTED:
            values["last_connected_at"] = now
        result = await session.exec(
            update(Instance)
            .where(col(Instance.id) == instance.id, col(Instance.status) == seen[0], col(Instance.logged_in) == seen[1],
                   col(Instance.whatsapp_jid).is_not_distinct_from(seen[2]))
            .values(**values).execution_options(synchronize_session=False))
        if result.rowcount == 1:
            for name, value in values.items():
                set_committed_value(instance, name, value)
            if target.event is None:
                return None
            event = target.event(organization_id=instance.organization_id, instance_id=instance.id,
                                 data=InstanceEventData.of(instance).wire())
            await bus.emit(session, event)
            return event
        try:
            await session.refresh(instance)  # someone else changed it meanwhile
        except InvalidRequestError as gone:  # ...or deleted it (a DELETE racing this call)
            raise NotFound("not_found") from gone
    raise RuntimeError(f"instance {instance.id} kept changing under us")


async def delete_instance(session: AsyncSession, actor: Actor | None, instance_id: str, *,
                          anonymous_session_id: str | None = None) -> None:
    """Full delete in WuzAPI (logout, disconnect, files), then the row and its messages."""
    organization_id = acting_for(actor, "manage_instances")
    instance = await get_instance(session, organization_id, instance_id, anonymous_session_id=anonymous_session_id)
    try:  # keep the row when WuzAPI fails: deleting it would orphan a live WuzAPI user
        await _delete_wuzapi_user(instance)
    except wuzapi.WuzapiError as exc:
        raise service_error(exc) from exc
    await session.exec(delete(Instance).where(col(Instance.id) == instance.id))
    await session.commit()


async def _delete_wuzapi_user(instance: Instance, users_by_name: dict[str, str] | None = None) -> None:
    """Full delete of the instance's WuzAPI user. A row whose create was cut short has no user id
    recorded, though the user may exist: WuzAPI users are named after our instance id
    (`users_by_name`: WuzAPI's users, name → id, when the caller listed them already)."""
    gateway = get_gateway()
    user_id = instance.wuzapi_user_id
    if user_id is None:
        if users_by_name is None:
            users_by_name = await _wuzapi_users_by_name()
        user_id = users_by_name.get(instance.id)
    if user_id is None:
        return
    with contextlib.suppress(wuzapi.NotFound):  # already gone there
        await gateway.delete_user_full(user_id)


async def _wuzapi_users_by_name() -> dict[str, str]:
    return {u.name: u.id for u in await get_gateway().list_users()}


# A create takes seconds (WuzAPI calls time out well within this); a row still without its WuzAPI
# user after this long was cut short by a crash between reserving it and recording the user.
INTERRUPTED_CREATE_AFTER = timedelta(minutes=10)
SWEEP_EVERY_SECONDS = 600.0


async def sweep_interrupted_creates(session: AsyncSession, *,
                                    older_than: timedelta = INTERRUPTED_CREATE_AFTER) -> int:
    """Remove instances whose create was cut short — their WuzAPI user if one was made, then the
    row, which gives the plan's instance slot back. Returns how many were removed."""
    stale = (await session.exec(select(Instance).where(
        col(Instance.wuzapi_user_id).is_(None), col(Instance.created_at) < utcnow() - older_than))).all()
    users_by_name = await _wuzapi_users_by_name() if stale else {}  # one listing for all of them
    for instance in stale:
        await _delete_wuzapi_user(instance, users_by_name)
        # Only if still unfinished: never remove a row whose create completed meanwhile.
        await session.exec(delete(Instance).where(col(Instance.id) == instance.id,
                                                  col(Instance.wuzapi_user_id).is_(None)))
        await session.commit()
        log.warning("removed an instance whose create was interrupted",
                    extra={"instance_id": instance.id, "organization_id": instance.organization_id})
    return len(stale)


async def _sweep_once() -> int:
    async with db.session() as session:
        return await sweep_interrupted_creates(session)


def sweep_lifespan(every_seconds: float = SWEEP_EVERY_SECONDS,
                   first_after: float = 60.0) -> contextlib.AbstractAsyncContextManager[None]:
    """For the app's lifespan: interrupted creates swept every `every_seconds`, the first time
    once the app is serving (the in-process sandbox is reached over HTTP, through the app)."""
    return periodic_lifespan("instance-sweep", _sweep_once, every_seconds, first_after=first_after)


async def find_by_wuzapi_user(session: AsyncSession, wuzapi_user_id: str) -> Instance | None:
    query = select(Instance).where(Instance.wuzapi_user_id == wuzapi_user_id)
    return (await session.exec(query)).first()


async def find_by_id(session: AsyncSession, instance_id: str) -> Instance | None:
    """Unscoped lookup, for inbound hooks only (they authenticate by the instance's HMAC key)."""
    return await session.get(Instance, instance_id)


async def set_ai_answers(session: AsyncSession, actor: Actor, instance_id: str, enabled: bool) -> Instance:
    """"AI answers this number": its inbound messages become conversations in the support inbox and
    the AI agent answers them (services/support/whatsapp_channel.py); off, the number is the plain
    API again (conversations still open go on reaching the inbox). `manage_instances`."""
    actor.require("manage_instances")
    instance = await get_instance(session, actor.organization_id, instance_id)
    if instance.agent_enabled != bool(enabled):
        instance.agent_enabled = bool(enabled)
        instance.updated_at = utcnow()
        session.add(instance)
        await session.commit()
    return instance
