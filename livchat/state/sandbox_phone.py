"""State of the simulated phone page (/sandbox). Thin: every action is one call into
`livchat.services.whatsapp.simulated_phone`, scoped to the viewer — a signed-in user's active organization,
else the anonymous test-panel session whose token the landing page keeps in local storage. It
holds only what the screen shows, bounded; no QR payload leaves the server."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import reflex as rx

from livchat.core.db import db
from livchat.core.settings import get_settings
from livchat.sandbox.engine import ControlError
from livchat.services.whatsapp import simulated_phone, test_panel
from livchat.services.whatsapp.simulated_phone import Viewer
from livchat.state.auth import NoOrganization, SignedOut, authorized, current_context
from livchat.state.inputs import browser_input

# Where the landing page's test panel keeps the visitor's anonymous token (POST /api/public/session).
ANONYMOUS_TOKEN_STORAGE = "anonymous_token"


class SandboxPhoneState(rx.State):
    enabled: bool = True
    signed_out: bool = False  # neither signed in nor holding a test-panel session
    sessions: list[dict[str, str]] = []  # instance_id, name, state, phone, pairing_code
    active_session: str = ""  # an instance id
    outbox: list[dict[str, str]] = []  # id, to, type, text, status
    phone: str = ""
    qr_payload: str = ""
    pairing_code: str = ""
    sender: str = ""
    text: str = ""
    notice_key: str = ""  # a sandbox.done.* / sandbox.error.* key
    notice_ok: bool = True
    # The test panel's session, resolved from the browser's token; the token itself is never kept
    # in state (Reflex stores state on disk or in Redis).
    _anonymous_session_id: str = ""

    @rx.var
    def linked_sessions(self) -> list[dict[str, str]]:
        return [s for s in self.sessions if s["state"] == "linked"]

    @rx.event
    @browser_input
    def set_phone(self, value: str) -> None:
        self.phone = value[:32]

    @rx.event
    @browser_input
    def set_qr_payload(self, value: str) -> None:
        self.qr_payload = value[:1024]

    @rx.event
    @browser_input
    def set_pairing_code(self, value: str) -> None:
        self.pairing_code = value[:16]

    @rx.event
    @browser_input
    def set_sender(self, value: str) -> None:
        self.sender = value[:32]

    @rx.event
    @browser_input
    def set_text(self, value: str) -> None:
        self.text = value[:4096]

    @rx.event
    @authorized
    async def set_active_session(self, value: str) -> None:
        self.active_session = value[:64]
        await self._load()

    @rx.event
    @authorized
    async def refresh(self):
        self.notice_key = ""
        self._anonymous_session_id = ""  # a new visit: resolve the token again
        await self._load()
        return rx.call_script(f"window.localStorage.getItem({json.dumps(ANONYMOUS_TOKEN_STORAGE)}) || ''",
                              callback=SandboxPhoneState.use_anonymous_token)

    @rx.event
    @authorized
    async def use_anonymous_token(self, token: str) -> None:
        """The browser's test-panel token (if any), traded at once for its session's id."""
        token = str(token or "")[:200]
        if token:
            async with db.session() as session:
                try:
                    self._anonymous_session_id = (await test_panel.resolve(session, token)).id
                except test_panel.SessionExpired:
                    self._anonymous_session_id = ""
        await self._load()

    @rx.event
    @authorized
    async def poll(self) -> None:
        """The page's timer: new sessions, links and outbox items appear without a click."""
        await self._load()

    async def _viewer(self) -> Viewer:
        try:
            return Viewer(organization_id=(await current_context(self)).organization.id)
        except (SignedOut, NoOrganization):  # not signed in (a tab whose organization changed reloads)
            pass
        return Viewer(anonymous_session_id=self._anonymous_session_id or None)

    async def _load(self) -> None:
        self.enabled = get_settings().sandbox_enabled
        if not self.enabled:
            self.sessions, self.outbox = [], []
            return
        viewer = await self._viewer()
        self.signed_out = viewer.anonymous
        async with db.session() as session:
            shown = await simulated_phone.view(session, viewer, self.active_session)
        self.sessions = [{"instance_id": s.instance_id, "name": s.name, "state": s.state, "phone": s.phone,
                          "pairing_code": s.pairing_code} for s in shown.sessions]
        self.active_session = shown.active
        self.outbox = [{"id": m.id, "to": m.to, "type": m.kind, "text": m.text[:280], "status": m.status}
                       for m in shown.outbox]

    async def _act(self, action: Callable[[Any, Viewer], Awaitable[Any]], done_key: str) -> None:
        if not get_settings().sandbox_enabled:
            return
        viewer = await self._viewer()
        try:
            async with db.session() as session:
                await action(session, viewer)
        except ControlError as exc:
            self.notice_key, self.notice_ok = f"sandbox.error.{exc.key}", False
        else:
            self.notice_key, self.notice_ok = done_key, True
        await self._load()

    @rx.event
    @authorized
    async def link_session(self, instance_id: str) -> None:
        await self._link(instance_id=instance_id)

    @rx.event
    @authorized
    async def link_qr(self) -> None:
        await self._link(qr=self.qr_payload)

    @rx.event
    @authorized
    async def link_code(self) -> None:
        await self._link(pairing_code=self.pairing_code)

    async def _link(self, **code: str) -> None:
        async def action(session: Any, viewer: Viewer) -> None:
            self.active_session = await simulated_phone.link(session, viewer, phone=self.phone, **code)
            self.qr_payload = self.pairing_code = ""

        await self._act(action, "sandbox.done.linked")

    @rx.event
    @authorized
    async def send(self) -> None:
        async def action(session: Any, viewer: Viewer) -> None:
            await simulated_phone.write_as_contact(session, viewer, self.active_session, self.sender, self.text)
            self.text = ""

        await self._act(action, "sandbox.done.sent")

    @rx.event
    @authorized
    async def mark(self, message_id: str, state: str) -> None:
        await self._act(lambda session, viewer: simulated_phone.receipt(session, viewer, message_id, state),
                        "sandbox.done.receipt")

    @rx.event
    @authorized
    async def disconnect(self) -> None:
        await self._act(lambda session, viewer: simulated_phone.go_offline(session, viewer, self.active_session),
                        "sandbox.done.disconnected")

    @rx.event
    @authorized
    async def reconnect(self, instance_id: str) -> None:
        await self._act(lambda session, viewer: simulated_phone.reconnect(session, viewer, instance_id),
                        "sandbox.done.reconnected")

    @rx.event
    @authorized
    async def logout(self) -> None:
        await self._act(lambda session, viewer: simulated_phone.log_out(session, viewer, self.active_session),
                        "sandbox.done.logged_out")
