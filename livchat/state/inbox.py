"""Dashboard → Inbox: the conversation list, one open conversation, the reply box, saved replies
and the contact panel. Thin: every read and change is a service call (services/support/) with
the tab's member as the `Actor`; the feeds (state/support_feeds.py) say when to read again.

What the tab holds is bounded: one page of conversations, the open conversation's loaded
messages (newest page first, older pages on request), the saved replies' shortcuts and texts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import reflex as rx

from livchat.core.db import db
from livchat.i18n import EN
from livchat.services.errors import NotFound, ServiceError
from livchat.services.support import conversations, inbox, presence, saved_replies
from livchat.services.support.schemas import ConversationMessageOut, ConversationOut
from livchat.state.auth import AuthContext, authorized, current_context
from livchat.state.support_feeds import link_conversation_for_operator
from livchat.state.times import when

STATUS_FILTERS = ("unresolved", "escalated", "resolved", "all")
LIST_LIMIT = 50
MESSAGES_PAGE = 30
ERROR_DOMAINS = ("support", "widget", "accounts")


def error_key(exc: ServiceError) -> str:
    """The catalogue key of a service error: its code under the support, widget or accounts
    errors (a refused role is `accounts.errors.insufficient_role`)."""
    for code in (exc.detail, exc.code):
        for domain in ERROR_DOMAINS:
            if f"{domain}.errors.{code}" in EN:
                return f"{domain}.errors.{code}"
    return "accounts.errors.unexpected"


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("Linux", "Linux"))


def browser_name(user_agent: str) -> str:
    """"Chrome on Android" from a user agent (the raw string when nothing is recognised)."""
    name = next((label for token, label in _BROWSERS if token in user_agent), "")
    system = next((label for token, label in _SYSTEMS if token in user_agent), "")
    if not name:
        return user_agent[:120]
    return f"{name} on {system}" if system else name


def local_time_in(zone: str, now: datetime | None = None) -> str:
    """The time now in the contact's zone ("14:05"); "" for a zone we do not know."""
    try:
        tz = ZoneInfo(zone) if zone else None
    except (ZoneInfoNotFoundError, ValueError):
        tz = None
    if tz is None:
        return ""
    return (now.astimezone(tz) if now else datetime.now(tz)).strftime("%H:%M")


@dataclass
class AttachmentRow:
    filename: str = ""
    url: str = ""
    is_image: bool = False


@dataclass
class SourceRow:
    filename: str = ""
    heading: str = ""
    text: str = ""


@dataclass
class MessageRow:
    id: str = ""
    sender: str = ""
    text: str = ""
    author: str = ""
    created: str = ""
    attachments: list[AttachmentRow] = field(default_factory=list)
    sources: list[SourceRow] = field(default_factory=list)


def message_row(m: ConversationMessageOut) -> MessageRow:
    return MessageRow(
        id=m.id, sender=m.sender, text=m.text, author=m.author_name or "", created=when(m.created_at),
        attachments=[AttachmentRow(filename=a.filename, url=a.url, is_image=a.is_image) for a in m.attachments],
        sources=[SourceRow(filename=s.filename or "", heading=s.heading or "", text=s.text) for s in m.sources or []])


def conversation_row(c: ConversationOut) -> dict[str, str]:
    return {"id": c.id, "name": c.contact.name or c.contact.email or c.contact.phone or "—",
            "email": c.contact.email, "channel": c.channel, "status": c.status,
            "preview": c.last_message_preview, "last_at": when(c.last_message_at),
            "unread": str(c.unread_count), "assignee": c.assignee_name or ""}


class InboxState(rx.State):
    status_filter: str = "all"  # the AI agent escalates quickly: "unresolved" alone would hide those
    query: str = ""
    conversations: list[dict[str, str]] = []
    unread_messages: int = 0
    selected: str = ""
    conversation: dict[str, str] = {}
    messages: list[MessageRow] = []
    older_cursor: str = ""
    contact: dict[str, str] = {}
    past: list[dict[str, str]] = []
    saved: list[dict[str, str]] = []
    error: str = ""

    # --- reading ----------------------------------------------------------------------------------

    async def _reload_list(self, ctx: AuthContext) -> None:
        status = None if self.status_filter == "all" else self.status_filter
        async with db.session() as session:
            page = await inbox.list_conversations(session, ctx.actor, status=status, query=self.query or None,
                                                  limit=LIST_LIMIT)
            summary = await inbox.unread_summary(session, ctx.actor)
        self.conversations = [conversation_row(c) for c in page.data]
        self.unread_messages = summary.messages

    async def _reload_saved(self, ctx: AuthContext) -> None:
        async with db.session() as session:
            found = await saved_replies.list_saved_replies(session, ctx.actor)
        self.saved = [{"id": r.id, "shortcut": r.shortcut, "text": r.text} for r in found.data]

    async def _show(self, ctx: AuthContext, conversation_id: str) -> None:
        """Read one conversation (NotFound for another organization's), its newest messages and
        its contact, and mark it read."""
        async with db.session() as session:
            conversation = await inbox.get_conversation(session, ctx.actor, conversation_id)
            page = await inbox.list_messages(session, ctx.actor, conversation.id, limit=MESSAGES_PAGE, links="signed")
            panel = await inbox.contact_panel(session, ctx.actor, conversation.id)
            if conversation.unread_count:
                await inbox.mark_read(session, ctx.actor, conversation.id)
        meta = panel.contact.metadata
        self.selected = conversation.id
        self.conversation = {**conversation_row(conversation), "assignee_id": conversation.assignee_user_id or "",
                             "mine": "yes" if conversation.assignee_user_id == ctx.user.id else ""}
        self.messages = [message_row(m) for m in page.data]
        self.older_cursor = page.next_cursor or ""
        zone = str(meta.get("timeZone") or "")
        self.contact = {"name": panel.contact.name, "email": panel.contact.email, "phone": panel.contact.phone or "",
                        "browser": browser_name(str(meta.get("userAgent") or "")),
                        "language": str(meta.get("language") or conversation.language), "time_zone": zone,
                        "local_time": local_time_in(zone), "referrer": str(meta.get("referrer") or "")}
        self.past = [{"id": p.id, "status": p.status, "preview": p.last_message_preview,
                      "last_at": when(p.last_message_at)} for p in panel.past_conversations]

    @rx.event
    @authorized
    async def load(self):  # type: ignore[no-untyped-def]
        """The page opened; `?conversation=<id>` (the handoff email's link) opens that one."""
        ctx = await current_context(self)
        self.error, self.selected, self.conversation, self.messages = "", "", {}, []
        await self._reload_list(ctx)
        await self._reload_saved(ctx)
        wanted = str(self.router.url.query_parameters.get("conversation") or "")
        return InboxState.open(wanted) if wanted else None

    @rx.event
    @authorized
    async def refresh(self) -> None:
        """The inbox feed moved: a message, a status, an assignment or a read somewhere."""
        await self._reload_list(await current_context(self))

    @rx.event
    @authorized
    async def set_status_filter(self, status: str) -> None:
        if status not in STATUS_FILTERS:
            return
        self.status_filter = status
        await self._reload_list(await current_context(self))

    @rx.event
    @authorized
    async def search(self, form_data: dict) -> None:  # type: ignore[type-arg]
        self.query = " ".join(str(form_data.get("query") or "").split())[:inbox.MAX_SEARCH_LENGTH]
        await self._reload_list(await current_context(self))

    @rx.event
    @authorized
    async def open(self, conversation_id: str):  # type: ignore[no-untyped-def]
        ctx = await current_context(self)
        self.error = ""
        try:
            await self._show(ctx, str(conversation_id))
        except NotFound:
            self.selected, self.conversation, self.messages = "", {}, []
            return None
        except ServiceError as exc:
            self.error = error_key(exc)
            return None
        return InboxState.watch_conversation

    @rx.event
    @authorized
    async def watch_conversation(self) -> None:
        """Follow the open conversation live (its feed: new messages, status, typing, the AI's
        draft). A separate event: linking needs the live event context of the tab."""
        if not self.selected:
            return
        ctx = await current_context(self)
        try:
            await link_conversation_for_operator(self, ctx.actor, self.selected)
        except NotFound:
            self.selected = ""

    @rx.event
    @authorized
    async def refresh_conversation(self) -> None:
        """The open conversation's feed moved: read it again (keeping the older pages shown)."""
        if not self.selected:
            return
        ctx = await current_context(self)
        shown = len(self.messages)
        try:
            await self._show(ctx, self.selected)
        except NotFound:
            self.selected = ""
            return
        if shown > len(self.messages):  # older messages were loaded: load them again, in one read
            async with db.session() as session:
                page = await inbox.list_messages(session, ctx.actor, self.selected, limit=min(shown + 5, 500),
                                                 links="signed")
            self.messages = [message_row(m) for m in page.data]
            self.older_cursor = page.next_cursor or ""

    @rx.event
    @authorized
    async def load_older(self) -> None:
        if not self.selected or not self.older_cursor:
            return
        ctx = await current_context(self)
        async with db.session() as session:
            page = await inbox.list_messages(session, ctx.actor, self.selected, limit=MESSAGES_PAGE,
                                             cursor=self.older_cursor, links="signed")
        self.messages = [message_row(m) for m in page.data] + self.messages
        self.older_cursor = page.next_cursor or ""

    def _neighbour(self, step: int) -> str:
        ids = [c["id"] for c in self.conversations]
        if not ids:
            return ""
        if self.selected not in ids:
            return ids[0]
        return ids[max(0, min(len(ids) - 1, ids.index(self.selected) + step))]

    @rx.event
    @authorized
    async def select_next(self):  # type: ignore[no-untyped-def]
        """`j`: the next conversation down the list."""
        target = self._neighbour(1)
        return InboxState.open(target) if target and target != self.selected else None

    @rx.event
    @authorized
    async def select_previous(self):  # type: ignore[no-untyped-def]
        """`k`: the conversation above."""
        target = self._neighbour(-1)
        return InboxState.open(target) if target and target != self.selected else None

    @rx.event
    def back(self) -> None:
        """Phones: from the conversation back to the list."""
        self.selected = ""

    # --- acting -----------------------------------------------------------------------------------

    async def _act(self, action: Any) -> None:
        """Run an operator action on the open conversation, then show it again."""
        if not self.selected:
            return
        ctx = await current_context(self)
        self.error = ""
        try:
            async with db.session() as session:
                await action(session, ctx.actor, self.selected)
            await self._show(ctx, self.selected)
        except ServiceError as exc:
            self.error = error_key(exc)
        await self._reload_list(ctx)

    @rx.event
    @authorized
    async def escalate(self) -> None:
        await self._act(conversations.escalate)

    @rx.event
    @authorized
    async def resolve(self) -> None:
        await self._act(conversations.resolve)

    @rx.event
    @authorized
    async def reopen(self) -> None:
        await self._act(conversations.reopen)

    @rx.event
    @authorized
    async def assign_to_me(self) -> None:
        await self._act(conversations.assign_to_me)

    @rx.event
    @authorized
    async def send(self, form_data: dict) -> None:  # type: ignore[type-arg]
        if not self.selected:
            return
        text = str(form_data.get("text") or "")

        async def reply(session: Any, actor: Any, conversation_id: str) -> None:
            await conversations.reply(session, actor, conversation_id, text, links="signed")

        await self._act(reply)

    @rx.event(throttle=2000)
    @authorized
    async def typing(self, value: str) -> None:
        """The operator is writing in the reply box (the visitor sees "typing"); at most one
        event every 2 s from the browser, and the service throttles again."""
        if not self.selected:
            return
        ctx = await current_context(self)
        try:
            async with db.session() as session:
                await presence.operator_typing(session, ctx.actor, self.selected, bool(str(value or "").strip()))
        except ServiceError as exc:
            self.error = error_key(exc)

    # --- saved replies ----------------------------------------------------------------------------

    @rx.event
    @authorized
    async def insert_saved_reply(self, saved_reply_id: str):  # type: ignore[no-untyped-def]
        """Put a saved reply's text at the cursor of the reply box (the operator may edit it)."""
        text = next((r["text"] for r in self.saved if r["id"] == saved_reply_id), None)
        if text is None:
            return None
        return rx.call_script(f"window.livchatInbox && window.livchatInbox.insert({json.dumps(text)})")

    @rx.event
    @authorized
    async def create_saved_reply(self, form_data: dict) -> None:  # type: ignore[type-arg]
        ctx = await current_context(self)
        self.error = ""
        try:
            async with db.session() as session:
                await saved_replies.create_saved_reply(session, ctx.actor, str(form_data.get("shortcut") or ""),
                                                       str(form_data.get("text") or ""))
        except ServiceError as exc:
            self.error = error_key(exc)
        await self._reload_saved(ctx)

    @rx.event
    @authorized
    async def delete_saved_reply(self, saved_reply_id: str) -> None:
        ctx = await current_context(self)
        self.error = ""
        try:
            async with db.session() as session:
                await saved_replies.delete_saved_reply(session, ctx.actor, str(saved_reply_id))
        except NotFound:
            pass  # another organization's, or already gone
        except ServiceError as exc:
            self.error = error_key(exc)
        await self._reload_saved(ctx)

