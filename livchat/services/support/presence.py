"""Typing indicators: ephemeral, never stored. A keystroke becomes at most one `TypingChanged`
every few seconds per conversation and side (a change from typing to not typing always goes
out at once); whoever shows it treats "typing" as stale after TYPING_TTL_SECONDS without a
renewal, so a closed tab does not leave the indicator on.

Throttling is per process (with several workers a renewal may go out once per worker, which
is harmless); the publish itself reaches every worker's clients through the feeds.
"""

from __future__ import annotations

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


async def publish_typing(organization_id: str, conversation_id: str, contact_session_id: str | None, side: str,
                         typing: bool) -> bool:
    """Publish unless throttled; True when it went out. Callers check who may say this."""
    if not _due(conversation_id, side, typing):
        return False
    await bus.publish(TypingChanged(organization_id=organization_id, conversation_id=conversation_id,
                                    contact_session_id=contact_session_id, side=side, typing=typing))
    return True


async def operator_typing(session: AsyncSession, actor: Actor, conversation_id: str, typing: bool) -> bool:
    """An operator is (or stopped) writing a reply in this conversation."""
    actor.require("work_inbox")
    conversation = await inbox.get_conversation(session, actor, conversation_id)  # NotFound if not theirs
    return await publish_typing(actor.organization_id, conversation.id, None, "operator", bool(typing))
