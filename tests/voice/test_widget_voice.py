"""The widget's call button, driven as a browser tab would: shown only with Vapi connected and an
assistant chosen, exposing the public key and the assistant only; the call id claimed when Vapi
created the call, its record in the conversation once Vapi reports it ended."""

from __future__ import annotations

from sqlmodel import select

from livchat.core.db import db
from livchat.models import ConversationMessage
from livchat.models.enums import Role
from livchat.services.voice import connection
from tests.accounts.accounts_support import event_text
from tests.accounts.test_tenant_isolation import held_by
from tests.factories import actor_of, make_org
from tests.fakes.vapi_server import SUMMARY, FakeVapi
from tests.widget.widget_support import widget_tab


async def test_the_call_button_records_the_call_in_the_conversation(database: str, vapi_on: FakeVapi) -> None:
    async with db.session() as session:
        org = await make_org(session, "Acme")
    tab = widget_tab(org)
    await tab.run("load")
    assert tab.voice_assistant_id == ""  # not connected: no button

    account = vapi_on.account()
    assistant = account.assistants[0]["id"]
    async with db.session() as session:
        await connection.connect(session, actor_of(org, Role.OWNER), account.private_key, account.public_key)
    await tab.run("load")
    assert tab.voice_assistant_id == ""  # connected, no assistant chosen: still no button
    async with db.session() as session:
        await connection.choose_assistant(session, actor_of(org, Role.ADMIN), assistant)
    await tab.run("load")
    await tab.run("boot", {"languages": "en", "token": ""})
    await tab.run("start", {"name": "Ana", "email": "ana@example.com"})
    assert (tab.phase, tab.voice_public_key, tab.voice_assistant_id, tab.voice_api_url) == \
        ("chat", account.public_key, assistant, vapi_on.base_url)
    assert account.private_key not in held_by(tab.state)

    started = event_text(await tab.run("voice_call"))
    assert "livchatVoiceStart(" in started and account.public_key in started and account.private_key not in started
    assert tab.voice_phase == "connecting"
    call = vapi_on.add_call(account, assistant)  # what the browser's POST /call/web made
    assert "livchatVoiceEnded()" in event_text(await tab.run("voice_started", call["id"]))
    assert tab.voice_phase == "in_call"

    # Hung up, but Vapi has not finished the call yet: asked again a little later.
    again = event_text(await tab.run("voice_ended", call["id"]))
    assert "setTimeout" in again and tab.voice_phase == "recording" and tab.messages == []
    vapi_on.end_call(call["id"], seconds=61)
    assert await tab.run("voice_ended", call["id"]) == []
    assert tab.voice_phase == ""
    assert [m["sender"] for m in tab.messages] == ["system"]
    assert "Voice call" in tab.messages[0]["text"] and "Duration: 1:01" in tab.messages[0]["text"]
    assert SUMMARY in tab.messages[0]["text"]
    async with db.session() as session:
        assert len((await session.exec(select(ConversationMessage))).all()) == 1


async def test_a_call_that_does_not_start_or_is_not_the_widgets_fails_clearly(database: str,
                                                                              vapi_on: FakeVapi) -> None:
    async with db.session() as session:
        org = await make_org(session, "Acme")
    account = vapi_on.account()
    async with db.session() as session:
        await connection.connect(session, actor_of(org, Role.OWNER), account.private_key, account.public_key)
        await connection.choose_assistant(session, actor_of(org, Role.OWNER), account.assistants[0]["id"])
    tab = widget_tab(org, "pt-BR")
    await tab.run("load")
    await tab.run("boot", {"languages": "pt-BR", "token": ""})
    await tab.run("start", {"name": "Ana", "email": "ana@example.com"})
    await tab.run("voice_call")
    await tab.run("voice_started", "")  # the browser could not create the call
    assert tab.voice_phase == "failed"
    await tab.run("voice_call")
    other = vapi_on.add_call(account, account.assistants[1]["id"])  # not the widget's assistant
    assert "livchatVoiceStop()" in event_text(await tab.run("voice_started", other["id"]))
    assert tab.voice_phase == "failed" and tab.messages == []
