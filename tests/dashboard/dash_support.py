"""Dashboard test support (not a conftest, see tests/whatsapp/wa_support.py): Reflex states called
as a browser tab would call them, against the real API app with the in-process sandbox on
127.0.0.1 (the WhatsApp tests' `live` fixture). Test modules import the fixtures from here."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from reflex_base import constants

import livchat.livchat  # noqa: F401  (every state registered in the main context, like the served app)
from livchat.core.settings import reset_settings_cache
from tests.whatsapp.wa_support import live  # noqa: F401  (fixture re-exported)


def tab(state_cls: type[rx.State], cookie: str, url: str = "/dashboard/instances",
        params: dict[str, str] | None = None) -> rx.State:
    """A state instance as a tab on `url` has it: the session cookie on its websocket, route params."""
    root = rx.State(_reflex_internal_init=True)
    router = RouterData.from_router_data({
        constants.RouteVar.HEADERS: {"cookie": cookie, "origin": "http://localhost:3000"},
        constants.RouteVar.ORIGIN: url, constants.RouteVar.PATH: url,
        constants.RouteVar.QUERY: params or {}, constants.RouteVar.CLIENT_IP: "127.0.0.9",
    })
    state = root.get_substate(state_cls.get_full_name().split(".")[1:])
    for each in {id(root): root, id(state): state}.values():
        each.router = router
    return state


@pytest.fixture
def allow_private_webhooks() -> Iterator[None]:
    os.environ["LIVCHAT_WEBHOOK_ALLOW_PRIVATE"] = "1"
    reset_settings_cache()
    yield
    os.environ.pop("LIVCHAT_WEBHOOK_ALLOW_PRIVATE", None)
    reset_settings_cache()


@pytest.fixture
async def forget_sandbox_users(live):  # type: ignore[no-untyped-def]  # noqa: F811 - uses the fixture
    """The in-process sandbox outlives a test: remove the WuzAPI users our instances made, so later
    tests (the simulated phone's) do not find sessions linked by these."""
    yield
    from sqlmodel import select

    from livchat.core.db import db
    from livchat.integrations import wuzapi
    from livchat.models.whatsapp import Instance
    from livchat.services.whatsapp.gateway import get_gateway

    async with db.session() as session:
        user_ids = [u for u in await session.exec(select(Instance.wuzapi_user_id)) if u]
    for user_id in user_ids:
        try:
            await get_gateway().delete_user_full(user_id)
        except wuzapi.WuzapiError:
            pass  # already deleted by the test
