"""Typing indicators: never stored, throttled, cleared when not renewed, and only about one's own
conversation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from livchat.core.db import db
from livchat.services.errors import NotFound
from livchat.services.support import presence
from livchat.services.support.events import TypingChanged
from livchat.services.widget import visitor
from tests.support.desk_support import EventLog, make_org, make_visitor


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    presence.reset()
    yield
    presence.reset()


def test_throttle_sends_a_start_once_renewals_now_and_then_and_a_stop_at_once() -> None:
    due = presence._due
    assert due("c1", "contact", True, now=100.0)
    assert not due("c1", "contact", True, now=101.0)  # within the renewal period
    assert due("c1", "contact", True, now=100.0 + presence.RENEW_SECONDS)  # a renewal
    assert due("c1", "contact", False, now=104.0)  # a stop goes out at once
    assert not due("c1", "contact", False, now=105.0)
    assert not due("c2", "contact", False, now=105.0)  # nobody was typing: nothing to clear
    assert due("c1", "operator", True, now=105.0)  # each side on its own


async def test_visitor_and_operator_typing_reach_the_bus(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(presence, "TYPING_TTL_SECONDS", 0.2)  # the expiry, made short enough to wait for
    org, other = await make_org(), await make_org("Other")
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        assert not await visitor.set_typing(session, ana, True)  # no conversation yet: nothing to say
        posted = await visitor.send_message(session, ana, "Hi")
        with EventLog() as log:
            assert await visitor.set_typing(session, ana, True)
            assert not await visitor.set_typing(session, ana, True)
            assert await presence.operator_typing(session, org.operator, posted.conversation_id, True)
            assert await presence.operator_typing(session, org.operator, posted.conversation_id, False)
            with pytest.raises(NotFound):
                await presence.operator_typing(session, other.operator, posted.conversation_id, True)
            # The visitor never says "stopped" (a closed tab): the expiry does.
            await log.wait_for(TypingChanged, side="contact", typing=False)
    assert [(e.side, e.typing) for e in log.of(TypingChanged)] == [
        ("contact", True), ("operator", True), ("operator", False), ("contact", False)]
    assert all(e.conversation_id == posted.conversation_id and e.organization_id == org.id
               for e in log.of(TypingChanged))
