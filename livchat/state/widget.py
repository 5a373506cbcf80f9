"""The /widget page's state: the visitor's side of a chat, inside a customer's site or its own tab.

Identity: the contact token (`lc_ct_…`) lives in the browser (the loader keeps it in the host
page's storage, the bridge hands it over: embed_widget/README.md) and, once handed to this tab,
in the backend-only `_token`. Every handler resolves it again (sessions.resolve: 24 h validity)
and acts as that `Visitor` only; no handler takes a conversation or message id, so a visitor can
only ever reach their own session's conversation. A token of another organization than the page's
`?organizationId=` is ignored.

Live updates ride the conversation's `ConversationFeed` (state/support_feeds.py): new messages and
status move `version` (the page reloads the messages then), and the typing flags and the AI
agent's streamed draft are read straight from the feed.
"""

from __future__ import annotations

import json
import time
from typing import Any

import reflex as rx

from livchat.core.db import db
from livchat.core.logging import get_logger
from livchat.i18n import EN, normalize_language, translate
from livchat.services.errors import NotFound, ServiceError
from livchat.services.support.conversations import checked_text
from livchat.services.support.schemas import ConversationMessageOut
from livchat.services.usage.limits import RateLimited
from livchat.services.voice import calls as voice_calls
from livchat.services.voice import connection as voice
from livchat.services.widget import customization, limits, sessions, visitor
from livchat.services.widget.sessions import ContactSessionExpired, ContactTokenInvalid, Visitor
from livchat.state.inputs import browser_input
from livchat.state.support_feeds import link_conversation_for_visitor

log = get_logger("state.widget")

VOICE_RECORD_TRIES = 20  # Vapi finishes a call's record seconds after it ends: asked again up to this often
VOICE_RECORD_EVERY_MS = 3000
TYPING_EVERY_S = 3.0  # a visitor who keeps typing says so at most this often
MAX_DRAFT = 5_000

# The browser's facts for the contact session, and the token the bridge holds (a promise).
BOOT_JS = """(async () => {
  for (let i = 0; i < 40 && !window.LivChatWidget; i++) await new Promise((r) => setTimeout(r, 50));
  const w = window.LivChatWidget;
  const token = w ? await w.token() : null;
  const langs = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || '']);
  let zone = '';
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) {}
  return {token: token || '', embedded: !!(w && w.embedded), languages: langs.join(','),
          language: navigator.language || '', timeZone: zone, referrer: document.referrer || '',
          screen: screen.width + 'x' + screen.height};
})()"""


def error_text(code: str, language: str) -> str:
    """A service error code in the visitor's language (the generic sentence for an unknown one)."""
    for prefix in ("widget.errors.", "support.errors.", "errors."):
        if prefix + code in EN:
            return translate(prefix + code, language)
    if code == "rate_limited":
        return translate("widget.page.rate_limited", language)
    return translate("widget.page.unexpected", language)


def readable_on(color: str) -> str:
    """Black or white text, whichever contrasts more with `color` (#rrggbb): at least 4.58:1."""
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    try:
        r, g, b = (channel(color[i:i + 2]) for i in (1, 3, 5))
    except ValueError:
        return "#ffffff"
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def message_view(message: ConversationMessageOut, language: str) -> dict[str, str]:
    """One message as the page shows it: plain strings only (the text is rendered as text)."""
    first = message.attachments[0] if message.attachments else None
    sources = [s.filename + (f" — {s.heading}" if s.heading else "") for s in (message.sources or []) if s.filename]
    author = {"contact": translate("widget.page.you", language),
              "operator": message.author_name or translate("support.sender.operator", language),
              "ai": translate("support.sender.ai", language),
              "system": translate("support.sender.system", language)}.get(message.sender, "")
    return {"id": message.id, "sender": message.sender, "author": author, "text": message.text,
            "file_url": first.url if first else "", "file_name": first.filename if first else "",
            "file_image": "1" if first and first.is_image else "", "sources": "; ".join(dict.fromkeys(sources))}


class WidgetState(rx.State):
    organization_id: str = ""
    phase: str = "loading"  # loading | missing | form | chat
    lang: str = "en"
    embedded: bool = False
    # the organization's branding
    name: str = ""
    greeting: str = ""
    suggestions: list[str] = []
    color: str = "#0d9488"
    on_color: str = "#ffffff"
    logo_url: str = ""
    # the contact form
    form_note: str = ""
    name_error: str = ""
    email_error: str = ""
    form_error: str = ""
    # the chat
    messages: list[dict[str, str]] = []
    status: str = ""
    draft: str = ""
    chat_error: str = ""
    uploading: bool = False
    # the voice call (Vapi): only the public key and the assistant reach the page, never the private key
    voice_public_key: str = ""
    voice_assistant_id: str = ""
    voice_api_url: str = ""
    voice_phase: str = ""  # "" | connecting | in_call | recording | failed

    _token: str = ""  # the visitor's contact token (never sent to the page as state)
    _expired_token: str = ""  # an ended session's: the new one continues the same contact
    _locale_given: bool = False
    _facts: dict[str, Any] = {}
    _linked: bool = False
    _typing_at: float = 0.0
    _typing: bool = False
    _voice_tries: int = 0

    # --- loading ----------------------------------------------------------------------------

    @rx.event
    async def load(self):
        """The organization's widget from `?organizationId=`, then the browser's facts and token."""
        params = self.router.url.query_parameters
        organization_id, locale = str(params.get("organizationId") or "")[:200], str(params.get("locale") or "")
        self._locale_given = bool(locale)
        self.lang = normalize_language(locale) if locale else self.lang
        try:
            async with db.session() as session:  # the default greeting in the page's language, when it says one
                settings = await customization.public_settings(session, organization_id, self.lang if locale else None)
        except NotFound:
            self.phase = "missing"
            return None
        if organization_id != self.organization_id:  # another organization in this tab: start over
            self._token, self._expired_token, self._linked, self.messages, self.status = "", "", False, [], ""
        self.organization_id = organization_id
        self.name, self.greeting, self.suggestions = settings.organization_name, settings.greeting, settings.suggestions
        self.color, self.logo_url = settings.primary_color, settings.logo_url or ""
        self.on_color = readable_on(self.color)
        async with db.session() as session:
            offer = await voice.widget_voice(session, organization_id)
        self.voice_public_key = offer.public_key if offer else ""
        self.voice_assistant_id = offer.assistant_id if offer else ""
        self.voice_api_url = offer.api_url if offer else ""
        if not locale:
            self.lang = settings.locale
        self.phase = "chat" if self._token else "loading"
        return rx.call_script(BOOT_JS, callback=WidgetState.boot)

    @rx.event
    @browser_input
    async def boot(self, facts: dict) -> None:
        """What the browser said: its languages, time zone, referrer, and the token it holds."""
        if self.phase == "missing" or not self.organization_id:
            return
        self._facts = {k: facts.get(k) for k in sessions.CLIENT_METADATA if facts.get(k)}
        self.embedded = facts.get("embedded") is True
        if not self._locale_given and facts.get("languages"):
            language = sessions.visitor_language(str(facts.get("languages")), self.lang)
            if language != self.lang:
                self.lang = language
                await self._greet_in_language()
        token = facts.get("token")
        if isinstance(token, str) and token and token != self._token:
            self._token, self._linked = token, False
        if not self._token:
            self.phase = "form"
            return
        if await self._visitor() is not None:
            self.phase = "chat"
            await self._reload()

    async def _greet_in_language(self) -> None:
        """The default greeting again, in the visitor's language (an organization's own stays as written)."""
        try:
            async with db.session() as session:
                self.greeting = (await customization.public_settings(session, self.organization_id, self.lang)).greeting
        except NotFound:
            pass  # the organization is gone: the next load says so

    async def _visitor(self) -> Visitor | None:
        """The visitor this tab acts as, or None (the contact form shows again) when the token is
        unknown, of another organization, or its 24 h are over."""
        if not self._token:
            return None
        try:
            async with db.session() as session:
                found = await sessions.resolve(session, self._token)
        except ContactSessionExpired:
            found = None
            self._expired_token = self._token
            self.form_note = translate("widget.page.expired", self.lang)
        except ContactTokenInvalid:
            found = None
        if found is not None and found.organization_id == self.organization_id:
            return found
        self._token, self._linked, self.messages, self.status, self.phase = "", False, [], "", "form"
        return None

    async def _reload(self, current: Visitor | None = None) -> None:
        current = current or await self._visitor()
        if current is None:
            return
        if not self._linked:
            self._linked = await link_conversation_for_visitor(self, current) is not None
        async with db.session() as session:
            found = await visitor.messages(session, current)
        self.messages = [message_view(m, self.lang) for m in found.data]
        self.status = found.conversation.status if found.conversation else ""

    @rx.event
    async def refresh(self):
        """The conversation's feed moved: reload, then mark read (open) or tell the launcher (closed)."""
        if self.phase != "chat":
            return None
        await self._reload()
        return rx.call_script("window.livchatHidden === true", callback=WidgetState.unread)

    @rx.event
    async def unread(self, hidden: bool):
        current = await self._visitor()
        if current is None:
            return None
        async with db.session() as session:
            if hidden is not True:
                await visitor.mark_seen(session, current)
                return rx.call_script("window.LivChatWidget && LivChatWidget.unread(0)")
            found = await visitor.current(session, current)
        return rx.call_script(f"window.LivChatWidget && LivChatWidget.unread({found.unread_count if found else 0})")

    # --- the contact form -------------------------------------------------------------------

    @rx.event
    @browser_input
    async def start(self, form_data: dict):
        """The contact form: a 24 h contact session, its token kept by the bridge (and the loader)."""
        self.name_error = self.email_error = self.form_error = ""
        name, email = form_data.get("name"), form_data.get("email")
        for check, field in ((sessions.checked_name, "name_error"), (sessions.checked_email, "email_error")):
            try:
                check(name if field == "name_error" else email)
            except ServiceError as error:
                setattr(self, field, error_text(error.detail, self.lang))
        if self.name_error or self.email_error or self.phase != "form":
            return None
        ip = self.router.session.client_ip or None
        try:
            await limits.session_creation(ip)
            async with db.session() as session:
                created = await sessions.create_session(
                    session, self.organization_id, name, email, self._facts, ip=ip,
                    user_agent=self.router.headers.user_agent or None, previous_token=self._expired_token or None)
        except ServiceError as error:
            self.form_error = error_text(error.detail if not isinstance(error, RateLimited) else error.code, self.lang)
            return None
        self._token, self._expired_token, self._linked = created.token, "", False
        self.phase, self.form_note = "chat", ""
        await self._reload(created.visitor)
        return rx.call_script(f"window.LivChatWidget && LivChatWidget.session({json.dumps(created.token)})")

    # --- the chat ---------------------------------------------------------------------------

    async def _send(self, text: str) -> None:
        self.chat_error = ""
        current = await self._visitor()
        if current is None:
            return
        try:
            checked_text(text)
            await limits.message(current.contact_session_id, self.router.session.client_ip or None)
            async with db.session() as session:
                await visitor.send_message(session, current, text)
        except ServiceError as error:
            self.chat_error = error_text(error.detail if not isinstance(error, RateLimited) else error.code, self.lang)
            return
        self.draft, self._typing = "", False
        await self._reload(current)

    @rx.event
    @browser_input
    async def send(self, form_data: dict) -> None:
        await self._send(str(form_data.get("text") or self.draft))

    @rx.event
    @browser_input
    async def ask(self, question: str) -> None:
        """A suggested question, clicked: sent as the visitor's message (only the organization's own)."""
        if question in self.suggestions:
            await self._send(question)

    @rx.event
    @browser_input
    async def set_draft(self, value: str) -> None:
        """The message box; the operators see "typing" (renewed every few seconds, ended when it empties)."""
        self.draft = value[:MAX_DRAFT]
        typing = bool(self.draft.strip())
        now = time.monotonic()
        if typing == self._typing and (not typing or now - self._typing_at < TYPING_EVERY_S):
            return
        current = await self._visitor()
        if current is None:
            return
        self._typing, self._typing_at = typing, now
        try:
            await limits.signal(current.contact_session_id)
            async with db.session() as session:
                await visitor.set_typing(session, current, typing)
        except RateLimited:
            pass  # a typing signal is a courtesy: never an error for the visitor

    @rx.event
    async def attach(self, _value: str = ""):
        """A file was chosen: the browser sends it to POST /api/widget/attachments with the token."""
        if self.phase != "chat" or not self._token:
            return None
        self.chat_error, self.uploading = "", True
        return rx.call_script(f"livchatUpload({json.dumps(self._token)})", callback=WidgetState.attached)

    @rx.event
    @browser_input
    async def attached(self, result: dict) -> None:
        """The upload's answer: the API's error code shown in the visitor's language, or the new message."""
        self.uploading = False
        status, code = result.get("status"), str(result.get("code") or "")
        if status == 201:
            await self._reload()
        elif code or status:
            self.chat_error = error_text(code, self.lang) if code else translate("widget.page.upload_failed",
                                                                                 self.lang)

    # --- the voice call (Vapi) ---------------------------------------------------------------
    # The browser runs the call with @vapi-ai/web (PAGE_JS in pages/widget.py); this side only
    # hears the Vapi call id, claims it for the visitor, and records it once it ended.

    @rx.event
    async def voice_call(self):
        """"Call us": the browser starts a web call with the organization's public key and assistant."""
        if self.phase != "chat" or not self.voice_assistant_id or self.voice_phase in ("connecting", "in_call"):
            return None
        if await self._visitor() is None:
            return None
        self.voice_phase, self.chat_error, self._voice_tries = "connecting", "", 0
        arguments = ", ".join(json.dumps(v) for v in (self.voice_public_key, self.voice_assistant_id,
                                                      self.voice_api_url))
        return rx.call_script(f"livchatVoiceStart({arguments})", callback=WidgetState.voice_started)

    @rx.event
    @browser_input
    async def voice_started(self, call_id: str):
        """Vapi created the call (its id), or the call could not start ("")."""
        if self.voice_phase != "connecting":
            return None
        current = await self._visitor()
        if current is None or not call_id:
            self.voice_phase = "failed" if current is not None else ""
            return None
        try:
            async with db.session() as session:
                await voice_calls.claim(session, current, call_id)
        except ServiceError as error:
            log.warning("voice call not claimed", extra={"code": error.detail})
            self.voice_phase = "failed"
            return rx.call_script("window.livchatVoiceStop && livchatVoiceStop()")
        self.voice_phase = "in_call"
        return rx.call_script("livchatVoiceEnded()", callback=WidgetState.voice_ended)

    @rx.event
    @browser_input
    async def voice_ended(self, call_id: str):
        """The call is over: its record goes into the conversation once Vapi finished it (asked again
        a few seconds later while it has not, a bounded number of times)."""
        if self.voice_phase not in ("in_call", "recording") or not call_id:
            self.voice_phase = "" if self.voice_phase != "failed" else self.voice_phase
            return None
        current = await self._visitor()
        if current is None:
            self.voice_phase = ""
            return None
        try:
            async with db.session() as session:
                recorded = await voice_calls.record(session, current, call_id)
        except ServiceError as error:
            log.warning("voice call not recorded", extra={"code": error.detail})
            recorded = None
        if recorded is not None and not recorded.recorded and self._voice_tries < VOICE_RECORD_TRIES:
            self._voice_tries += 1
            self.voice_phase = "recording"
            return rx.call_script(f"new Promise((r) => setTimeout(() => r({json.dumps(call_id)}), "
                                  f"{VOICE_RECORD_EVERY_MS}))", callback=WidgetState.voice_ended)
        self.voice_phase = ""
        await self._reload(current)
        return None

    @rx.event
    async def voice_hang_up(self):
        return rx.call_script("window.livchatVoiceStop && livchatVoiceStop()")
