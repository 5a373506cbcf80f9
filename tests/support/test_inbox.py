"""What operators read, on SQLite and PostgreSQL: the list (filters, search, newest activity
first, cursor pages), a conversation's messages (newest page first, older ones on scroll),
unread counts, marking read, and the contact panel with past conversations."""

from __future__ import annotations

import pytest

from livchat.core.db import db
from livchat.services.errors import InvalidInput
from livchat.services.support import conversations, inbox
from livchat.services.support.events import ConversationRead
from livchat.services.widget import sessions, visitor
from tests.support.desk_support import EventLog, make_org, make_visitor


async def _conversation(org_id: str, text: str, **who: str) -> str:
    ana, _ = await make_visitor(org_id, **who)
    async with db.session() as session:
        return (await visitor.send_message(session, ana, text)).conversation_id


async def test_newest_activity_first_in_cursor_pages(database: str) -> None:
    org = await make_org()
    ids = [await _conversation(org.id, f"question {n}") for n in range(5)]
    async with db.session() as session:
        await conversations.reply(session, org.operator, ids[1], "activity moves it to the top")
        pages, cursor = [], None
        while True:
            page = await inbox.list_conversations(session, org.operator, limit=2, cursor=cursor)
            pages.append([c.id for c in page.data])
            cursor = page.next_cursor
            if cursor is None:
                break
        with pytest.raises(InvalidInput, match="invalid_cursor"):
            await inbox.list_conversations(session, org.operator, cursor="forged")
    assert pages == [[ids[1], ids[4]], [ids[3], ids[2]], [ids[0]]]


async def test_filters_by_status_channel_and_unread(database: str) -> None:
    org = await make_org()
    open_one, escalated, resolved = (await _conversation(org.id, "a"), await _conversation(org.id, "b"),
                                     await _conversation(org.id, "c"))
    async with db.session() as session:
        await conversations.escalate(session, org.operator, escalated)
        await conversations.resolve(session, org.operator, resolved)
        await inbox.mark_read(session, org.operator, open_one)

        async def ids(**filters: object) -> set[str]:
            return {c.id for c in (await inbox.list_conversations(session, org.operator, **filters)).data}

        assert await ids(status="escalated") == {escalated}
        assert await ids(status="resolved") == {resolved}
        assert await ids(status="unresolved") == {open_one}
        assert await ids(channel="widget") == {open_one, escalated, resolved}
        assert await ids(channel="whatsapp") == set()
        assert await ids(unread=True) == {escalated, resolved}
        for bad in ({"status": "closed"}, {"channel": "email"}, {"assigned": "someone"}):
            with pytest.raises(InvalidInput):
                await ids(**bad)


async def test_search_matches_contact_name_email_and_message_text(database: str) -> None:
    org, other = await make_org(), await make_org("Other")
    by_name = await _conversation(org.id, "hello", name="Zélia Quintana")
    by_email = await _conversation(org.id, "hello", email="orders@acme-buyer.example")
    by_text = await _conversation(org.id, "My parcel 100% arrived broken")
    await _conversation(org.id, "nothing to see")
    await _conversation(other.id, "My parcel is late", name="Zélia Quintana")
    async with db.session() as session:
        async def found(query: str) -> set[str]:
            return {c.id for c in (await inbox.list_conversations(session, org.operator, query=query)).data}

        assert await found("quintana") == {by_name}
        assert await found("ACME-BUYER") == {by_email}
        assert await found("parcel") == {by_text}
        assert await found("100%") == {by_text}
        assert await found("%") == {by_text}  # a literal percent sign, not "anything"
        assert await found("_") == set()  # a literal underscore
        assert await found("  ") == await found("")  # blank: no search
        assert await found("a\x00b" + "x" * 1000) == set()


async def test_messages_come_newest_page_first_and_older_ones_on_scroll(database: str) -> None:
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    async with db.session() as session:
        posted = await visitor.send_message(session, ana, "m0")
        for n in range(1, 7):
            await visitor.send_message(session, ana, f"m{n}")
        newest = await inbox.list_messages(session, org.operator, posted.conversation_id, limit=3)
        older = await inbox.list_messages(session, org.operator, posted.conversation_id, limit=3,
                                          cursor=newest.next_cursor)
        oldest = await inbox.list_messages(session, org.operator, posted.conversation_id, limit=3,
                                           cursor=older.next_cursor)
    assert [m.text for m in newest.data] == ["m4", "m5", "m6"]
    assert [m.text for m in older.data] == ["m1", "m2", "m3"]
    assert [m.text for m in oldest.data] == ["m0"] and oldest.next_cursor is None


async def test_unread_counts_and_marking_read(database: str) -> None:
    org = await make_org()
    ana, _ = await make_visitor(org.id)
    bia, _ = await make_visitor(org.id, name="Bia")
    async with db.session() as session:
        first = await visitor.send_message(session, ana, "1")
        await visitor.send_message(session, ana, "2")
        await visitor.send_message(session, bia, "3")
        assert (await inbox.unread_summary(session, org.operator)).wire() == {"conversations": 2, "messages": 3}
        with EventLog() as log:
            await inbox.mark_read(session, org.operator, first.conversation_id)
            await inbox.mark_read(session, org.operator, first.conversation_id)  # already read: no event
        assert (await inbox.unread_summary(session, org.operator)).wire() == {"conversations": 1, "messages": 1}
        assert (await inbox.get_conversation(session, org.operator, first.conversation_id)).unread_count == 0
    assert [(e.conversation_id, e.side) for e in log.of(ConversationRead)] == [(first.conversation_id, "operator")]


async def test_the_contact_panel_shows_the_browser_and_the_same_browsers_past_conversations(database: str) -> None:
    org = await make_org()
    ana, token = await make_visitor(org.id, name="Ana", email="ana@example.com")
    async with db.session() as session:
        earlier = await visitor.send_message(session, ana, "first visit")
        # The next day: the loader hands over the expired token, and the new session continues the contact.
        again = await sessions.create_session(session, org.id, "Ana S.", "ana@example.com", {"language": "pt-BR"},
                                              ip="198.51.100.1", user_agent="Firefox", previous_token=token)
        later = await visitor.send_message(session, again.visitor, "second visit")
        # Someone else typing Ana's email is another contact: they link to nothing of hers.
        impostor = await sessions.create_session(session, org.id, "Mallory", "ana@example.com", {})
        theirs = await visitor.send_message(session, impostor.visitor, "show me her orders")
        panel = await inbox.contact_panel(session, org.operator, later.conversation_id)
        impostor_panel = await inbox.contact_panel(session, org.operator, theirs.conversation_id)
        impostor_sees = await visitor.messages(session, impostor.visitor)
    assert again.visitor.contact_id == ana.contact_id and impostor.visitor.contact_id != ana.contact_id
    assert panel.contact.name == "Ana S." and panel.contact.metadata["userAgent"] == "Firefox"
    assert panel.contact.metadata["ip"] == "198.51.100.1" and panel.contact.metadata["language"] == "pt-BR"
    assert [p.id for p in panel.past_conversations] == [earlier.conversation_id]
    assert impostor_panel.past_conversations == []
    assert [m.text for m in impostor_sees.data] == ["show me her orders"]
