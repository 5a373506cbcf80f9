"""The instances page's handlers: create (plan limit), link by QR with status following the
sandbox, pairing code, disconnect, delete; another organization's ids change nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from livchat.core.db import db
from livchat.models.whatsapp import Instance
from livchat.services.whatsapp.events import InstanceConnected
from livchat.state.instances import InstancesState
from tests.accounts.accounts_support import tab_with_cookie
from tests.factories import signed_in_owner
from tests.whatsapp.wa_support import LiveApp

pytestmark = pytest.mark.usefixtures("forget_sandbox_users")


async def rows_of(organization_id: str) -> list[Instance]:
    async with db.session() as session:
        return list(await session.exec(select(Instance).where(Instance.organization_id == organization_id)))


async def test_create_lists_it_and_the_plan_limit_answers_with_a_translated_error(live: LiveApp) -> None:
    org, cookie = await signed_in_owner("ana@example.com", plan="free")
    page = tab_with_cookie(InstancesState, cookie, "/dashboard/instances")
    await InstancesState.load.fn(page)
    assert page.instances == [] and page.can_manage

    await InstancesState.create.fn(page, {"name": "Shop"})
    assert page.error == ""
    assert [(r["name"], r["status"]) for r in page.instances] == [("Shop", "disconnected")]

    await InstancesState.create.fn(page, {"name": "Second"})  # the free plan allows one
    assert page.error == "dashboard_whatsapp.errors.plan_limit"
    assert [i.name for i in await rows_of(org)] == ["Shop"]

    await InstancesState.create.fn(tab_with_cookie(InstancesState, cookie, "/dashboard/instances"), {"name": "  "})
    assert len(await rows_of(org)) == 1


async def test_qr_link_makes_it_connected_then_disconnect_and_delete(live: LiveApp) -> None:
    org, cookie = await signed_in_owner("bo@example.com", plan="starter")
    page = tab_with_cookie(InstancesState, cookie, "/dashboard/instances")
    await InstancesState.create.fn(page, {"name": "Shop"})
    instance_id = page.instances[0]["id"]

    await InstancesState.show_qr.fn(page, instance_id)
    assert page.linking == instance_id and page.qr_image.startswith("data:image/png;base64,")
    assert page.instances[0]["status"] == "connecting"

    (instance,) = await rows_of(org)
    waiting = await live.session_of(instance.wuzapi_user_id or "")
    await live.link(qr=waiting["qr"], phone="5511977776666")
    await live.wait_event(InstanceConnected, lambda e: e.instance_id == instance_id)

    await InstancesState.refresh.fn(page)  # what the feed watcher runs when the event arrives
    assert page.instances[0]["status"] == "connected" and page.instances[0]["number"] == "5511977776666"
    assert page.instances[0]["last_connected"] != ""
    assert page.linking == "" and page.qr_image == ""  # linked: the QR panel closes itself

    await InstancesState.disconnect.fn(page, instance_id)
    assert page.error == "" and page.instances[0]["status"] == "disconnected"

    await InstancesState.delete.fn(page, instance_id)
    assert page.error == "" and page.instances == [] and await rows_of(org) == []


async def test_pairing_code_is_shown_for_a_valid_phone_and_bad_phone_is_explained(live: LiveApp) -> None:
    _, cookie = await signed_in_owner("cy@example.com", plan="starter")
    page = tab_with_cookie(InstancesState, cookie, "/dashboard/instances")
    await InstancesState.create.fn(page, {"name": "Shop"})
    instance_id = page.instances[0]["id"]

    await InstancesState.pair.fn(page, instance_id, {"phone": "not a phone"})
    assert page.error == "whatsapp.errors.invalid_phone" and page.pairing_code == ""

    await InstancesState.pair.fn(page, instance_id, {"phone": "+55 11 91234-5678"})
    assert page.error == "" and len(page.pairing_code) == 9 and page.linking == instance_id


async def test_another_organizations_instance_is_not_found_and_unchanged(live: LiveApp) -> None:
    org_a, cookie_a = await signed_in_owner("a@example.com", plan="starter")
    _, cookie_b = await signed_in_owner("b@example.com", plan="starter")
    await InstancesState.create.fn(tab_with_cookie(InstancesState, cookie_a, "/dashboard/instances"),
                                   {"name": "A's"})
    (theirs,) = await rows_of(org_a)

    intruder = tab_with_cookie(InstancesState, cookie_b, "/dashboard/instances")
    for handler in (InstancesState.delete, InstancesState.logout, InstancesState.disconnect, InstancesState.show_qr):
        await handler.fn(intruder, theirs.id)
        assert intruder.error == "dashboard_whatsapp.errors.not_found"
    assert intruder.instances == [] and intruder.qr_image == ""
    (still,) = await rows_of(org_a)
    assert (still.id, still.status) == (theirs.id, theirs.status)

