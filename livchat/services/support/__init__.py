"""The support desk: conversations, the operator inbox, attachments, saved replies, typing, and
the responder hook the AI agent plugs into. Reflex states and the REST routers call the same
functions; each takes an `AsyncSession` (`async with db.session() as session`) and, on the
operator side, an `Actor` (`Actor.for_member(org_id, user_id, role)` in the dashboard).

Operators (`work_inbox` to act, `read` to read):
- inbox.list_conversations(session, actor, status=, channel=, query=, assigned="me"|"unassigned",
  unread=, limit=25, cursor=) -> ConversationPage (newest activity first; `next_cursor`)
- inbox.get_conversation(session, actor, conversation_id) -> ConversationOut
- inbox.list_messages(session, actor, conversation_id, limit=50, cursor=, links="signed")
  -> ConversationMessagePage (oldest first; `next_cursor` loads older messages on scroll)
- inbox.mark_read / inbox.unread_summary(session, actor) -> UnreadSummary / inbox.contact_panel
- conversations.reply(session, actor, conversation_id, text, upload=None, links="signed")
- conversations.escalate / resolve / reopen / assign_to_me / unassign(session, actor, conversation_id)
- saved_replies.list_saved_replies(session, actor, prefix=) / create_ / update_ / delete_saved_reply
- presence.operator_typing(session, actor, conversation_id, typing)
- attachments.check(filename, data) -> CheckedUpload (before any upload is stored)

Pass `links="signed"` from the UI: attachment URLs are then signed links usable in `<img src>`.
Errors are ServiceError subclasses with a stable `code` (i18n `support.errors.<code>`).
Live updates: events.py on the bus; the Reflex feeds in livchat/state/support_feeds.py.
"""
