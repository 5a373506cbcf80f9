"""The simulated WhatsApp: users (instances), their sessions, sends, and the phone side.

The HTTP layers (`wuzapi_routes`, `control`) and the Reflex phone page call these methods.
Errors carry WuzAPI's exact status and text (`GatewayError`) or, for the phone side, a plain
message (`ControlError`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from livchat.core.crypto import decrypt, encrypt
from livchat.core.logging import get_logger
from livchat.i18n import translate
from livchat.sandbox import protocol
from livchat.sandbox.config import SandboxConfig
from livchat.sandbox.store import Message, SandboxStore, User, WebhookError
from livchat.sandbox.webhooks import Delivery, WebhookDispatcher, build_delivery

log = get_logger("sandbox")

MAX_INBOUND_MEDIA_BYTES = 16 * 1024 * 1024
UNPAIRED = "the store doesn't contain a device JID"  # whatsmeow's ErrNotLoggedIn
NOT_CONNECTED = "websocket not connected"  # whatsmeow's ErrNotConnected


class GatewayError(Exception):
    """A WuzAPI error reply: HTTP status and the exact `error` text."""

    def __init__(self, status: int, text: str, details: str = "") -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.details = details


class ControlError(Exception):
    """A phone-side action that cannot happen (unknown session, not linked, …). `key` names the
    message in the `sandbox.error.*` catalogue; `text` is its English wording."""

    def __init__(self, status: int, key: str) -> None:
        self.status = status
        self.key = key
        self.text = translate(f"sandbox.error.{key}")
        super().__init__(self.text)


@dataclass(frozen=True)
class SessionView:
    """What the control API and the phone page show about one session."""

    id: str
    name: str
    state: str  # "disconnected" | "waiting" (for a QR or code) | "linked" | "offline" (socket down)
    connected: bool
    logged_in: bool
    jid: str
    phone: str
    qr: str  # the raw string encoded in the current QR code ("" unless waiting)
    pairing_code: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "state": self.state, "connected": self.connected,
                "loggedIn": self.logged_in, "jid": self.jid, "phone": self.phone, "qr": self.qr,
                "pairingCode": self.pairing_code}


@dataclass(frozen=True)
class OutboxItem:
    id: str
    to: str
    kind: str
    text: str
    timestamp: int
    status: str  # sent | delivered | read

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "to": self.to, "type": self.kind, "text": self.text,
                "timestamp": self.timestamp, "status": self.status}


class Sandbox:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = SandboxStore(config.db_path)
        self.webhooks = WebhookDispatcher(config, on_give_up=self._webhook_gave_up, backlog=self.store)
        self.started_at = config.clock()
        self._qr_emitted: dict[str, int] = {}  # user id → index of the last QR event sent
        self._announced: dict[str, float] = {}  # user id → socket_up_at whose Connected was sent

    def now(self) -> float:
        return self.config.clock()

    # -- background: QR rotation and delayed reconnects ------------------------------------

    async def run_background(self) -> None:
        """Tick about once a second until cancelled (started by the app's or the standalone
        server's lifespan, so rotation runs from startup, not from the first request)."""
        interval = min(1.0, self.config.qr_period_s / 4)
        while True:
            await asyncio.sleep(interval)
            try:
                self.tick()
            except Exception:  # a bad row must not stop rotation for everyone
                log.exception("sandbox tick failed")

    @asynccontextmanager
    async def background(self) -> AsyncIterator[None]:
        self.webhooks.resume()  # what a killed process had accepted and not yet delivered
        task = asyncio.get_running_loop().create_task(self.run_background())
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            await self.webhooks.aclose()

    async def aclose(self) -> None:
        await self.webhooks.aclose()

    def tick(self) -> None:
        """Emit a QR event for every waiting session whose code rotated, and Connected for every
        reconnect whose socket came up. The background task runs this about once a second; tests
        call it after moving their clock."""
        for user in self.store.users():
            if self.is_waiting(user):
                self._emit_qr_if_new(user)
            elif self.is_logged_in(user):
                self._announce_if_new(user)

    # -- events --------------------------------------------------------------------------

    def emit(self, user: User, inner: dict[str, Any]) -> None:
        """Send an event to the user's webhook if it is subscribed (`All` matches everything)."""
        events = {e.strip() for e in user.events.split(",") if e.strip()}
        if not user.webhook or not (inner["type"] in events or "All" in events):
            return
        delivery = build_delivery(url=user.webhook, inner=inner, user_id=user.id, instance_name=user.name,
                                  hmac_key=decrypt(user.hmac_key) if user.hmac_key else "",
                                  webhook_format=self.config.webhook_format)
        self.webhooks.submit(user.id, delivery)

    def _webhook_gave_up(self, user_id: str, delivery: Delivery, error: str) -> None:
        if self._row(user_id) is None:
            return  # deleted meanwhile: nothing to keep it for
        self.store.add_webhook_error(user_id=user_id, url=delivery.url, event_type=delivery.event_type,
                                     body=delivery.body.decode("utf-8", "replace"),
                                     attempts=self.config.retry_count, last_error=error, failed_at=self.now())

    def webhook_errors(self, user: User | None = None, limit: int = 50) -> list[WebhookError]:
        return self.store.webhook_errors(user.id if user else None, limit)

    # -- the live client's state -----------------------------------------------------------

    def is_online(self, user: User) -> bool:
        """WuzAPI's IsConnected(): a client whose websocket is up."""
        return bool(user.connected) and 0 <= user.socket_up_at <= self.now()

    def is_logged_in(self, user: User) -> bool:
        """WuzAPI's IsLoggedIn(): online with a paired device."""
        return self.is_online(user) and bool(user.jid)

    def is_waiting(self, user: User) -> bool:
        """Online and unpaired: showing QR codes."""
        return self.is_online(user) and not user.jid

    # -- admin ---------------------------------------------------------------------------

    def users(self) -> list[User]:
        return self.store.users(include_deleted=False)

    def user(self, user_id: str) -> User | None:
        """A user the admin API sees (a plainly deleted one is gone there)."""
        user = self._row(user_id)
        return None if user is None or user.deleted else user

    def _row(self, user_id: str) -> User | None:
        return self.store.user_by("id", user_id)

    def user_by_token(self, token: str) -> User | None:
        """Whose token this is. A plainly deleted user's token still works, as WuzAPI's cache does."""
        return self.store.user_by("token", token) if token else None

    def create_user(self, body: dict[str, Any]) -> User:
        hmac_key = _text(body, "hmackey")
        name, token, webhook, osname = (_text(body, key) for key in ("name", "token", "webhook", "osname"))
        events = body.get("events")
        if events is not None and not isinstance(events, str):  # a CSV string, never an array
            raise GatewayError(400, "invalid request payload")
        expiration, history = _int(body.get("expiration")), _int(body.get("history"))
        if hmac_key and len(hmac_key) < 32:
            raise GatewayError(400, "HMAC key must be at least 32 characters long")
        holder = self.store.user_by("token", token)
        if holder is not None and not holder.deleted:
            raise GatewayError(409, "user with this token already exists")
        if holder is not None:  # the row was deleted already; its session gives way to the new user
            self.store.delete_user(holder.id)
        user = User(
            id=uuid.uuid4().hex, name=name, token=token, webhook=webhook, events=self._checked_events(events),
            expiration=expiration, osname=osname, history=history,
            hmac_key=encrypt(hmac_key) if hmac_key else "", created_at=self.now(),
        )
        self.store.insert_user(user)
        return user

    @staticmethod
    def _checked_events(value: Any) -> str:
        names = [e.strip() for e in str(value or "").split(",") if e.strip()]
        for name in names:
            if name not in protocol.VALID_EVENTS:
                raise GatewayError(400, "invalid event type", f"invalid event: {name}")
        return ",".join(names)

    def update_user(self, user_id: str, body: dict[str, Any]) -> None:
        if self.user(user_id) is None:
            raise GatewayError(404, "user not found")
        changes: dict[str, Any] = {}
        for key in ("name", "webhook", "osname", "token"):
            if _text(body, key):
                changes[key] = _text(body, key)
        if body.get("events"):
            if not isinstance(body["events"], str):
                raise GatewayError(400, "invalid request payload")
            changes["events"] = self._checked_events(body["events"])
        for key in ("expiration", "history"):
            if body.get(key):
                changes[key] = _int(body[key])
        if not changes:
            raise GatewayError(400, "no fields to update")
        holder = self.store.user_by("token", changes.get("token", ""))
        if holder is not None and holder.id != user_id:
            raise GatewayError(409, "user with this token already exists")
        self.store.update_user(user_id, **changes)

    def delete_user(self, user_id: str, *, full: bool = False) -> User:
        """Plain: only the row goes (the admin API no longer sees it; the live session and its
        token stay until a restart). Full: logged out, disconnected, and everything removed."""
        user = self.user(user_id)
        if user is None:
            raise GatewayError(404, "user not found")
        if full:
            self.store.delete_user(user_id)
            self._qr_emitted.pop(user_id, None)
            self._announced.pop(user_id, None)
        else:
            self.store.update_user(user_id, deleted=1)
        return user

    # -- session -------------------------------------------------------------------------

    def connect(self, user: User, subscribe: list[str]) -> User:
        """A new client. A paired device's socket comes up `reconnect_s` later (WuzAPI connects in
        the background); a new device shows QR codes at once."""
        if self.is_online(user):
            raise GatewayError(500, "already connected")
        events = ",".join(e for e in subscribe if e in protocol.VALID_EVENTS)  # unknown names dropped
        changes: dict[str, Any] = {"connected": 1, "events": events}
        if user.jid:
            changes["socket_up_at"] = self.now() + self.config.reconnect_s
        else:  # a new device: QR codes start now
            changes.update(socket_up_at=self.now(), qr_seed=secrets.token_hex(16), qr_started_at=self.now(),
                           pairing_code="", pairing_phone="")
        self.store.update_user(user.id, **changes)
        user = self._reload(user)
        if user.jid:
            self._announce_if_new(user)
        else:
            self._emit_qr_if_new(user)
        return user

    def disconnect(self, user: User) -> None:
        """The API disconnect: the client goes away, events are cleared, the pairing is kept."""
        self._require_session(user)
        if not self.is_online(user):
            raise GatewayError(500, "cannot disconnect because it is not logged in")
        self.store.update_user(user.id, connected=0, events="")

    def logout(self, user: User) -> None:
        self._require_session(user)
        if not self.is_online(user):
            raise GatewayError(500, "could not disconnect as it was not connected")
        if not user.jid:
            raise GatewayError(500, "could not logout as it was not logged in")
        self._unpair(user)

    def _unpair(self, user: User) -> None:
        self.store.update_user(user.id, connected=0, jid="", lid="", pairing_code="", pairing_phone="")
        self._qr_emitted.pop(user.id, None)
        self._announced.pop(user.id, None)

    def current_qr(self, user: User) -> tuple[int, str]:
        """(rotation index, payload) of the code a phone would scan now."""
        elapsed = max(0.0, self.now() - user.qr_started_at)
        index = int(elapsed // self.config.qr_period_s)
        return index, protocol.qr_payload(user.qr_seed, index)

    def _qr_matches(self, user: User, qr: str) -> bool:
        """The code shown now, or the one before it for `qr_grace_s` after a rotation (a phone
        that scanned just before the screen changed)."""
        index, payload = self.current_qr(user)
        if _same(payload, qr):
            return True
        since_rotation = max(0.0, self.now() - user.qr_started_at) - index * self.config.qr_period_s
        return (index > 0 and since_rotation < self.config.qr_grace_s
                and _same(protocol.qr_payload(user.qr_seed, index - 1), qr))

    def qr(self, user: User) -> str:
        self._require_session(user)
        if not self.is_online(user):
            raise GatewayError(500, "not connected")
        if user.jid:
            raise GatewayError(500, "already logged in")
        return protocol.qr_data_url(self.current_qr(user)[1])

    def pair_phone(self, user: User, phone: str) -> str:
        self._require_session(user)
        if not phone:
            raise GatewayError(400, "missing Phone in Payload")
        if self.is_logged_in(user):
            raise GatewayError(400, "already paired")
        if not self.is_online(user):
            raise GatewayError(400, NOT_CONNECTED)
        digits = re.sub(r"\D", "", phone)
        if len(digits) <= 6:
            raise GatewayError(400, "phone number too short")
        if digits.startswith("0"):
            raise GatewayError(400, "international phone number required (must not start with 0)")
        code = protocol.new_pairing_code()
        self.store.update_user(user.id, pairing_code=code, pairing_phone=digits)
        return code

    def set_hmac_key(self, user: User, key: str) -> None:
        if len(key) < 32:
            raise GatewayError(400, "HMAC key must be at least 32 characters long")
        self.store.update_user(user.id, hmac_key=encrypt(key))

    def delete_hmac_key(self, user: User) -> None:
        self.store.update_user(user.id, hmac_key="")

    def set_webhook(self, user: User, url: str, events: list[str] | None) -> None:
        """`events=None` sets the URL only; unknown event names are dropped, as WuzAPI does."""
        changes: dict[str, Any] = {"webhook": url}
        if events is not None:
            changes["events"] = ",".join(str(e) for e in events if str(e) in protocol.VALID_EVENTS)
        self.store.update_user(user.id, **changes)

    def _emit_qr_if_new(self, user: User) -> None:
        index, payload = self.current_qr(user)
        if self._qr_emitted.get(user.id) != index:
            self._qr_emitted[user.id] = index
            self.emit(user, protocol.qr_event(protocol.qr_data_url(payload)))

    def _announce_if_new(self, user: User) -> None:
        """Connected, once per socket that came up."""
        if self.is_logged_in(user) and self._announced.get(user.id) != user.socket_up_at:
            self._announced[user.id] = user.socket_up_at
            self.emit(user, protocol.connected_event())

    @staticmethod
    def _require_session(user: User) -> None:
        if not user.connected:
            raise GatewayError(500, "no session")

    def _reload(self, user: User) -> User:
        fresh = self._row(user.id)
        if fresh is None:
            raise GatewayError(500, "no session")
        return fresh

    # -- chat ----------------------------------------------------------------------------

    def send(self, user: User, kind: str, body: dict[str, Any], fetched_size: int | None = None,
             fetched_mime: str = "") -> tuple[str, int]:
        """Validate a /chat/send/<kind> payload (keys lowercased) and record it as sent. URL media is
        fetched by the caller between `check_send` and here (it is async); its size and type come in."""
        jid, content = self.check_send(user, kind, body)
        if fetched_size is not None:
            content.update(size=fetched_size, mimeType=content["mimeType"] or fetched_mime)
        message_id = str(body.get("id") or "") or protocol.new_message_id()
        timestamp = int(self.now())
        self.store.add_message(id=message_id, user_id=user.id, direction="out", chat=jid, kind=kind,
                               content=content, timestamp=timestamp)
        return message_id, timestamp

    def check_send(self, user: User, kind: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """WuzAPI's checks, in its order (required fields, recipient and ContextInfo, the media's
        encoding, then the device): the chat's JID and what the outbox keeps."""
        self._require_session(user)
        phone = str(body.get("phone") or "")
        if not phone:
            raise GatewayError(400, "missing Phone in Payload")
        _require_fields(kind, body)
        jid = protocol.parse_jid(phone)
        if jid is None:
            raise GatewayError(400, "could not parse Phone")
        context = body.get("contextinfo")
        if isinstance(context, dict):
            context = {k.lower(): v for k, v in context.items()}
            if context.get("stanzaid") and not context.get("participant"):
                raise GatewayError(400, "missing Participant in ContextInfo")
            if context.get("participant") and not context.get("stanzaid"):
                raise GatewayError(400, "missing StanzaID in ContextInfo")
        content = _send_content(kind, body)
        prefix = "Error" if kind in {"image", "audio", "document", "sticker"} else "error"
        if not user.jid:
            raise GatewayError(500, f"{prefix} sending message: {UNPAIRED}")
        if not self.is_online(user):
            raise GatewayError(500, f"{prefix} sending message: {NOT_CONNECTED}")
        return str(jid), content

    def mark_read(self, user: User, body: dict[str, Any]) -> None:
        self._require_session(user)
        ids = body.get("id")
        if not ids or not isinstance(ids, list):
            raise GatewayError(400, "missing Id in Payload")
        chat = str(body.get("chatphone") or body.get("chat") or "")
        if not chat:
            raise GatewayError(400, "missing ChatPhone in Payload")
        if protocol.parse_jid(chat) is None:
            raise GatewayError(400, "could not parse ChatPhone")
        if not user.jid:
            raise GatewayError(500, f"error marking read: {UNPAIRED}")
        if not self.is_online(user):
            raise GatewayError(500, f"error marking read: {NOT_CONNECTED}")
        for message_id in ids:
            message = self.store.message(str(message_id), "in")
            if message is not None and message.user_id == user.id:
                self.store.set_message_status(message.seq, "read")

    def check_phones(self, user: User, phones: Any) -> list[dict[str, Any]]:
        self._require_session(user)
        if not phones or not isinstance(phones, list):
            raise GatewayError(400, "missing Phone in Payload")
        if not user.jid:
            raise GatewayError(500, f"error checking users: {UNPAIRED}")
        if not self.is_online(user):
            raise GatewayError(500, f"error checking users: {NOT_CONNECTED}")
        results = []
        for phone in phones:
            digits = re.sub(r"\D", "", str(phone))
            results.append({"Query": str(phone), "IsInWhatsapp": 8 <= len(digits) <= 15,
                            "JID": f"{digits}@{protocol.USER_SERVER}", "VerifiedName": ""})
        return results

    # -- the simulated phone (control API and /sandbox page) -----------------------------

    def sessions(self, among: Collection[str] | None = None) -> list[SessionView]:
        """Every session (control API), or only those whose user id is in `among` (a viewer's)."""
        return [self.view(user) for user in self.store.users() if among is None or user.id in among]

    def view(self, user: User) -> SessionView:
        waiting = self.is_waiting(user)
        if self.is_logged_in(user):
            state = "linked"
        elif waiting:
            state = "waiting"
        elif user.connected and user.jid:
            state = "offline"  # a client whose socket is down (or still coming up)
        else:
            state = "disconnected"
        return SessionView(
            id=user.id, name=user.name, state=state, connected=self.is_online(user),
            logged_in=self.is_logged_in(user), jid=user.jid,
            phone=protocol.jid_user(user.jid) if user.jid else "",
            qr=self.current_qr(user)[1] if waiting else "", pairing_code=user.pairing_code if waiting else "",
        )

    def link(self, *, qr: str = "", pairing_code: str = "", phone: str = "",
             among: Collection[str] | None = None) -> SessionView:
        """The phone scans a QR code or types a pairing code: PairSuccess, then Connected. `among`
        limits which sessions the code may link (the /sandbox page passes the viewer's own)."""
        user = self._waiting_session(qr.strip(), pairing_code.strip().upper(), among)
        digits = re.sub(r"\D", "", phone or user.pairing_phone)
        if phone and not 8 <= len(digits) <= 15:
            raise ControlError(400, "bad_phone")
        digits = digits or "55119" + "".join(secrets.choice("0123456789") for _ in range(8))
        jid = f"{digits}:{secrets.randbelow(90) + 10}@{protocol.USER_SERVER}"
        lid = f"{secrets.randbelow(10**14) + 10**14}@lid"
        self.store.update_user(user.id, jid=jid, lid=lid, pairing_code="", pairing_phone="", socket_up_at=self.now())
        self._qr_emitted.pop(user.id, None)
        user = self._reload(user)
        self.emit(user, protocol.pair_success_event(jid, lid))
        self._announce_if_new(user)
        return self.view(user)

    def _waiting_session(self, qr: str, pairing_code: str, among: Collection[str] | None) -> User:
        if not qr and not pairing_code:
            raise ControlError(400, "need_code")
        for user in self.store.users():
            if not self.is_waiting(user) or (among is not None and user.id not in among):
                continue
            if qr and self._qr_matches(user, qr):
                return user
            if pairing_code and user.pairing_code and _same(user.pairing_code, pairing_code):
                return user
        raise ControlError(404, "code_not_found")

    def find_session(self, *, token: str = "", session_id: str = "", phone: str = "") -> User:
        user = None
        if token:
            user = self.user_by_token(token)
        elif session_id:
            user = self._row(session_id)
        elif phone:
            digits = re.sub(r"\D", "", phone)
            user = next((u for u in self.store.users() if u.jid and protocol.jid_user(u.jid) == digits), None)
        if user is None:
            raise ControlError(404, "no_session")
        return user

    def linked_sessions_of(self, phone: str) -> list[User]:
        """Every session linked to this number: WhatsApp delivers to each linked device."""
        digits = re.sub(r"\D", "", phone)
        users = [u for u in self.store.users() if u.jid and protocol.jid_user(u.jid) == digits]
        if not users:
            raise ControlError(404, "no_session")
        linked = [u for u in users if self.is_logged_in(u)]
        if not linked:
            raise ControlError(409, "not_linked")
        return linked

    def _linked(self, user: User) -> User:
        if not self.is_logged_in(user):
            raise ControlError(409, "not_linked")
        return user

    def inbound(self, user: User, *, sender: str, text: str = "", push_name: str = "", media_type: str = "",
                media_base64: str = "", mime_type: str = "", file_name: str = "", reply_to: str = "",
                message_id: str = "") -> str:
        """A contact writes to the linked number: a Message event. Returns the message id (the same
        on every linked device when given)."""
        self._linked(user)
        digits = re.sub(r"\D", "", sender)
        if not 8 <= len(digits) <= 15:
            raise ControlError(400, "bad_from")
        media = b""
        if media_type:
            if media_type not in protocol.MEDIA_KINDS:
                raise ControlError(400, "bad_type")
            media = _decode_media(media_base64)
            mime_type = mime_type or _default_mime(media_type)
        elif not text:
            raise ControlError(400, "text_required")
        message_id = message_id or protocol.new_message_id()
        unix = self.now()
        jid = f"{digits}@{protocol.USER_SERVER}"
        event = protocol.message_event(message_id=message_id, sender=jid, push_name=push_name or digits, unix=unix,
                                       text=text, reply_to=reply_to, media_kind=media_type, media=media,
                                       mime_type=mime_type, file_name=file_name)
        self.store.add_message(id=message_id, user_id=user.id, direction="in", chat=jid,
                               kind=media_type or "text",
                               content={"text": text, "mimeType": mime_type, "fileName": file_name,
                                        "size": len(media)},
                               timestamp=int(unix))
        self.emit(user, event)
        return message_id

    def outbox(self, user: User, limit: int = 50) -> list[OutboxItem]:
        return [
            OutboxItem(id=m.id, to=protocol.jid_user(m.chat), kind=m.kind, text=_summary(m),
                       timestamp=m.timestamp, status=m.status)
            for m in self.store.messages(user.id, "out", limit)
        ]

    def receipt(self, message_id: str, state: str, among: Collection[str] | None = None) -> None:
        """The contact's phone got (Delivered) or opened (Read) a message the number sent. `among`
        limits it to messages of those users' sessions."""
        if state not in {"Delivered", "Read"}:
            raise ControlError(400, "bad_state")
        message = self.store.message(message_id, "out")
        if message is None or (among is not None and message.user_id not in among):
            raise ControlError(404, "no_message")
        user = self._linked(self._row(message.user_id) or _missing())
        if not (message.status == "read" and state == "Delivered"):  # a receipt never goes backwards
            self.store.set_message_status(message.seq, state.lower())
        self.emit(user, protocol.read_receipt_event(chat=message.chat, message_ids=[message.id], state=state,
                                                    unix=self.now()))

    def phone_disconnect(self, user: User) -> SessionView:
        """The connection drops: Disconnected. The client stays (WuzAPI keeps it and answers
        "not connected") until it reconnects (`phone_reconnect`) or is disconnected by the API."""
        if not self.is_online(user):
            raise ControlError(409, "not_connected")
        self.store.update_user(user.id, socket_up_at=-1)
        self.emit(user, protocol.disconnected_event())
        return self.view(self._reload(user))

    def phone_reconnect(self, user: User) -> SessionView:
        """The dropped connection comes back (whatsmeow reconnects by itself): Connected."""
        if not user.connected or self.is_online(user) or not user.jid:
            raise ControlError(409, "not_offline")
        self.store.update_user(user.id, socket_up_at=self.now())
        user = self._reload(user)
        self._announce_if_new(user)
        return self.view(user)

    def phone_logout(self, user: User) -> SessionView:
        """The phone removes the linked device: LoggedOut (reason 401, as whatsmeow reports it),
        the client is gone and the session unpaired."""
        self._linked(user)
        self._unpair(user)
        self.emit(user, protocol.logged_out_event())
        return self.view(self._reload(user))

    def health(self) -> dict[str, Any]:
        users = self.store.users()
        now = self.now()
        return {"status": "ok", "timestamp": protocol.go_time(now), "uptime": f"{int(now - self.started_at)}s",
                "total_users": len([u for u in users if not u.deleted]),
                "connected_users": sum(1 for u in users if self.is_online(u)),
                "logged_in_users": sum(1 for u in users if self.is_logged_in(u)), "version": "sandbox"}


def _int(value: Any) -> int:
    """A JSON number field; anything else fails decoding, as Go's would."""
    if value in (None, ""):
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GatewayError(400, "invalid request payload")
    return int(value)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GatewayError(400, "could not decode Payload")
    return float(value)


def _missing() -> User:
    raise ControlError(404, "no_session")


def _text(body: dict[str, Any], key: str) -> str:
    """A JSON string field; another type fails decoding, as Go's would."""
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise GatewayError(400, "invalid request payload")
    return value


# Per kind (handlers.go): the data-URL prefix each handler accepts, the error for anything that is
# neither that nor an http(s) URL, and the error when the data URL does not decode.
_MEDIA_RULES = {
    "image": ("data:image", 'Image data should start with "data:image/png;base64,"',
              "could not decode base64 encoded data from payload"),
    "audio": ("data:audio/", "audio must be base64 (data:audio/) or valid HTTP URL",
              "could not decode base64 encoded data"),
    "video": ("data", 'data should start with "data:mime/type;base64,"',
              "could not decode base64 encoded data from payload"),
    "document": ("data:", 'document data should start with "data:" or be a valid HTTP URL',
                 "could not decode base64 encoded data from payload"),
}
_MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


def _require_fields(kind: str, body: dict[str, Any]) -> None:
    """The kind's required fields, checked right after Phone."""
    if kind == "text":
        if not str(body.get("body") or ""):
            raise GatewayError(400, "missing Body in Payload")
    elif kind == "location":
        for axis in ("Latitude", "Longitude"):
            if not body.get(axis.lower()):  # a zero coordinate counts as missing, as in Go
                raise GatewayError(400, f"missing {axis} in Payload")
    else:
        if not str(body.get(kind) or ""):
            raise GatewayError(400, f"missing {kind.capitalize()} in Payload")
        if kind == "document" and not body.get("filename"):
            raise GatewayError(400, "missing FileName in Payload")


def _send_content(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """What the outbox keeps (never the media bytes); a data URL is decoded here, as WuzAPI does
    before uploading, so its size is the decoded byte count."""
    if kind == "text":
        return {"text": str(body["body"])}
    if kind == "location":
        return {"latitude": _number(body["latitude"]), "longitude": _number(body["longitude"]),
                "name": str(body.get("name") or "")}
    value = str(body[kind])
    prefix, wrong_form, undecodable = _MEDIA_RULES[kind]
    mime, size, url = str(body.get("mimetype") or ""), 0, ""
    if value.startswith(prefix):
        data, declared = _decode_data_url(value, undecodable)
        mime, size = mime or declared, len(data)
    elif _is_http_url(value):
        url = value
    else:
        raise GatewayError(400, wrong_form)
    return {"caption": str(body.get("caption") or ""), "fileName": str(body.get("filename") or ""),
            "mimeType": mime, "url": url, "size": size}


def _is_http_url(value: str) -> bool:
    """Go's isHTTPURL: an http(s) URL with a host."""
    match = re.match(r"^https?://([^/?#]+)", value)
    return bool(match and match.group(1).rsplit("@", 1)[-1])


def _decode_data_url(value: str, error: str) -> tuple[bytes, str]:
    """RFC 2397 as Go's dataurl package reads it: `data:[<type>/<subtype>][;params][;base64],<data>`,
    base64 (strict) or percent-encoded. Returns the bytes and the declared media type."""
    header, comma, payload = value[5:].partition(",") if value.startswith("data:") else ("", "", "")
    parts = [p.strip() for p in header.split(";")]
    media_type = parts[0]
    if not comma or (media_type and not _MEDIA_TYPE.match(media_type)):
        raise GatewayError(400, error)
    try:
        data = base64.b64decode(payload, validate=True) if parts[-1].lower() == "base64" else unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise GatewayError(400, error) from None
    return data, media_type


def _decode_media(value: str) -> bytes:
    if value.startswith("data:"):
        value = value.split(",", 1)[-1]
    try:
        data = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ControlError(400, "bad_base64") from None
    if not data:
        raise ControlError(400, "media_required")
    if len(data) > MAX_INBOUND_MEDIA_BYTES:
        raise ControlError(413, "media_too_large")
    return data


def _default_mime(kind: str) -> str:
    return {"image": "image/jpeg", "document": "application/pdf", "audio": "audio/ogg; codecs=opus"}[kind]


def _summary(message: Message) -> str:
    c = message.content
    if message.kind == "text":
        return c.get("text", "")
    if message.kind == "location":
        return f"{c.get('name') or ''} ({c.get('latitude')}, {c.get('longitude')})".strip()
    return c.get("caption") or c.get("fileName") or c.get("mimeType") or message.kind


def _same(expected: str, given: str) -> bool:
    """Constant-time equality of two texts (bytes: compare_digest refuses non-ASCII str)."""
    return secrets.compare_digest(expected.encode(), given.encode())
