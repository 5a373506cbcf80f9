"""Conversations on SQLite and PostgreSQL: opened by the first contact message, reopened by a new
one, operator replies with their author, statuses and assignment, text rules, message ids that
only grow, and every event published after its commit."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import col, select

from livchat.core.db import db
from livchat.core.ids import later_id, new_id
from livchat.models import Conversation, ConversationMessage
from livchat.services.actors import Actor
from livchat.services.errors import InvalidInput, NotFound, PermissionDenied
from livchat.services.support import conversations, inbox
from livchat.services.support.events import (
    ContactMessageReceived,
    ConversationAssigned,
    ConversationOpened,
    ConversationStatusChanged,
    MessageAdded,
    OperatorReplied,
)
from livchat.services.widget import visitor
from tests.support.desk_support import EventLog, make_org, make_visitor


async def test_the_first_message_opens_a_conversation_and_the_next_ones_join_it(database: str) -> None:
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    with EventLog() as log:
        async with db.session() as session:
            first = await visitor.send_message(session, ana, "Where is my order?")
            second = await visitor.send_message(session, ana, "It was due yesterday")
    assert first.conversation_id == second.conversation_id
    async with db.session() as session:
        row = await session.get(Conversation, first.conversation_id)
    assert row is not None and row.status == "unresolved" and row.channel == "widget"
    assert row.unread_count == 2 and row.contact_unread_count == 0
    assert row.last_message_preview == "It was due yesterday" and row.last_message_sender == "contact"
    assert row.contact_id == ana.contact_id and row.contact_session_id == ana.contact_session_id
    assert [e.conversation_id for e in log.of(ConversationOpened)] == [first.conversation_id]
    received = log.of(ContactMessageReceived)
    assert [(e.message_id, e.first, e.language) for e in received] == [(first.message_id, True, "en"),
                                                                       (second.message_id, False, "en")]
    assert all(e.organization_id == org.id and e.contact_session_id == ana.contact_session_id for e in received)


async def test_a_new_message_reopens_a_resolved_conversation(database: str) -> None:
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hello")
        resolved = await conversations.resolve(session, org.operator, posted.conversation_id)
        assert resolved.status == "resolved" and resolved.resolved_at is not None
        with EventLog() as log:
            again = await visitor.send_message(session, ana, "One more thing")
        current = await inbox.get_conversation(session, org.operator, posted.conversation_id)
    assert again.conversation_id == posted.conversation_id
    assert current.status == "unresolved" and current.resolved_at is None
    changed = log.of(ConversationStatusChanged)
    assert [(e.previous, e.status, e.by) for e in changed] == [("resolved", "unresolved", "contact")]
    assert log.of(ContactMessageReceived)[0].reopened and not log.of(ContactMessageReceived)[0].first


async def test_operator_replies_carry_their_author_and_api_replies_show_as_api(database: str) -> None:
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hi")
        with EventLog() as log:
            by_operator = await conversations.reply(session, org.operator, posted.conversation_id, "Hello Ana")
            by_api = await conversations.reply(session, org.api, posted.conversation_id, "Sent by our system")
        seen = await visitor.messages(session, ana)
        row = await session.get(Conversation, posted.conversation_id)
    assert (by_operator.sender, by_operator.author_name) == ("operator", org.operator_name)
    assert (by_api.sender, by_api.author_name) == ("operator", "API")
    assert [(m.sender, m.author_name) for m in seen.data] == [("contact", None), ("operator", org.operator_name),
                                                              ("operator", "API")]
    assert row is not None and row.unread_count == 0 and row.contact_unread_count == 2
    replied = log.of(OperatorReplied)
    assert [(e.author_user_id, e.author_api_key_id) for e in replied] == [(org.operator.user_id, None),
                                                                          (None, org.api.api_key_id)]


async def test_a_visitor_sees_an_operator_by_name_never_by_email(database: str) -> None:
    org = await make_org()
    nameless = Actor.for_member(org.id, org.owner.user_id or "", org.owner.role)
    async with db.session() as session:
        from livchat.models import User

        owner = await session.get(User, org.owner.user_id)
        assert owner is not None
        owner.name = ""
        session.add(owner)
        await session.commit()
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hi")
        out = await conversations.reply(session, nameless, posted.conversation_id, "Hello")
        seen = await visitor.messages(session, ana)
    assert out.author_name == owner.email  # operators may see a colleague's email
    assert seen.data[-1].author_name is None and owner.email not in seen.model_dump_json()


async def test_status_changes_are_idempotent_and_say_who_made_them(database: str) -> None:
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hi")
        with EventLog() as log:
            escalated = await conversations.escalate(session, org.operator, posted.conversation_id)
            await conversations.escalate(session, org.operator, posted.conversation_id)
            await conversations.resolve(session, org.api, posted.conversation_id)
            reopened = await conversations.reopen(session, org.operator, posted.conversation_id)
    assert escalated.status == "escalated" and escalated.escalated_at is not None
    assert reopened.status == "unresolved"
    assert [(e.previous, e.status, e.by) for e in log.of(ConversationStatusChanged)] == [
        ("unresolved", "escalated", "operator"), ("escalated", "resolved", "operator"),
        ("resolved", "unresolved", "operator")]
    async with db.session() as session:
        with pytest.raises(InvalidInput, match="invalid_status"):
            await conversations.set_status(session, org.operator, posted.conversation_id, "closed")


async def test_assign_to_me_and_unassign(database: str) -> None:
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hi")
        with EventLog() as log:
            mine = await conversations.assign_to_me(session, org.operator, posted.conversation_id)
            await conversations.assign_to_me(session, org.operator, posted.conversation_id)  # no change, no event
            with pytest.raises(InvalidInput, match="assignee_required"):
                await conversations.assign_to_me(session, org.api, posted.conversation_id)
            page = await inbox.list_conversations(session, org.operator, assigned="me")
            others = await inbox.list_conversations(session, org.owner, assigned="me")
            none = await conversations.unassign(session, org.owner, posted.conversation_id)
    assert (mine.assignee_user_id, mine.assignee_name) == (org.operator.user_id, org.operator_name)
    assert [c.id for c in page.data] == [posted.conversation_id] and others.data == []
    assert none.assignee_user_id is None
    assert [e.assignee_user_id for e in log.of(ConversationAssigned)] == [org.operator.user_id, None]


async def test_operator_actions_need_the_inbox_permission(database: str) -> None:
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    outsider = Actor(organization_id=org.id, role="guest")
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hi")
        for call in (conversations.reply(session, outsider, posted.conversation_id, "x"),
                     conversations.escalate(session, outsider, posted.conversation_id),
                     conversations.assign_to_me(session, outsider, posted.conversation_id),
                     inbox.get_conversation(session, outsider, posted.conversation_id)):
            with pytest.raises(PermissionDenied):
                await call


async def test_another_organizations_or_a_malformed_id_is_not_found(database: str) -> None:
    org, other = await make_org(), await make_org("Other")
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "Hi")
        for conversation_id in (posted.conversation_id, "conv_\x00" + "a" * 25, "x" * 100_000, new_id("conv")):
            for call in (conversations.reply(session, other.operator, conversation_id, "x"),
                         conversations.resolve(session, other.operator, conversation_id),
                         conversations.assign_to_me(session, other.operator, conversation_id),
                         inbox.get_conversation(session, other.operator, conversation_id),
                         inbox.list_messages(session, other.operator, conversation_id),
                         inbox.mark_read(session, other.operator, conversation_id),
                         inbox.contact_panel(session, other.operator, conversation_id)):
                with pytest.raises(NotFound):
                    await call
        row = await session.get(Conversation, posted.conversation_id)
    assert row is not None and row.status == "unresolved" and row.unread_count == 1


@pytest.mark.parametrize(("text", "code"), [
    ("", "message_empty"), ("   \n\t ", "message_empty"), ("a\x00b", "nul_character"),
    ("bad \ud800 half", "invalid_unicode"), ("x" * 5001, "message_too_long"), ("x" * 1_000_000, "message_too_long"),
    (12, "message_empty"),
])
async def test_bad_text_is_refused_before_anything_is_stored(database: str, text: object, code: str) -> None:
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        with pytest.raises(InvalidInput, match=code):
            await visitor.send_message(session, ana, text)  # type: ignore[arg-type]
        assert (await session.exec(select(Conversation).where(Conversation.organization_id == org.id))).all() == []


async def test_text_is_kept_as_plain_text(database: str) -> None:
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        await visitor.send_message(session, ana, "  <script>alert(1)</script>\r\nline two\x1b[31m\t!  ")
        seen = await visitor.messages(session, ana)
    assert seen.data[0].text == "<script>alert(1)</script>\nline two[31m\t!"


def test_later_id_sorts_after_the_previous_one_even_when_the_clock_is_behind() -> None:
    # Ids from the future (a clock that went back): the next one is the previous plus one.
    assert later_id("cmsg", "cmsg_7zzzzzzzzzzzzzzzzzzzzzzzzy") == "cmsg_7zzzzzzzzzzzzzzzzzzzzzzzzz"
    assert later_id("cmsg", "cmsg_7" + "0" * 22 + "0zz") == "cmsg_7" + "0" * 22 + "100"
    previous = None
    for _ in range(1000):  # many within one millisecond: each above the last
        current = later_id("cmsg", previous)
        assert previous is None or current > previous
        previous = current


async def test_a_poller_reading_after_the_last_id_misses_no_message_of_concurrent_writers(database: str) -> None:
    """Contact messages and operator replies race; a visitor polling `after=<last id seen>` must
    still see every one: ids are given under the conversation's lock, in commit order."""
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "start")

    async def contact(n: int) -> None:
        async with db.session() as session:
            await visitor.send_message(session, ana, f"contact {n}")

    async def operator(n: int) -> None:
        async with db.session() as session:
            await conversations.reply(session, org.operator, posted.conversation_id, f"operator {n}")

    seen: list[str] = [posted.message_id]
    writers = asyncio.gather(*(contact(n) for n in range(8)), *(operator(n) for n in range(8)))

    async def poll() -> None:
        async with db.session() as session:
            page = await visitor.messages(session, ana, after=seen[-1])
        seen.extend(m.id for m in page.data)

    while not writers.done():
        await poll()
        await asyncio.sleep(0)  # let the writers run between polls
    await writers
    await poll()
    async with db.session() as session:
        every = list((await session.exec(select(ConversationMessage.id).where(
            ConversationMessage.conversation_id == posted.conversation_id)
            .order_by(col(ConversationMessage.id)))).all())
    assert len(every) == 17 and seen == every


async def test_events_are_published_after_the_commit(database: str) -> None:
    """A subscriber reading the database in its own session finds what the event announces."""
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    found: list[tuple[str, bool]] = []

    async def check(event: MessageAdded) -> None:
        async with db.session() as session:
            found.append((event.sender, await session.get(ConversationMessage, event.message_id) is not None))

    from livchat.core.events import bus

    unsubscribe = bus.subscribe(MessageAdded, check)
    try:
        async with db.session() as session:
            posted = await visitor.send_message(session, ana, "Hi")
            await conversations.reply(session, org.operator, posted.conversation_id, "Hello")
            await conversations.post_system_message(session, org.id, posted.conversation_id, "Note")
            await conversations.post_agent_message(session, org.id, posted.conversation_id, "Answer",
                                                   [{"fileId": "kf_1", "filename": "faq.pdf", "text": "passage"}])
            with pytest.raises(InvalidInput):
                await visitor.send_message(session, ana, "\x00")  # refused: nothing published
            seen = await visitor.messages(session, ana)
    finally:
        unsubscribe()
    assert found == [("contact", True), ("operator", True), ("system", True), ("ai", True)]
    assert seen.data[-1].sources is not None and seen.data[-1].sources[0].filename == "faq.pdf"
