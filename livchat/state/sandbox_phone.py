"""State of the simulated phone page (/sandbox). Thin: every action is one call into the
in-process sandbox (`livchat.sandbox.engine.Sandbox`), the same methods the control API uses.
It holds only what the screen shows, bounded."""

from __future__ import annotations

import reflex as rx

from livchat.core.settings import get_settings

MAX_ROWS = 50


def _sandbox():  # type: ignore[no-untyped-def]
    from livchat.sandbox.runtime import get_sandbox

    return get_sandbox()


class SandboxPhoneState(rx.State):
    enabled: bool = True
    sessions: list[dict[str, str]] = []  # id, name, state, phone, qr, pairing_code
    active_session: str = ""
    outbox: list[dict[str, str]] = []  # id, to, type, text, status
    phone: str = ""
    qr_payload: str = ""
    pairing_code: str = ""
    sender: str = ""
    text: str = ""
    notice_key: str = ""  # a sandbox.done.* / sandbox.error.* key
    notice_ok: bool = True

    @rx.var
    def linked_sessions(self) -> list[dict[str, str]]:
        return [s for s in self.sessions if s["state"] == "linked"]

    @rx.event
    def set_phone(self, value: str) -> None:
        self.phone = value[:32]

    @rx.event
    def set_qr_payload(self, value: str) -> None:
        self.qr_payload = value[:1024]

    @rx.event
    def set_pairing_code(self, value: str) -> None:
        self.pairing_code = value[:16]

    @rx.event
    def set_sender(self, value: str) -> None:
        self.sender = value[:32]

    @rx.event
    def set_text(self, value: str) -> None:
        self.text = value[:4096]

    @rx.event
    def set_active_session(self, value: str) -> None:
        self.active_session = value
        self._load()

    @rx.event
    def refresh(self) -> None:
        self.notice_key = ""
        self._load()

    @rx.event
    def poll(self) -> None:
        """The page's timer: new sessions, links and outbox items appear without a click."""
        self._load()

    def _load(self) -> None:
        self.enabled = get_settings().sandbox_enabled
        if not self.enabled:
            self.sessions, self.outbox = [], []
            return
        sandbox = _sandbox()
        views = sandbox.sessions()[:MAX_ROWS]
        self.sessions = [
            {"id": v.id, "name": v.name or v.id[:8], "state": v.state, "phone": v.phone, "qr": v.qr,
             "pairing_code": v.pairing_code}
            for v in views
        ]
        linked = [v.id for v in views if v.state == "linked"]
        if self.active_session not in linked:
            self.active_session = linked[0] if linked else ""
        if not self.active_session:
            self.outbox = []
            return
        user = sandbox.user(self.active_session)
        items = sandbox.outbox(user, MAX_ROWS) if user else []
        self.outbox = [{"id": m.id, "to": m.to, "type": m.kind, "text": m.text[:280], "status": m.status}
                       for m in items]

    def _act(self, action, done_key: str) -> None:  # type: ignore[no-untyped-def]
        from livchat.sandbox.engine import ControlError

        if not get_settings().sandbox_enabled:
            return
        try:
            action(_sandbox())
        except ControlError as exc:
            self.notice_key, self.notice_ok = f"sandbox.error.{exc.key}", False
        else:
            self.notice_key, self.notice_ok = done_key, True
        self._load()

    def _active_user(self, sandbox):  # type: ignore[no-untyped-def]
        return sandbox.find_session(session_id=self.active_session)

    @rx.event
    async def link_session(self, session_id: str) -> None:
        qr = next((s["qr"] for s in self.sessions if s["id"] == session_id), "")
        self._link(qr=qr)

    @rx.event
    async def link_qr(self) -> None:
        self._link(qr=self.qr_payload)

    @rx.event
    async def link_code(self) -> None:
        self._link(pairing_code=self.pairing_code)

    def _link(self, qr: str = "", pairing_code: str = "") -> None:
        def action(sandbox) -> None:  # type: ignore[no-untyped-def]
            view = sandbox.link(qr=qr, pairing_code=pairing_code, phone=self.phone)
            self.active_session = view.id
            self.qr_payload = self.pairing_code = ""

        self._act(action, "sandbox.done.linked")

    @rx.event
    async def send(self) -> None:
        def action(sandbox) -> None:  # type: ignore[no-untyped-def]
            sandbox.inbound(self._active_user(sandbox), sender=self.sender, text=self.text)
            self.text = ""

        self._act(action, "sandbox.done.sent")

    @rx.event
    async def mark(self, message_id: str, state: str) -> None:
        self._act(lambda sandbox: sandbox.receipt(message_id, state), "sandbox.done.receipt")

    @rx.event
    async def disconnect(self) -> None:
        self._act(lambda sandbox: sandbox.phone_disconnect(self._active_user(sandbox)), "sandbox.done.disconnected")

    @rx.event
    async def logout(self) -> None:
        self._act(lambda sandbox: sandbox.phone_logout(self._active_user(sandbox)), "sandbox.done.logged_out")
