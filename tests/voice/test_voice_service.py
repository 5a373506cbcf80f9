"""The Vapi plugin's services against the fake Vapi API (tests/fakes/vapi_server.py): connecting,
keys encrypted at rest, assistants and phone numbers, the widget's assistant, call records in the
conversation, roles, other organizations, disconnecting. SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlmodel import select

from livchat.core.crypto import decrypt
from livchat.core.db import db
from livchat.models import ConversationMessage, Plugin, VoiceCall
from livchat.models.enums import Role
from livchat.services.errors import InvalidInput, NotFound, PermissionDenied
from livchat.services.support import inbox
from livchat.services.voice import calls, connection
from livchat.services.widget import sessions
from livchat.services.widget.sessions import Visitor
from tests.environment import environment
from tests.factories import actor_of, make_org
from tests.fakes.vapi_server import SUMMARY, FakeVapi


async def _org(name: str = "Acme") -> str:
    async with db.session() as session:
        return await make_org(session, name)


async def _connected(fake: FakeVapi, name: str = "Acme"):  # type: ignore[no-untyped-def]
    org = await _org(name)
    account = fake.account()
    async with db.session() as session:
        await connection.connect(session, actor_of(org, Role.OWNER), account.private_key, account.public_key)
    return org, account


async def _visitor(org: str, name: str = "Ana") -> Visitor:
    async with db.session() as session:
        created = await sessions.create_session(session, org, name, f"{name.lower()}@example.com", {"language": "en"})
    return created.visitor


async def test_connect_with_a_good_key_stores_both_keys_encrypted_and_shows_only_their_last_4(
        database: str, vapi_on: FakeVapi) -> None:
    org = await _org()
    account = vapi_on.account()
    async with db.session() as session:
        shown = await connection.connect(session, actor_of(org, Role.ADMIN), f"  {account.private_key} ",
                                         account.public_key)
    assert shown.connected and shown.private_key_last4 == account.private_key[-4:]
    assert shown.public_key_last4 == account.public_key[-4:] and shown.assistant_id == ""
    assert account.private_key not in shown.model_dump_json() and account.public_key not in shown.model_dump_json()
    assert vapi_on.requests[-1] == ("GET", "/assistant", account.private_key)  # the key was checked with Vapi

    async with db.async_engine.connect() as conn:  # the raw column: neither key in clear
        raw = (await conn.execute(text("SELECT secret_encrypted, config FROM plugins WHERE organization_id = :o"),
                                  {"o": org})).one()
    stored = str(raw[0]) + str(raw[1])
    assert account.private_key not in stored and account.public_key not in stored
    assert json.loads(decrypt(raw[0])) == {"privateKey": account.private_key, "publicKey": account.public_key}

    async with db.session() as session:  # members look
        assert (await connection.settings_of(session, actor_of(org, Role.MEMBER))).private_key_last4 == \
            account.private_key[-4:]


async def test_a_bad_key_is_refused_clearly_and_nothing_is_stored(database: str, vapi_on: FakeVapi) -> None:
    org = await _org()
    account = vapi_on.account()
    async with db.session() as session:
        with pytest.raises(connection.VoiceKeyRefused) as refused:
            await connection.connect(session, actor_of(org, Role.OWNER), account.public_key, account.private_key)
        assert refused.value.status == 422 and "Invalid Key" in refused.value.detail
        with pytest.raises(InvalidInput, match="vapi_keys_identical"):
            await connection.connect(session, actor_of(org, Role.OWNER), account.private_key, account.private_key)
        with pytest.raises(InvalidInput, match="vapi_public_key_required"):
            await connection.connect(session, actor_of(org, Role.OWNER), account.private_key, "has space")
        vapi_on.fail_next(503)
        with pytest.raises(connection.VoiceUnavailable, match="503"):
            await connection.connect(session, actor_of(org, Role.OWNER), account.private_key, account.public_key)
        assert (await session.exec(select(Plugin))).all() == []
        assert not (await connection.settings_of(session, actor_of(org, Role.OWNER))).connected


async def test_a_vapi_that_does_not_answer_in_time_is_a_clear_error(database: str, vapi_on: FakeVapi) -> None:
    org = await _org()
    account = vapi_on.account()
    with environment({"VAPI_TIMEOUT_SECONDS": "0.3"}):
        vapi_on.hang_next()
        try:
            async with db.session() as session:
                with pytest.raises(connection.VoiceUnavailable, match=r"did not answer within 0\.3 s"):
                    await connection.connect(session, actor_of(org, Role.OWNER), account.private_key,
                                             account.public_key)
        finally:
            vapi_on.release()
    async with db.session() as session:
        assert (await session.exec(select(Plugin))).all() == []


async def test_assistants_phone_numbers_and_the_widgets_assistant(database: str, vapi_on: FakeVapi) -> None:
    org, account = await _connected(vapi_on)
    member = actor_of(org, Role.MEMBER)
    async with db.session() as session:
        listed = await connection.assistants(session, member)
        assert [(a.id, a.name) for a in listed] == [(a["id"], a["name"]) for a in account.assistants]
        numbers = await connection.phone_numbers(session, member)
        assert [(n.number, n.name, n.assistant_id, n.assistant_name) for n in numbers] == [
            (account.phone_numbers[0]["number"], account.phone_numbers[0]["name"], account.assistants[0]["id"],
             account.assistants[0]["name"])]
        assert await connection.widget_voice(session, org) is None  # no assistant chosen yet

        chosen = account.assistants[1]
        shown = await connection.choose_assistant(session, actor_of(org, Role.ADMIN), chosen["id"])
        assert (shown.assistant_id, shown.assistant_name) == (chosen["id"], chosen["name"])
        voice = await connection.widget_voice(session, org)
        assert voice is not None and voice.wire() == {"publicKey": account.public_key, "assistantId": chosen["id"],
                                                      "apiUrl": vapi_on.base_url}
        assert account.private_key not in json.dumps(voice.wire())

        # Replacing the keys keeps the choice while the account still lists it.
        await connection.connect(session, actor_of(org, Role.OWNER), account.private_key, account.public_key)
        assert (await connection.settings_of(session, member)).assistant_id == chosen["id"]
        await connection.choose_assistant(session, actor_of(org, Role.OWNER), "")
        assert await connection.widget_voice(session, org) is None


async def test_members_cannot_change_and_other_accounts_ids_are_not_found(database: str, vapi_on: FakeVapi) -> None:
    org, account = await _connected(vapi_on, "Acme")
    other_org, other_account = await _connected(vapi_on, "Other")
    member = actor_of(org, Role.MEMBER)
    async with db.session() as session:
        for change in (connection.connect(session, member, account.private_key, account.public_key),
                       connection.choose_assistant(session, member, account.assistants[0]["id"]),
                       connection.disconnect(session, member)):
            with pytest.raises(PermissionDenied):
                await change
        with pytest.raises(NotFound, match="assistant_not_found"):  # another Vapi account's assistant
            await connection.choose_assistant(session, actor_of(org, Role.OWNER), other_account.assistants[0]["id"])
        assert (await connection.settings_of(session, member)).assistant_id == ""
        assert (await connection.settings_of(session, actor_of(other_org, Role.MEMBER))).connected


async def test_an_ended_web_call_is_recorded_in_the_visitors_conversation(database: str, vapi_on: FakeVapi) -> None:
    org, account = await _connected(vapi_on)
    assistant = account.assistants[0]["id"]
    async with db.session() as session:
        await connection.choose_assistant(session, actor_of(org, Role.OWNER), assistant)
    visitor = await _visitor(org)
    call = vapi_on.add_call(account, assistant)  # what the browser's POST /call/web created

    async with db.session() as session:
        claimed = await calls.claim(session, visitor, call["id"])
        assert (claimed.status, claimed.recorded) == ("queued", False)
        early = await calls.record(session, visitor, call["id"])  # not ended yet: nothing posted
        assert not early.recorded and (await session.exec(select(ConversationMessage))).all() == []

    vapi_on.end_call(call["id"], seconds=125)
    async with db.session() as session:
        recorded = await calls.record(session, visitor, call["id"])
        again = await calls.record(session, visitor, call["id"])  # once per call
    assert recorded.recorded and again.recorded
    assert (recorded.status, recorded.ended_reason, recorded.duration_seconds, recorded.summary) == \
        ("ended", "customer-ended-call", 125, SUMMARY)
    assert recorded.transcript.startswith("AI: Hello!") and recorded.recording_url.endswith("-recording.wav")
    assert vapi_on.requests[-1] == ("GET", f"/call/{call['id']}", account.private_key)

    async with db.session() as session:
        messages = (await session.exec(select(ConversationMessage))).all()
        assert len(messages) == 1 and messages[0].sender == "system"
        assert messages[0].conversation_id == recorded.conversation_id
        assert "Voice call" in messages[0].content and "Duration: 2:05" in messages[0].content
        assert SUMMARY in messages[0].content and "User: I would like to check my order." in messages[0].content
        assert messages[0].metadata_["voiceCall"]["vapiCallId"] == call["id"]
        # The operators see it in the inbox.
        page = await inbox.list_messages(session, actor_of(org, Role.MEMBER), recorded.conversation_id or "")
        assert [m.sender for m in page.data] == ["system"] and "Voice call" in page.data[0].text
        found = await calls.get(session, actor_of(org, Role.MEMBER), recorded.id)
        assert found.vapi_call_id == call["id"]


async def test_calls_of_others_are_not_found(database: str, vapi_on: FakeVapi) -> None:
    org, account = await _connected(vapi_on, "Acme")
    other_org, other_account = await _connected(vapi_on, "Other")
    async with db.session() as session:
        await connection.choose_assistant(session, actor_of(org, Role.OWNER), account.assistants[0]["id"])
        await connection.choose_assistant(session, actor_of(other_org, Role.OWNER), other_account.assistants[0]["id"])
    ana, bruno, eve = await _visitor(org, "Ana"), await _visitor(org, "Bruno"), await _visitor(other_org, "Eve")
    call = vapi_on.end_call(vapi_on.add_call(account, account.assistants[0]["id"])["id"])
    async with db.session() as session:
        recorded = await calls.record(session, ana, call["id"])
        with pytest.raises(NotFound, match="call_not_found"):  # another visitor of the same organization
            await calls.record(session, bruno, call["id"])
        with pytest.raises(NotFound, match="call_not_found"):  # another organization's visitor (its key: 404)
            await calls.claim(session, eve, call["id"])
        with pytest.raises(NotFound):  # another organization's operator
            await calls.get(session, actor_of(other_org, Role.OWNER), recorded.id)
        # A call of another assistant, or not a web call, is not the widget's.
        phone = vapi_on.end_call(vapi_on.add_call(account, account.assistants[0]["id"], "inboundPhoneCall")["id"])
        other_assistant = vapi_on.add_call(account, account.assistants[1]["id"])
        for call_id in (phone["id"], other_assistant["id"], "../assistant", ""):
            with pytest.raises(NotFound):
                await calls.record(session, bruno, call_id)
        rows = (await session.exec(select(VoiceCall))).all()
        assert [(r.vapi_call_id, r.contact_session_id) for r in rows] == [(call["id"], ana.contact_session_id)]


async def test_disconnect_removes_the_keys_and_the_choice(database: str, vapi_on: FakeVapi) -> None:
    org, account = await _connected(vapi_on)
    async with db.session() as session:
        await connection.choose_assistant(session, actor_of(org, Role.ADMIN), account.assistants[0]["id"])
        assert not (await connection.disconnect(session, actor_of(org, Role.ADMIN))).connected
        assert (await session.exec(select(Plugin))).all() == []
        assert await connection.widget_voice(session, org) is None
        with pytest.raises(connection.VoiceNotConnected):
            await connection.assistants(session, actor_of(org, Role.MEMBER))
    async with db.async_engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM plugins"))).scalar() == 0
