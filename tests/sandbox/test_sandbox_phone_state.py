"""The /sandbox page's state drives the in-process sandbox through the same Python methods the
control API uses: link, write as a contact, see the outbox, receipts, offline, logout."""

from __future__ import annotations

import os

from livchat.sandbox.runtime import get_sandbox
from livchat.state.sandbox_phone import SandboxPhoneState


async def test_page_state_links_sends_and_marks() -> None:
    sandbox = get_sandbox()
    token = f"page-{os.urandom(4).hex()}"
    user = sandbox.create_user({"name": "page shop", "token": token, "events": "All"})
    sandbox.connect(user, ["All"])
    state = SandboxPhoneState()
    try:
        state.refresh()
        row = next(s for s in state.sessions if s["id"] == user.id)
        assert row["state"] == "waiting" and row["qr"]

        state.set_phone("+55 11 97777-1234")
        await state.link_session(user.id)
        assert state.notice_key == "sandbox.done.linked"
        assert state.active_session == user.id
        assert next(s for s in state.sessions if s["id"] == user.id)["phone"] == "5511977771234"
        assert user.id in [s["id"] for s in state.linked_sessions]

        state.set_sender("5511912345678")
        state.set_text("")
        await state.send()
        assert (state.notice_key, state.notice_ok) == ("sandbox.error.text_required", False)
        state.set_text("hello from a contact")
        await state.send()
        assert state.notice_key == "sandbox.done.sent" and state.text == ""
        inbox = sandbox.store.messages(user.id, "in")
        assert [m.content["text"] for m in inbox] == ["hello from a contact"]

        message_id, _ = sandbox.send(sandbox.user(user.id), "text", {"phone": "5511912345678", "body": "reply"})
        state.refresh()  # new outbox items appear without reloading the page
        assert [(o["id"], o["text"], o["status"]) for o in state.outbox] == [(message_id, "reply", "sent")]
        await state.mark(message_id, "Delivered")
        assert state.outbox[0]["status"] == "delivered"
        await state.mark(message_id, "Read")
        assert state.outbox[0]["status"] == "read"

        await state.disconnect()
        assert state.notice_key == "sandbox.done.disconnected"
        assert next(s for s in state.sessions if s["id"] == user.id)["state"] == "offline"
        assert state.active_session != user.id
        await state.logout()  # nothing linked and selected any more
        assert state.notice_ok is False
    finally:
        sandbox.delete_user(user.id)


async def test_page_state_links_by_pairing_code_and_rejects_unknown_codes() -> None:
    sandbox = get_sandbox()
    user = sandbox.create_user({"name": "code shop", "token": f"page-{os.urandom(4).hex()}"})
    sandbox.connect(user, [])
    code = sandbox.pair_phone(sandbox.user(user.id), "5511966665555")
    state = SandboxPhoneState()
    try:
        state.set_pairing_code("ZZZZ-ZZZZ")
        await state.link_code()
        assert (state.notice_key, state.notice_ok) == ("sandbox.error.code_not_found", False)
        state.set_pairing_code(code.lower())
        await state.link_code()
        assert state.notice_key == "sandbox.done.linked" and state.pairing_code == ""
        assert sandbox.view(sandbox.user(user.id)).phone == "5511966665555"
        await state.logout()
        assert state.notice_key == "sandbox.done.logged_out"
        assert sandbox.view(sandbox.user(user.id)).state == "disconnected"
    finally:
        sandbox.delete_user(user.id)
