"""A /widget tab driven as Reflex drives it (tests of the widget page and the tenant probe)."""

from __future__ import annotations

from uuid import uuid4

import reflex as rx
from reflex_base.event.context import EventContext

from livchat.livchat import app  # every state registered, as in the served app
from livchat.state.widget import WidgetState
from tests.accounts.accounts_support import run_handler, set_url


class Tab:
    """A widget tab held by the app's state manager, its handlers run as Reflex runs them (with the
    event context and the tab's linked feeds, which linking the conversation's feed needs)."""

    def __init__(self, url: str) -> None:
        self.token, self.url = str(uuid4()), url
        self.state: WidgetState | None = None

    async def run(self, name: str, *args: object) -> list[object]:
        async def enqueue(token: str, *events: object) -> None:  # handlers here return their events
            raise AssertionError("nothing is enqueued")

        with EventContext(token=self.token, state_manager=app.state_manager, enqueue_impl=enqueue):
            return await self._run(name, *args)

    async def _run(self, name: str, *args: object) -> list[object]:
        async with app.modify_state(rx.BaseStateToken(ident=self.token, cls=WidgetState)) as root:
            if self.state is None:
                set_url(root, "", self.url)
            self.state = await root.get_state(WidgetState)
            return await run_handler(await WidgetState.event_handlers[name].fn(self.state, *args))

    def __getattr__(self, name: str) -> object:
        return getattr(self.state, name)


def widget_tab(organization_id: str, locale: str = "") -> Tab:
    return Tab("/widget" + f"?organizationId={organization_id}" + (f"&locale={locale}" if locale else ""))
