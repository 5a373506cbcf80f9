"""Saved replies on SQLite and PostgreSQL: kept per organization under unique shortcuts."""

from __future__ import annotations

import pytest

from livchat.core.db import db
from livchat.services.errors import Conflict, InvalidInput, NotFound
from livchat.services.support import saved_replies
from tests.support.desk_support import make_org


async def test_create_list_update_delete(database: str) -> None:
    org, other = await make_org(), await make_org("Other")
    async with db.session() as session:
        shipping = await saved_replies.create_saved_reply(session, org.operator, "/Shipping", "Ships in 2 days.")
        await saved_replies.create_saved_reply(session, org.owner, "refund", "Refunds take 5 days.")
        await saved_replies.create_saved_reply(session, other.owner, "shipping", "Theirs.")
        assert shipping.shortcut == "shipping"
        listed = await saved_replies.list_saved_replies(session, org.operator)
        assert [r.shortcut for r in listed.data] == ["refund", "shipping"]
        assert [r.shortcut for r in (await saved_replies.list_saved_replies(session, org.operator, "/sh")).data] == [
            "shipping"]
        assert (await saved_replies.list_saved_replies(session, org.operator, "%")).data == []
        changed = await saved_replies.update_saved_reply(session, org.operator, shipping.id, text="Ships tomorrow.")
        assert (changed.shortcut, changed.text) == ("shipping", "Ships tomorrow.")
        with pytest.raises(Conflict, match="saved_reply_shortcut_taken"):
            await saved_replies.create_saved_reply(session, org.operator, "refund", "again")
        with pytest.raises(Conflict, match="saved_reply_shortcut_taken"):
            await saved_replies.update_saved_reply(session, org.operator, shipping.id, shortcut="refund")
        for bad in ("", "has space", "x" * 41, "ção", None):
            with pytest.raises(InvalidInput, match="invalid_shortcut"):
                await saved_replies.create_saved_reply(session, org.operator, bad, "text")  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="message_empty"):
            await saved_replies.create_saved_reply(session, org.operator, "blank", "  ")
        for call in (saved_replies.get_saved_reply(session, other.operator, shipping.id),
                     saved_replies.update_saved_reply(session, other.operator, shipping.id, text="x"),
                     saved_replies.delete_saved_reply(session, other.operator, shipping.id),
                     saved_replies.get_saved_reply(session, org.operator, "srp_\x00")):
            with pytest.raises(NotFound):
                await call
        await saved_replies.delete_saved_reply(session, org.operator, shipping.id)
        assert [r.shortcut for r in (await saved_replies.list_saved_replies(session, org.operator)).data] == ["refund"]
        assert [r.text for r in (await saved_replies.list_saved_replies(session, other.operator)).data] == ["Theirs."]
