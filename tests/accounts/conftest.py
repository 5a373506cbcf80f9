"""Helpers for the accounts tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from reflex_base import constants

# Import the app (and so every state) now, in the main context: Reflex keeps its registry of
# states in a context variable, which an import inside one async test would set for that test only.
import livchat.livchat  # noqa: E402,F401


def tab_with_cookie(state_cls: type[rx.State], cookie: str, url: str = "/dashboard") -> rx.State:
    """A state instance as a browser tab on `url` would have it, with this Cookie header on its websocket."""
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(state_cls.get_full_name().split(".")[1:])
    router = RouterData.from_router_data({
        constants.RouteVar.HEADERS: {"cookie": cookie, "origin": "http://localhost:3000"},
        constants.RouteVar.ORIGIN: url,
        constants.RouteVar.PATH: url.split("?")[0],
        constants.RouteVar.CLIENT_IP: "127.0.0.9",
    })
    for each in {id(root): root, id(state): state}.values():
        each.router = router
    return state


@pytest.fixture
def browser_tab() -> Callable[[type[rx.State], str], rx.State]:
    return tab_with_cookie
