"""The inbox page's handlers as an operator's tab runs them: the list (filters, search, unread,
newest first), opening a conversation (read, contact panel, older pages), replying, status and
assignment, saved replies, j/k; and what a member of another organization cannot reach."""

from __future__ import annotations

from datetime import UTC, datetime

from livchat.core.db import db
from livchat.services.accounts import auth
from livchat.services.support import conversations, inbox
from livchat.services.widget import visitor
from livchat.state.inbox import InboxState, browser_name, error_key, local_time_in
from tests.accounts.accounts_support import event_text, run_handler, tab_with_cookie
from tests.support.desk_support import Org, make_org, make_visitor

ROUTE = "/dashboard/inbox"


async def member_cookie(org: Org) -> str:
    """The organization's operator (a member: members work the inbox), signed in in a browser of their own."""
    async with db.session() as session:
        _, token = await auth.create_session(session, org.operator.user_id or "")
        await session.commit()
    return f"{auth.SESSION_COOKIE}={token}"


async def visitor_writes(org: Org, text: str, *, name: str = "Ana Souza", email: str | None = None) -> str:
    who, _ = await make_visitor(org.id, name=name, email=email)
    async with db.session() as session:
        return (await visitor.send_message(session, who, text)).conversation_id


async def loaded_tab(org: Org) -> InboxState:
    tab = tab_with_cookie(InboxState, await member_cookie(org), ROUTE)
    await InboxState.load.fn(tab)
    return tab


async def test_the_list_filters_searches_and_counts_unread(database: str) -> None:
    org = await make_org()
    first = await visitor_writes(org, "Where is my order?", name="Ana Souza")
    second = await visitor_writes(org, "<script>alert(1)</script> refund please", name="Bruno Lima",
                                  email="bruno@shop.example")
    tab = await loaded_tab(org)
    assert [c["id"] for c in tab.conversations] == [second, first]  # newest first
    assert tab.conversations[0]["unread"] == "1" and tab.conversations[0]["channel"] == "widget"
    assert tab.conversations[0]["preview"].startswith("<script>")  # kept as text; the page shows it as text
    assert tab.unread_messages == 2

    await InboxState.search.fn(tab, {"query": "bruno@shop"})
    assert [c["id"] for c in tab.conversations] == [second]
    await InboxState.search.fn(tab, {"query": "order"})
    assert [c["id"] for c in tab.conversations] == [first]
    await InboxState.search.fn(tab, {"query": ""})

    await InboxState.set_status_filter.fn(tab, "resolved")
    assert tab.conversations == []
    await InboxState.set_status_filter.fn(tab, "nonsense")  # ignored
    assert tab.status_filter == "resolved"
    await InboxState.set_status_filter.fn(tab, "all")
    assert len(tab.conversations) == 2


async def test_opening_reads_it_shows_the_contact_and_actions_change_the_status(database: str) -> None:
    org = await make_org()
    conversation_id = await visitor_writes(org, "Hello?")
    tab = await loaded_tab(org)
    events = await run_handler(await InboxState.open.fn(tab, conversation_id))
    assert events  # then the tab follows the conversation's feed
    assert tab.selected == conversation_id and [m.sender for m in tab.messages][-1] == "contact"
    assert tab.contact["name"] == "Ana Souza" and tab.contact["time_zone"] == "America/Sao_Paulo"
    assert tab.contact["browser"] == "Chrome on Linux" and tab.contact["referrer"] == "https://shop.example/cart"
    assert tab.contact["local_time"] != ""
    async with db.session() as session:
        assert (await inbox.get_conversation(session, org.operator, conversation_id)).unread_count == 0

    await InboxState.send.fn(tab, {"text": "We are on it."})
    assert tab.error == "" and tab.messages[-1].sender == "operator" and tab.messages[-1].text == "We are on it."
    await InboxState.send.fn(tab, {"text": "   "})
    assert tab.error == "support.errors.message_empty"

    await InboxState.escalate.fn(tab)
    assert tab.conversation["status"] == "escalated"
    await InboxState.resolve.fn(tab)
    assert tab.conversation["status"] == "resolved"
    await InboxState.reopen.fn(tab)
    assert tab.conversation["status"] == "unresolved"
    await InboxState.assign_to_me.fn(tab)
    assert tab.conversation["mine"] == "yes" and tab.conversation["assignee"] == org.operator_name


async def test_the_handoff_emails_link_opens_its_conversation(database: str) -> None:
    org = await make_org()
    conversation_id = await visitor_writes(org, "I need a person")
    tab = tab_with_cookie(InboxState, await member_cookie(org), f"{ROUTE}?conversation={conversation_id}")
    events = await run_handler(await InboxState.load.fn(tab))
    assert conversation_id in repr(events)
    plain = tab_with_cookie(InboxState, await member_cookie(org), ROUTE)
    assert await run_handler(await InboxState.load.fn(plain)) == []


async def test_ai_answers_show_their_sources(database: str) -> None:
    org = await make_org()
    conversation_id = await visitor_writes(org, "How long do refunds take?")
    async with db.session() as session:
        await conversations.post_agent_message(session, org.id, conversation_id, "Within 7 business days.", sources=[
            {"fileId": "kf_1", "filename": "returns.pdf", "chunkId": "kf_1:3", "heading": "Returns > Refunds",
             "text": "Refunds are paid within 7 business days."}])
    tab = await loaded_tab(org)
    await InboxState.open.fn(tab, conversation_id)
    answer = next(m for m in tab.messages if m.sender == "ai")
    assert [(s.filename, s.heading, s.text) for s in answer.sources] == [
        ("returns.pdf", "Returns > Refunds", "Refunds are paid within 7 business days.")]


async def test_older_messages_load_on_request(database: str) -> None:
    org = await make_org()
    who, _ = await make_visitor(org.id)
    async with db.session() as session:
        for n in range(35):
            posted = await visitor.send_message(session, who, f"message {n}")
    tab = await loaded_tab(org)
    await InboxState.open.fn(tab, posted.conversation_id)
    shown = [m.text for m in tab.messages if m.sender == "contact"]
    assert shown[-1] == "message 34" and "message 0" not in shown and tab.older_cursor
    await InboxState.load_older.fn(tab)
    texts = [m.text for m in tab.messages if m.sender == "contact"]
    assert texts[0] == "message 0" and texts[-1] == "message 34" and tab.older_cursor == ""


async def test_j_and_k_move_through_the_list(database: str) -> None:
    org = await make_org()
    older = await visitor_writes(org, "one")
    newer = await visitor_writes(org, "two")
    tab = await loaded_tab(org)
    events = await run_handler(await InboxState.select_next.fn(tab))
    assert newer in repr(events)  # nothing open: the first of the list
    await InboxState.open.fn(tab, newer)
    events = await run_handler(await InboxState.select_next.fn(tab))
    assert older in repr(events)
    assert await run_handler(await InboxState.select_previous.fn(tab)) == []  # already the first


async def test_saved_replies_are_kept_and_inserted(database: str) -> None:
    org = await make_org()
    tab = await loaded_tab(org)
    await InboxState.create_saved_reply.fn(tab, {"shortcut": "ship", "text": "Orders ship in 2 days."})
    assert [r["shortcut"] for r in tab.saved] == ["ship"]
    await InboxState.create_saved_reply.fn(tab, {"shortcut": "ship", "text": "again"})
    assert tab.error == "support.errors.saved_reply_shortcut_taken"
    events = await run_handler(await InboxState.insert_saved_reply.fn(tab, tab.saved[0]["id"]))
    assert '"Orders ship in 2 days."' in event_text(events)
    await InboxState.delete_saved_reply.fn(tab, tab.saved[0]["id"])
    assert tab.saved == []


async def test_another_organizations_conversation_stays_out_of_reach(database: str) -> None:
    org, other = await make_org(), await make_org("Other")
    theirs = await visitor_writes(other, "private question")
    tab = await loaded_tab(org)
    assert await run_handler(await InboxState.open.fn(tab, theirs)) == []
    assert tab.selected == "" and tab.messages == [] and "private" not in repr(tab.conversations)
    await InboxState.resolve.fn(tab)  # nothing open: nothing happens
    async with db.session() as session:
        assert (await inbox.get_conversation(session, other.operator, theirs)).status == "unresolved"


def test_contact_details_read_for_people() -> None:
    ua = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
    assert browser_name(ua) == "Chrome on Android"
    assert browser_name("Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/133.0") == "Firefox on Windows"
    noon = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
    assert local_time_in("America/Sao_Paulo", noon) == "12:00"
    assert local_time_in("Not/AZone", noon) == "" and local_time_in("", noon) == ""


def test_errors_map_to_their_catalogue_keys() -> None:
    from livchat.services.errors import InvalidInput, PermissionDenied

    assert error_key(InvalidInput("message_empty")) == "support.errors.message_empty"
    assert error_key(InvalidInput("invalid_color")) == "widget.errors.invalid_color"
    assert error_key(PermissionDenied("insufficient_role")) == "accounts.errors.insufficient_role"
