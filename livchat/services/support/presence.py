"""Typing indicators: ephemeral, never stored. A keystroke becomes at most one `TypingChanged`
every few seconds per conversation and side (a change from typing to not typing always goes
out at once); whoever shows it treats "typing" as stale after TYPING_TTL_SECONDS without a
renewal, so a closed tab does not leave the indicator on.

Throttling is per process (with several workers a renewal may go out once per worker, which
is harmless); the publish itself reaches every worker's clients through the feeds.
"""

from __future__ import annotations

import asyncio
import time

from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.events import bus
from livchat.services.actors import Actor
from livchat.services.support import inbox
from livchat.services.support.events import TypingChanged

RENEW_SECONDS = 3.0  # a "still typing" goes out at most this often
TYPING_TTL_SECONDS = 8.0  # shown for this long after the last renewal
_MAX_TRACKED = 10_000

# (conversation id, side) -> (typing, when it was last published on the monotonic clock)
_last: dict[tuple[str, str], tuple[bool, float]] = {}


def _due(conversation_id: str, side: str, typing: bool, now: float | None = None) -> bool:
    now = time.monotonic() if now is None else now
    key = (conversation_id, side)
    previous = _last.get(key)
    if previous is not None:
        was_typing, at = previous
        if was_typing == typing and (not typing or now - at < RENEW_SECONDS):
            return False
    elif not typing:
        return False  # nobody was shown typing: nothing to clear
    if len(_last) >= _MAX_TRACKED:
        _last.clear()  # bounded memory; the worst case is one extra publish each
    _last[key] = (typing, now)
    return True


def reset() -> None:
    _last.clear()
    for task in list(_expiries):
        task.cancel()


async def publish_typing(organization_id: str, conversation_id: str, contact_session_id: str | None, side: str,
                         typing: bool) -> bool:
    """Publish unless throttled; True when it went out. Callers check who may say this. A
    "typing" that is not renewed within TYPING_TTL_SECONDS is followed by a "stopped" (a tab
    closed mid-sentence must not leave the indicator on)."""
    if not _due(conversation_id, side, typing):
        return False
    event = TypingChanged(organization_id=organization_id, conversation_id=conversation_id,
                          contact_session_id=contact_session_id, side=side, typing=typing)
    await bus.publish(event)
    if typing:
        task = asyncio.create_task(_expire(event, _last[(conversation_id, side)][1]))
        _expiries.add(task)
        task.add_done_callback(_expiries.discard)
    return True


_expiries: set[asyncio.Task[None]] = set()


async def _expire(event: TypingChanged, published_at: float) -> None:
    await asyncio.sleep(TYPING_TTL_SECONDS)
    key = (event.conversation_id, event.side)
    if _last.get(key) == (True, published_at):  # no renewal and no stop since
        _last[key] = (False, time.monotonic())
        await bus.publish(TypingChanged(organization_id=event.organization_id, conversation_id=event.conversation_id,
                                        contact_session_id=event.contact_session_id, side=event.side, typing=False))


async def operator_typing(session: AsyncSession, actor: Actor, conversation_id: str, typing: bool) -> bool:
    """An operator is (or stopped) writing a reply in this conversation."""
    actor.require("work_inbox")
    conversation = await inbox.get_conversation(session, actor, conversation_id)  # NotFound if not theirs
    return await publish_typing(actor.organization_id, conversation.id, None, "operator", bool(typing))
