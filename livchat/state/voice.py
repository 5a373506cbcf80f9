"""Dashboard → Voice: the organization's Vapi connection, its assistants and phone numbers, the
assistant of the widget's call button, disconnecting.

Thin: every check is services/voice's (admins and owners change it; members look). What waits on
Vapi (connecting, listing, choosing) runs in the background, so the tab never freezes on the
network. The keys typed in the form go straight to the service and are never kept in the tab:
the page shows only their last 4 characters, as the service reports them.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from livchat.core.db import db
from livchat.services.errors import ServiceError
from livchat.services.voice import connection
from livchat.services.voice.schemas import VoiceSettingsOut
from livchat.state.auth import authorized, current_context, error_key

# The connect form's fields (not named *_key: they are secrets typed once, never ids of rows).
PRIVATE_FIELD, PUBLIC_FIELD = "vapi_private", "vapi_public"

# Where the keyboard's focus goes after an action whose button goes away or waits disabled.
CONNECT_BUTTON, PRIVATE_INPUT, WIDGET_OFF, FIRST_CHOICE = ("#voice-connect", "#voice-private-key",
                                                           "#voice-widget-off", ".voice-choose")
CONNECTION_CARD = "#voice-connection"
REFOCUS_TRIES, REFOCUS_EVERY_MS = 40, 50


def refocus(selector: str, leaving: str = "") -> Any:
    """A button that goes away (or is disabled while busy) drops the focus to the page's start, and
    a keyboard user would Tab through the sidebar again: give the focus to `selector` instead, once
    it shows and is enabled. Only a dropped focus is moved: once the user has put it elsewhere (or a
    later action asks again) this one gives up. Focus inside `leaving` (a part of the page on its
    way out, where a closing dialog hands the focus back) is waited out too."""
    return rx.call_script(f"""(() => {{
  const turn = window.__voiceRefocus = (window.__voiceRefocus || 0) + 1, had = document.activeElement;
  const leaving = {json.dumps(leaving)};
  (function f(n) {{
    const e = document.querySelector({json.dumps(selector)}), a = document.activeElement;
    const dropped = !a || a === document.body, waiting = a === had || (leaving && a && a.closest(leaving));
    if (turn !== window.__voiceRefocus || (e && a === e) || (!dropped && !waiting)) return;  // done, or moved on
    if (dropped && e && !e.disabled) e.focus();
    else if (n > 0) setTimeout(() => f(n - 1), {REFOCUS_EVERY_MS});
  }})({REFOCUS_TRIES});
}})()""")


class VoiceState(rx.State):
    connected: bool = False
    private_last4: str = ""
    public_last4: str = ""
    assistant_id: str = ""
    assistant_name: str = ""
    assistants: list[dict[str, str]] = []
    phone_numbers: list[dict[str, str]] = []
    listed: bool = False  # Vapi's lists arrived (or failed)
    can_manage: bool = False
    busy: bool = False
    saved: bool = False
    error: str = ""

    def _show(self, found: VoiceSettingsOut) -> None:
        self.connected = found.connected
        self.private_last4, self.public_last4 = found.private_key_last4, found.public_key_last4
        self.assistant_id, self.assistant_name = found.assistant_id, found.assistant_name
        if not found.connected:
            self.assistants, self.phone_numbers, self.listed = [], [], False

    @rx.event
    @authorized
    async def load(self) -> Any:
        ctx = await current_context(self)
        self.error, self.saved, self.busy = "", False, False
        self.can_manage = ctx.can(connection.MANAGE)
        async with db.session() as session:
            self._show(await connection.settings_of(session, ctx.actor))
        self.assistants, self.phone_numbers, self.listed = [], [], False
        return VoiceState.load_vapi if self.connected else None

    @rx.event(background=True)
    @authorized
    async def load_vapi(self) -> None:
        """The assistants and phone numbers, from Vapi with the organization's key."""
        ctx = await current_context(self)
        assistants: list[dict[str, str]] = []
        numbers: list[dict[str, str]] = []
        error = ""
        try:
            async with db.session() as session:
                found = await connection.assistants(session, ctx.actor)
                assistants = [{"id": a.id, "name": a.name} for a in found]
                numbers = [{"id": n.id, "number": n.number, "name": n.name, "assistant": n.assistant_name}
                           for n in await connection.phone_numbers(session, ctx.actor, known=found)]
        except ServiceError as exc:
            error = error_key(exc)
        async with self:
            self.assistants, self.phone_numbers, self.listed = assistants, numbers, True
            self.error = self.error or error

    @rx.event(background=True)
    @authorized
    async def connect(self, form_data: dict) -> Any:
        """Check the keys with Vapi and store them (encrypted); the form is emptied either way."""
        ctx = await current_context(self)
        async with self:
            self.error, self.saved, self.busy = "", False, True
        try:
            async with db.session() as session:
                found = await connection.connect(session, ctx.actor, form_data.get(PRIVATE_FIELD),
                                                 form_data.get(PUBLIC_FIELD))
        except ServiceError as exc:
            async with self:
                self.error, self.busy = error_key(exc), False
            return refocus(PRIVATE_INPUT)  # the form is empty again: type the keys anew
        async with self:
            self._show(found)
            self.busy, self.saved = False, True
        return [VoiceState.load_vapi, refocus(CONNECT_BUTTON)]

    @rx.event(background=True)
    @authorized
    async def choose(self, assistant_id: str) -> Any:
        """The widget's assistant ("" turns the call button off). The focus goes to what replaces
        the pressed button: the chosen assistant's "turn off", or the first assistant's "use"."""
        ctx = await current_context(self)
        async with self:
            self.error, self.saved, self.busy = "", False, True
        try:
            async with db.session() as session:
                found = await connection.choose_assistant(session, ctx.actor, assistant_id)
        except ServiceError as exc:
            async with self:
                self.error, self.busy = error_key(exc), False
            return None
        async with self:
            self._show(found)
            self.busy, self.saved = False, True
        return refocus(WIDGET_OFF if assistant_id else FIRST_CHOICE)

    @rx.event
    @authorized
    async def disconnect(self) -> Any:
        """Then the focus goes to the form that connects again (the button that was pressed is gone)."""
        ctx = await current_context(self)
        self.error, self.saved = "", False
        try:
            async with db.session() as session:
                self._show(await connection.disconnect(session, ctx.actor))
        except ServiceError as exc:
            self.error = error_key(exc)
            return None
        return refocus(PRIVATE_INPUT, leaving=CONNECTION_CARD)  # the closing dialog gives the focus back to its button
