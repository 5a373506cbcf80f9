"""Instances service against the in-process sandbox over real HTTP, with the sandbox's signed
webhooks flowing back into our ingest endpoint, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from livchat.core.crypto import decrypt
from livchat.core.db import db, utcnow
from livchat.core.ids import new_id
from livchat.models.whatsapp import AnonymousSession, Instance
from livchat.sandbox import protocol
from livchat.sandbox.runtime import get_sandbox
from livchat.services.errors import InstanceAlreadyConnected, InvalidInput, NotFound
from livchat.services.usage.limits import PlanLimitReached
from livchat.services.whatsapp import instances
from livchat.services.whatsapp.events import (
    InstanceConnected,
    InstanceDisconnected,
    InstanceLoggedOut,
    InstanceQrUpdated,
)
from livchat.services.whatsapp.gateway import get_gateway
from tests.factories import actor_of, make_instance, make_org
from tests.polling import eventually
from tests.whatsapp.wa_support import LiveApp, linked_instance

PAIRING_CODE = re.compile(r"^[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}$")


async def fresh(instance_id: str) -> Instance:
    async with db.session() as s:
        row = await s.get(Instance, instance_id)
        assert row is not None
        return row


async def test_create_stores_secrets_encrypted_and_points_the_webhook_at_us(live: LiveApp, session) -> None:
    org = await make_org(session)
    instance = await instances.create_instance(session, actor_of(org), "Shop")
    token, key = decrypt(instance.wuzapi_token_encrypted), decrypt(instance.hmac_key_encrypted)
    assert len(key) >= 32 and len(token) >= 32 and token != key
    assert token not in instance.wuzapi_token_encrypted and key not in instance.hmac_key_encrypted
    user = await get_gateway().get_user(instance.wuzapi_user_id or "")
    assert user.token == token
    assert user.webhook == f"{live.url}/api/hooks/wuzapi/{instance.id}"
    assert set(user.events.split(",")) == set(instances.SUBSCRIBED_EVENTS)
    assert await get_gateway().hmac_configured(token)
    assert instance.status == "disconnected" and instance.organization_id == org


async def test_qr_link_status_disconnect_logout_delete(live: LiveApp, session) -> None:
    org = await make_org(session)
    instance = await instances.create_instance(session, actor_of(org), "Shop")

    qr = await instances.qr_code(session, actor_of(org), instance.id)  # starts the session itself
    assert qr.qr_code.startswith("data:image/png;base64,") and qr.expires_in == 20
    await live.wait_event(InstanceQrUpdated, lambda e: e.instance_id == instance.id)
    assert (await fresh(instance.id)).status == "connecting"

    sandbox_session = await live.session_of(instance.wuzapi_user_id or "")
    assert protocol.qr_data_url(sandbox_session["qr"]) == qr.qr_code
    await live.link(qr=sandbox_session["qr"], phone="5511988887777")
    connected = await live.wait_event(InstanceConnected, lambda e: e.instance_id == instance.id)
    assert connected.organization_id == org
    assert connected.data["whatsappJid"] == "5511988887777@s.whatsapp.net"
    row = await fresh(instance.id)
    assert (row.status, row.logged_in, row.whatsapp_jid) == ("connected", True, "5511988887777@s.whatsapp.net")
    assert row.last_connected_at is not None

    status = await instances.sync_status(session, actor_of(org), instance.id)
    assert status.wire() == {"connected": True, "loggedIn": True, "whatsappJid": "5511988887777@s.whatsapp.net"}
    with pytest.raises(InstanceAlreadyConnected) as raised:
        await instances.qr_code(session, actor_of(org), instance.id)
    assert raised.value.status == 409
    with pytest.raises(InstanceAlreadyConnected):
        await instances.pair_phone(session, actor_of(org), instance.id, "+55 11 98888-7777")

    status = await instances.disconnect(session, actor_of(org), instance.id)
    assert not status.connected
    row = await fresh(instance.id)
    assert row.status == "disconnected" and row.whatsapp_jid  # the pairing is kept
    await instances.disconnect(session, actor_of(org), instance.id)  # twice is fine

    status = await instances.connect(session, actor_of(org), instance.id)  # paired: reconnects without a QR
    assert status.wire() == {"connected": True, "loggedIn": True, "whatsappJid": "5511988887777@s.whatsapp.net"}

    await instances.logout(session, actor_of(org), instance.id)
    row = await fresh(instance.id)
    assert (row.status, row.logged_in, row.whatsapp_jid) == ("disconnected", False, None)
    assert (await live.session_of(instance.wuzapi_user_id or ""))["jid"] == ""

    user_id = instance.wuzapi_user_id or ""
    await instances.delete_instance(session, actor_of(org), instance.id)
    assert user_id not in {u.id for u in await get_gateway().list_users()}
    with pytest.raises(NotFound):
        await instances.get_instance(session, org, instance.id)


async def test_pairing_code_links_and_phone_events_update_the_row(live: LiveApp, session) -> None:
    org = await make_org(session)
    instance = await instances.create_instance(session, actor_of(org), "Shop")
    with pytest.raises(InvalidInput) as raised:
        await instances.pair_phone(session, actor_of(org), instance.id, "123")
    assert raised.value.detail == "invalid_phone"
    paired = await instances.pair_phone(session, actor_of(org), instance.id, "+55 (21) 99876-5432")
    assert PAIRING_CODE.match(paired.pairing_code) and paired.expires_in > 0
    await live.link(pairing_code=paired.pairing_code)
    await live.wait_event(InstanceConnected, lambda e: e.instance_id == instance.id)
    assert (await fresh(instance.id)).whatsapp_jid == "5521998765432@s.whatsapp.net"

    # The phone's connection drops, then the phone removes the linked device.
    await live.control.post("/disconnect", json={"token": instances.wuzapi_token(instance)})
    await live.wait_event(InstanceDisconnected, lambda e: e.instance_id == instance.id)
    assert (await fresh(instance.id)).status == "disconnected"
    await instances.connect(session, actor_of(org), instance.id)
    response = await live.control.post("/logout", json={"token": instances.wuzapi_token(instance)})
    assert response.status_code == 200, response.text
    await live.wait_event(InstanceLoggedOut, lambda e: e.instance_id == instance.id)
    row = await fresh(instance.id)
    assert (row.status, row.logged_in, row.whatsapp_jid) == ("disconnected", False, None)


async def test_another_organizations_instance_is_not_found(live: LiveApp, session) -> None:
    mine, theirs = await make_org(session, "Mine"), await make_org(session, "Theirs")
    instance = await instances.create_instance(session, actor_of(theirs), "Theirs")
    with pytest.raises(NotFound):
        await instances.get_instance(session, mine, instance.id)
    for call in (instances.connect, instances.qr_code, instances.sync_status, instances.disconnect, instances.logout,
                 instances.delete_instance):
        with pytest.raises(NotFound):
            await call(session, actor_of(mine), instance.id)
    with pytest.raises(NotFound):
        await instances.pair_phone(session, actor_of(mine), instance.id, "5511912345678")
    assert [i.id for i in await instances.list_instances(session, mine)] == []
    assert [i.id for i in await instances.list_instances(session, theirs)] == [instance.id]
    # An org-less call never reaches org instances either.
    with pytest.raises(NotFound):
        await instances.get_instance(session, None, instance.id, anonymous_session_id="anything")


async def test_anonymous_test_panel_instances_use_the_same_functions(live: LiveApp, session) -> None:
    anonymous = AnonymousSession(id=new_id("anon"), token_hash=new_id("h"), ip_address="127.0.0.1",
                                 expires_at=utcnow())
    other = AnonymousSession(id=new_id("anon"), token_hash=new_id("h"), ip_address="127.0.0.2",
                             expires_at=utcnow())
    session.add_all([anonymous, other])
    await session.commit()
    instance = await instances.create_instance(session, None, "Test panel", anonymous_session_id=anonymous.id)
    assert instance.organization_id is None
    qr = await instances.qr_code(session, None, instance.id, anonymous_session_id=anonymous.id)
    assert qr.qr_code
    with pytest.raises(NotFound):
        await instances.qr_code(session, None, instance.id, anonymous_session_id=other.id)
    with pytest.raises(NotFound):
        await instances.get_instance(session, None, instance.id)
    await instances.delete_instance(session, None, instance.id, anonymous_session_id=anonymous.id)


async def test_bad_names_are_rejected_before_anything_is_created(live: LiveApp, session) -> None:
    org = await make_org(session)
    before = len(await get_gateway().list_users())
    for name in ("", "   ", "x" * 101):
        with pytest.raises(InvalidInput):
            await instances.create_instance(session, actor_of(org), name)
    assert len(await get_gateway().list_users()) == before


def events_of(live: LiveApp, instance_id: str) -> list[str]:
    kinds = (InstanceConnected, InstanceDisconnected, InstanceLoggedOut)
    return [type(e).__name__ for e in live.seen if isinstance(e, kinds) and e.instance_id == instance_id]


async def test_service_status_changes_publish_once_even_when_wuzapi_echoes_them(live: LiveApp, session) -> None:
    org = await make_org(session)
    instance = await linked_instance(live, session, org)
    sandbox = get_sandbox()
    assert events_of(live, instance.id) == ["InstanceConnected"]

    await instances.disconnect(session, actor_of(org), instance.id)  # WuzAPI sends nothing for an API disconnect
    assert events_of(live, instance.id) == ["InstanceConnected", "InstanceDisconnected"]
    await instances.sync_status(session, actor_of(org), instance.id)
    await instances.disconnect(session, actor_of(org), instance.id)

    await instances.connect(session, actor_of(org), instance.id)  # the sync and WuzAPI's echoed Connected race
    await sandbox.webhooks.drain()
    await instances.sync_status(session, actor_of(org), instance.id)
    assert events_of(live, instance.id) == ["InstanceConnected", "InstanceDisconnected", "InstanceConnected"]

    await instances.logout(session, actor_of(org), instance.id)
    await sandbox.webhooks.drain()
    await instances.sync_status(session, actor_of(org), instance.id)
    assert events_of(live, instance.id) == ["InstanceConnected", "InstanceDisconnected", "InstanceConnected",
                                            "InstanceLoggedOut"]
    logged_out = next(e for e in live.seen if isinstance(e, InstanceLoggedOut) and e.instance_id == instance.id)
    assert logged_out.data == {"instanceId": instance.id, "status": "disconnected", "loggedIn": False,
                               "whatsappJid": None}


@pytest.fixture
def slow_reconnect() -> Iterator[None]:
    """Like real WuzAPI: after a connect, a paired device's socket comes up a moment later."""
    config = get_sandbox().config
    saved, config.reconnect_s = config.reconnect_s, 0.6
    yield
    config.reconnect_s = saved


async def test_logout_without_a_session_waits_for_the_reconnect_then_unpairs(live: LiveApp, session,
                                                                            slow_reconnect: None) -> None:
    org = await make_org(session)
    instance = await linked_instance(live, session, org)
    await instances.disconnect(session, actor_of(org), instance.id)  # no client left: logout gets `no session`

    status = await instances.logout(session, actor_of(org), instance.id)
    assert status.wire() == {"connected": False, "loggedIn": False, "whatsappJid": None}
    sandbox_side = await live.session_of(instance.wuzapi_user_id or "")
    assert (sandbox_side["jid"], sandbox_side["state"]) == ("", "disconnected")  # really unpaired at WuzAPI
    row = await fresh(instance.id)
    assert (row.status, row.logged_in, row.whatsapp_jid) == ("disconnected", False, None)

    # Never linked: the session started for the logout shows QR codes; nothing to unpair, none left running.
    other = await instances.create_instance(session, actor_of(await make_org(session, "Other")), "Fresh")
    await instances.logout(session, actor_of(other.organization_id), other.id)
    assert (await live.session_of(other.wuzapi_user_id or ""))["state"] == "disconnected"


async def test_two_creates_at_the_plan_limit_exactly_one_wins(live: LiveApp, session) -> None:
    org = await make_org(session)  # free plan: one instance
    before = {u.id for u in await get_gateway().list_users()}

    async def create(name: str) -> Any:
        async with db.session() as own:
            try:
                return await instances.create_instance(own, actor_of(org), name)
            except PlanLimitReached as exc:
                return exc

    results = await asyncio.gather(create("First"), create("Second"))
    created = [r for r in results if isinstance(r, Instance)]
    refused = [r for r in results if isinstance(r, PlanLimitReached)]
    assert len(created) == 1 and len(refused) == 1
    assert (refused[0].status, refused[0].code) == (402, "plan_limit")
    assert [i.id for i in await instances.list_instances(session, org)] == [created[0].id]
    # The refused one made nothing at WuzAPI either.
    assert {u.id for u in await get_gateway().list_users()} - before == {created[0].wuzapi_user_id}
    with pytest.raises(PlanLimitReached):
        await instances.create_instance(session, actor_of(org), "Third")


async def _interrupted_create(session, organization_id: str, *, age: timedelta, with_wuzapi_user: bool) -> Instance:
    """The row a create leaves when the process dies after reserving it: no WuzAPI user id
    recorded (though the user may have been made, named after the instance)."""
    instance = make_instance(organization_id, name="Cut short", created_at=utcnow() - age)
    session.add(instance)
    await session.commit()
    if with_wuzapi_user:
        await get_gateway().create_user(instance.id, decrypt(instance.wuzapi_token_encrypted))
    return instance


async def _wuzapi_users_named(*names: str) -> set[str]:
    return {u.name for u in await get_gateway().list_users()} & set(names)


async def test_the_sweep_removes_interrupted_creates_and_gives_the_slot_back(live: LiveApp, session) -> None:
    org = await make_org(session)  # free plan: one instance
    stale_with_user = await _interrupted_create(session, org, age=timedelta(minutes=11), with_wuzapi_user=True)
    other = await make_org(session, "Other")
    stale_bare = await _interrupted_create(session, other, age=timedelta(minutes=11), with_wuzapi_user=False)
    in_progress = await _interrupted_create(session, await make_org(session, "Busy"), age=timedelta(seconds=5),
                                            with_wuzapi_user=True)
    complete = await instances.create_instance(session, actor_of(await make_org(session, "Done")), "Done")
    with pytest.raises(PlanLimitReached):  # the cut-short row holds the free plan's only slot
        await instances.create_instance(session, actor_of(org), "Shop")

    assert await instances.sweep_interrupted_creates(session) == 2

    remaining = {i.id for i in (await session.exec(select(Instance))).all()}
    assert {stale_with_user.id, stale_bare.id}.isdisjoint(remaining)
    assert {in_progress.id, complete.id} <= remaining  # a create still running, and a finished one, stay
    assert await _wuzapi_users_named(stale_with_user.id, in_progress.id, complete.id) == {in_progress.id, complete.id}
    assert (await instances.create_instance(session, actor_of(org), "Shop")).organization_id == org  # the slot is back
    assert await instances.sweep_interrupted_creates(session) == 0


async def test_deleting_an_interrupted_create_removes_the_wuzapi_user_made_for_it(live: LiveApp, session) -> None:
    org = await make_org(session)
    instance = await _interrupted_create(session, org, age=timedelta(seconds=5), with_wuzapi_user=True)
    assert await _wuzapi_users_named(instance.id) == {instance.id}
    await instances.delete_instance(session, actor_of(org), instance.id)
    assert await _wuzapi_users_named(instance.id) == set()
    with pytest.raises(NotFound):
        await instances.get_instance(session, org, instance.id)


async def test_the_sweep_runs_from_the_lifespan(live: LiveApp, session) -> None:
    org = await make_org(session)
    instance = await _interrupted_create(session, org, age=timedelta(minutes=11), with_wuzapi_user=True)
    async with instances.sweep_lifespan(every_seconds=0.05, first_after=0):
        await eventually(lambda: _wuzapi_users_named(instance.id), lambda named: not named, what="the sweep")
    async with db.session() as s:
        assert await s.get(Instance, instance.id) is None
