"""Helpers of the accounts tests (a module, not the conftest: test directories have no
packages, so `from conftest import ...` would find whichever conftest pytest loaded last)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.istate.data import RouterData
from reflex_base import constants


def tab_with_cookie(state_cls: type[rx.State], cookie: str, url: str = "/dashboard",
                    params: dict[str, str] | None = None) -> rx.State:
    """A state instance as a browser tab on `url` would have it, with this Cookie header on its
    websocket. `params`: the page's route parameters (e.g. `instance_key` of a dynamic route)."""
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(state_cls.get_full_name().split(".")[1:])
    set_url(root, cookie, url, params)
    return state


def set_url(root: rx.State, cookie: str, url: str, params: dict[str, str] | None = None) -> None:
    """Point every state of a tab at `url` (a navigation within the same tab)."""
    from urllib.parse import parse_qsl, urlsplit

    query = params if params is not None else {}  # the same object: a caller may watch its reads
    query.update(dict(parse_qsl(urlsplit(url).query)))
    router = RouterData.from_router_data({
        constants.RouteVar.HEADERS: {"cookie": cookie, "origin": "http://localhost:3000"},
        constants.RouteVar.ORIGIN: url,
        constants.RouteVar.PATH: url.split("?")[0],
        constants.RouteVar.QUERY: query,
        constants.RouteVar.CLIENT_IP: "127.0.0.9",
    })

    root._get_root_state().router = router  # substates read the root's


async def run_handler(result: Any) -> list[Any]:
    """What a handler returned, its async generator (yields) run to the end, as a list of events."""
    if hasattr(result, "__aiter__"):
        return [item async for item in result if item is not None]
    if result is None:
        return []
    return list(result) if isinstance(result, list | tuple) else [result]


def event_text(events: Any) -> str:
    """What returned events would do in the browser, as text: a script's code, a redirect's path,
    a toast's call (so tests read them, not reprs)."""
    parts = []
    for event in events if isinstance(events, list | tuple) else [events]:
        for _, value in getattr(event, "args", ()):
            if isinstance(getattr(value, "_var_value", None), str):
                parts.append(value._var_value)
            elif not hasattr(value, "_var_value"):  # an expression (a toast's call), not a literal flag
                parts.append(str(value))
    return "\n".join(parts)
