"""The Voice page's state: connect (the keys never kept in the tab), lists, the widget's assistant,
disconnect; a member only looks."""

from __future__ import annotations

import livchat.livchat  # noqa: F401  (every state registered in the main context)
from livchat.core.db import db
from livchat.models import Organization
from livchat.models.enums import Role
from livchat.services.accounts import auth, users
from livchat.state.voice import PRIVATE_FIELD, PUBLIC_FIELD, VoiceState
from tests.accounts.accounts_support import run_handler, tab_with_cookie
from tests.accounts.test_tenant_isolation import held_by
from tests.factories import PASSWORD, signed_in_owner
from tests.fakes.vapi_server import FakeVapi


async def _member_cookie(organization_id: str) -> str:
    async with db.session() as session:
        user = await users.create_user(session, "mel@example.com", PASSWORD)
        organization = await session.get(Organization, organization_id)
        await users.add_member(session, organization, user, Role.MEMBER)
        _, token = await auth.create_session(session, user.id)
        await session.commit()
    return f"{auth.SESSION_COOKIE}={token}"


async def test_an_owner_connects_chooses_and_disconnects_and_a_member_only_looks(database: str,
                                                                                  vapi_on: FakeVapi) -> None:
    org, cookie = await signed_in_owner("olga@example.com")
    account = vapi_on.account()
    tab = tab_with_cookie(VoiceState, cookie, url="/dashboard/voice")
    assert await run_handler(await VoiceState.load.fn(tab)) == [] and not tab.connected and tab.can_manage

    await run_handler(await VoiceState.connect.fn(tab, {PRIVATE_FIELD: "wrong", PUBLIC_FIELD: account.public_key}))
    assert (tab.error, tab.connected) == ("accounts.errors.vapi_key_refused", False)

    events = await run_handler(await VoiceState.connect.fn(
        tab, {PRIVATE_FIELD: account.private_key, PUBLIC_FIELD: account.public_key}))
    assert (tab.error, tab.connected, tab.private_last4, tab.public_last4) == \
        ("", True, account.private_key[-4:], account.public_key[-4:])
    assert VoiceState.load_vapi in events
    await run_handler(await VoiceState.load_vapi.fn(tab))
    assert [a["name"] for a in tab.assistants] == [a["name"] for a in account.assistants]
    assert [n["number"] for n in tab.phone_numbers] == [account.phone_numbers[0]["number"]]
    held = held_by(tab)
    assert account.private_key not in held and account.public_key not in held  # never in the tab

    await run_handler(await VoiceState.choose.fn(tab, account.assistants[1]["id"]))
    assert (tab.assistant_id, tab.assistant_name, tab.error) == (account.assistants[1]["id"],
                                                                 account.assistants[1]["name"], "")

    member = tab_with_cookie(VoiceState, await _member_cookie(org), url="/dashboard/voice")
    await run_handler(await VoiceState.load.fn(member))
    assert member.connected and not member.can_manage and member.assistant_id == account.assistants[1]["id"]
    await run_handler(await VoiceState.disconnect.fn(member))
    assert member.error == "accounts.errors.insufficient_role" and member.connected

    await run_handler(await VoiceState.disconnect.fn(tab))
    assert (tab.connected, tab.private_last4, tab.assistants) == (False, "", [])
    await run_handler(await VoiceState.load.fn(member))
    assert not member.connected
