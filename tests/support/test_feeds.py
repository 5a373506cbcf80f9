"""The support feeds (state/support_feeds.py) as the served app runs them: services publish on
the bus after their commit, and the inbox feed of the organization and the conversation's feed
move (their delivery to linked tabs is Reflex's own; tokens keep organizations apart)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import reflex as rx

from livchat.core.db import db
from livchat.livchat import app
from livchat.services.errors import NotFound
from livchat.services.support import conversations, presence
from livchat.services.widget import visitor
from livchat.state import support_feeds
from livchat.state.support_feeds import (
    ConversationFeed,
    InboxFeed,
    conversation_token,
    inbox_token,
    link_conversation_for_operator,
)
from tests.support.desk_support import make_org, make_visitor


@pytest.fixture
async def feeds() -> AsyncIterator[None]:
    support_feeds.install(app)
    presence.reset()
    yield
    support_feeds.uninstall()


async def _feed(cls: type[rx.State], token: str) -> rx.State:
    root = await app.state_manager.get_state(rx.BaseStateToken(ident=token, cls=cls))
    return await root.get_state(cls)


def test_tokens_have_no_underscore_and_keep_rows_apart() -> None:
    assert inbox_token("org_01ABC") == "inbox-org01abc" and conversation_token("conv_01ABC") == "conv-conv01abc"
    assert "_" not in inbox_token("org_a_b") and inbox_token("org_01abd") != inbox_token("org_01abc")


async def test_messages_statuses_and_typing_move_the_feeds(database: str, feeds: None) -> None:
    org, other = await make_org(), await make_org("Other")
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hi")
        inbox = await _feed(InboxFeed, inbox_token(org.id))
        conversation = await _feed(ConversationFeed, conversation_token(posted.conversation_id))
        assert (inbox.version, inbox.last_conversation, inbox.last_kind) == (2, posted.conversation_id, "message")
        assert (conversation.version, conversation.last_message) == (1, posted.message_id)

        await visitor.set_typing(session, ana, True)
        assert (await _feed(ConversationFeed, conversation_token(posted.conversation_id))).contact_typing
        reply = await conversations.reply(session, org.operator, posted.conversation_id, "Hello")
        await conversations.resolve(session, org.operator, posted.conversation_id)
        conversation = await _feed(ConversationFeed, conversation_token(posted.conversation_id))
        assert (conversation.version, conversation.last_message, conversation.status) == (3, reply.id, "resolved")
        inbox = await _feed(InboxFeed, inbox_token(org.id))
        assert (inbox.version, inbox.last_kind) == (4, "status")
        assert (await _feed(InboxFeed, inbox_token(other.id))).version == 0
        await visitor.send_message(session, ana, "typing ends with a message")
        assert not (await _feed(ConversationFeed, conversation_token(posted.conversation_id))).contact_typing


async def test_an_operator_links_only_a_conversation_of_their_organization(database: str) -> None:
    org, other = await make_org(), await make_org("Other")
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hi")
    with pytest.raises(NotFound):  # refused before the tab's state is touched
        await link_conversation_for_operator(None, other.operator, posted.conversation_id)  # type: ignore[arg-type]
