"""The simulated phone (/sandbox page) over the in-process sandbox, scoped to what the viewer owns.

A viewer is an organization (a signed-in user's active one) or an anonymous test-panel session.
They see and act on the sandbox sessions of their own instances only — never another owner's
QR codes, outbox or messages (the unscoped view is the admin-token control API's). Sessions are
shown by the instance's name; ids in and out are our instance ids, not WuzAPI user ids.

Phone-side failures are the sandbox's `ControlError`s (`key` names `sandbox.error.<key>`); an
instance the viewer does not own is `no_session`, exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.models.whatsapp import Instance
from livchat.sandbox.engine import ControlError, OutboxItem, Sandbox
from livchat.sandbox.runtime import get_sandbox
from livchat.sandbox.store import User
from livchat.services.whatsapp import instances

MAX_ROWS = 50


@dataclass(frozen=True)
class Viewer:
    organization_id: str | None = None
    anonymous_session_id: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.organization_id is None and self.anonymous_session_id is None


@dataclass(frozen=True)
class PhoneSession:
    instance_id: str
    name: str  # the instance's display name
    state: str  # waiting | linked | offline | disconnected
    phone: str
    pairing_code: str


@dataclass(frozen=True)
class PhoneView:
    sessions: list[PhoneSession]
    active: str  # the instance the outbox belongs to ("" when none is linked)
    outbox: list[OutboxItem]


class _Owned:
    """The viewer's instances that have a sandbox user: by instance id and by WuzAPI user id."""

    def __init__(self, rows: list[Instance]) -> None:
        self.by_instance = {i.id: i for i in rows if i.wuzapi_user_id}
        self.by_user = {i.wuzapi_user_id: i for i in self.by_instance.values() if i.wuzapi_user_id}

    def user(self, sandbox: Sandbox, instance_id: str) -> User:
        instance = self.by_instance.get(instance_id)
        user = sandbox.find_session(session_id=instance.wuzapi_user_id or "") if instance else None
        if user is None:
            raise ControlError(404, "no_session")
        return user


async def _owned(session: AsyncSession, viewer: Viewer) -> _Owned:
    if viewer.anonymous:
        return _Owned([])
    return _Owned(await instances.list_instances(session, viewer.organization_id,
                                                 anonymous_session_id=viewer.anonymous_session_id))


async def view(session: AsyncSession, viewer: Viewer, active: str = "") -> PhoneView:
    """The viewer's sessions, and the outbox of `active` (or of the first linked session)."""
    sandbox, owned = get_sandbox(), await _owned(session, viewer)
    views = sandbox.sessions(among=set(owned.by_user))[:MAX_ROWS]
    sessions = [PhoneSession(instance_id=owned.by_user[v.id].id, name=owned.by_user[v.id].name, state=v.state,
                             phone=v.phone, pairing_code=v.pairing_code) for v in views]
    linked = [s.instance_id for s in sessions if s.state == "linked"]
    active = active if active in linked else (linked[0] if linked else "")
    outbox = sandbox.outbox(owned.user(sandbox, active), MAX_ROWS) if active else []
    return PhoneView(sessions, active, outbox)


async def link(session: AsyncSession, viewer: Viewer, *, instance_id: str = "", qr: str = "",
               pairing_code: str = "", phone: str = "") -> str:
    """Scan the current QR of one of the viewer's waiting sessions (`instance_id`), or link the one
    a pasted QR payload or a typed pairing code belongs to. Returns the linked instance's id."""
    sandbox, owned = get_sandbox(), await _owned(session, viewer)
    if instance_id:
        user = owned.user(sandbox, instance_id)
        qr, pairing_code = sandbox.view(user).qr or "-", ""  # not waiting: no code that could match
    linked = sandbox.link(qr=qr, pairing_code=pairing_code, phone=phone, among=set(owned.by_user))
    return owned.by_user[linked.id].id


async def write_as_contact(session: AsyncSession, viewer: Viewer, instance_id: str, sender: str, text: str) -> str:
    sandbox, owned = get_sandbox(), await _owned(session, viewer)
    return sandbox.inbound(owned.user(sandbox, instance_id), sender=sender, text=text)


async def receipt(session: AsyncSession, viewer: Viewer, message_id: str, state: str) -> None:
    """The contact's phone got or read a message one of the viewer's numbers sent."""
    sandbox, owned = get_sandbox(), await _owned(session, viewer)
    sandbox.receipt(message_id, state, among=set(owned.by_user))


async def go_offline(session: AsyncSession, viewer: Viewer, instance_id: str) -> None:
    sandbox, owned = get_sandbox(), await _owned(session, viewer)
    sandbox.phone_disconnect(owned.user(sandbox, instance_id))


async def reconnect(session: AsyncSession, viewer: Viewer, instance_id: str) -> None:
    sandbox, owned = get_sandbox(), await _owned(session, viewer)
    sandbox.phone_reconnect(owned.user(sandbox, instance_id))


async def log_out(session: AsyncSession, viewer: Viewer, instance_id: str) -> None:
    sandbox, owned = get_sandbox(), await _owned(session, viewer)
    sandbox.phone_logout(owned.user(sandbox, instance_id))
