"""The landing page's test panel: an anonymous visitor links WhatsApp (QR or pairing code), sends
test messages and watches the webhook deliveries their number would produce — before signing up.

Thin over `livchat.services.whatsapp.test_panel` (the same calls as its REST twin, api/public.py)
with the same per-IP limits (`panel_limits`, the very windows the REST twin counts in). The
visitor's token lives in the browser's local storage (the key the /sandbox page reads too); the
server trades it for the session's id at once and keeps only that id, in a backend var.

Live parts travel in `PanelFeed`, a shared state per anonymous session: `panel_feed_lifespan`
subscribes to the bus and moves it on every event of the session's instance (a rotated QR code,
linked, each message and receipt as its signed webhook delivery). Every tab of the session shows
it at once, whichever worker received WuzAPI's event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import reflex as rx
from reflex_base.registry import RegistrationContext

from livchat.core.db import db
from livchat.core.events import bus
from livchat.core.logging import get_logger
from livchat.i18n import EN
from livchat.models import AnonymousSession
from livchat.services import errors
from livchat.services.accounts import auth
from livchat.services.schemas import rfc3339_ms
from livchat.services.usage.limits import PlanLimitReached, RateLimited, RateLimitResult
from livchat.services.whatsapp import events as ev
from livchat.services.whatsapp import instances, panel_feed, panel_limits, test_panel
from livchat.state.auth import authorized, current_context, error_key, session_token
from livchat.state.detached import detach
from livchat.state.inputs import browser_input
from livchat.state.sandbox_phone import ANONYMOUS_TOKEN_STORAGE

log = get_logger("state.test_panel")

FEED_SIZE = 12  # deliveries shown, newest first
KEEP_ROUTE = "/test-panel/keep"
WATCH_EVERY_SECONDS = 1.0
_GET_TOKEN_JS = f"window.localStorage.getItem({json.dumps(ANONYMOUS_TOKEN_STORAGE)}) || ''"


def _store_token_js(token: str) -> str:
    return f"window.localStorage.setItem({json.dumps(ANONYMOUS_TOKEN_STORAGE)}, {json.dumps(token)})"


def panel_token(anonymous_session_id: str) -> str:
    """Shared-state tokens may not contain `_` (ids do): letters and digits only."""
    return "panel-" + re.sub(r"[^A-Za-z0-9]", "", anonymous_session_id).lower()


def _view(value: Any) -> dict[str, Any]:
    """A service answer as camelCase JSON (plain dicts today, schema models tomorrow)."""
    return value if isinstance(value, dict) else value.model_dump(by_alias=True)


class PanelFeed(rx.SharedState):
    """One per anonymous session, linked by every tab of it. Bounded: a handful of strings and the
    last FEED_SIZE deliveries."""

    status: str = ""  # "" (nothing yet) | connecting | connected | disconnected
    number: str = ""
    name: str = ""
    qr_code: str = ""  # data: URL of the code to scan now
    events: list[dict[str, str]] = []

    @rx.event
    async def link(self) -> None:
        """Link this tab to its session's feed and show the connection as it is now. The feed is
        changed here, through the link, not with `change_feed`: a tab already linked (a reload)
        holds the feed's lock while its own events run, and `modify_state` on it would wait forever."""
        panel = await self.get_state(PanelState)
        anon_id = panel._anonymous_session_id
        if not anon_id:
            return
        feed = await self._link_to(panel_token(anon_id))
        async with db.session() as session:
            found = await instances.list_instances(session, None, anonymous_session_id=anon_id)
            view = await panel_feed.panel_instance(session, found[0].id) if found else None
        _show_instance(view)(feed)


_apps: list[rx.App] = []


def _app() -> rx.App:
    return _apps[0] if _apps else RegistrationContext.get().app


async def change_feed(anonymous_session_id: str, change: Callable[[PanelFeed], None]) -> None:
    """Change the session's feed; Reflex sends the delta to every tab linked to it."""
    token = rx.BaseStateToken(ident=panel_token(anonymous_session_id), cls=PanelFeed)
    async with _app().modify_state(token) as root:
        change(await root.get_state(PanelFeed))


def _show_instance(view: panel_feed.PanelInstance | None) -> Callable[[PanelFeed], None]:
    def change(feed: PanelFeed) -> None:
        if view is None:
            feed.status, feed.number, feed.name, feed.qr_code = "", "", "", ""
            return
        feed.status = "connected" if view.connected else (feed.status if feed.status == "connecting" else "")
        feed.number, feed.name = view.number, view.name
        if view.connected:
            feed.qr_code = ""
    return change


async def push(event: ev.WhatsAppEvent) -> None:
    """A bus event of an anonymous instance, into its session's feed."""
    if event.organization_id is not None:
        return  # organizations' instances have the dashboard and real webhooks
    async with db.session() as session:
        view = await panel_feed.panel_instance(session, event.instance_id)
    if view is None:
        return
    if isinstance(event, ev.InstanceQrUpdated):
        code = str((event.data or {}).get("qrCode") or "")

        def rotate(feed: PanelFeed) -> None:
            if code and feed.status != "connected":
                feed.qr_code, feed.status = code, "connecting"

        await change_feed(view.anonymous_session_id, rotate)
        return
    item = panel_feed.delivery_preview(event, panel_feed.demo_secret(view.anonymous_session_id))
    show = _show_instance(view)

    def deliver(feed: PanelFeed) -> None:
        show(feed)
        if isinstance(event, ev.InstanceDisconnected | ev.InstanceLoggedOut):
            feed.status = "disconnected"
        feed.events = [item, *[e for e in feed.events if e["id"] != item["id"]]][:FEED_SIZE]

    await change_feed(view.anonymous_session_id, deliver)


_installed: list[Callable[[], None]] = []


def install(app: rx.App) -> None:
    """Subscribe the feed to the bus (idempotent: once per process)."""
    if _installed:
        return
    _apps[:] = [app]

    async def on_event(event: ev.WhatsAppEvent) -> None:
        detach(push(event))

    _installed.extend(bus.subscribe(cls, on_event) for cls in (*panel_feed.FEED_EVENTS, ev.InstanceQrUpdated))


def uninstall() -> None:
    while _installed:
        _installed.pop()()


@contextlib.asynccontextmanager
async def panel_feed_lifespan(app: rx.App) -> AsyncIterator[None]:
    install(app)
    try:
        yield
    finally:
        uninstall()


PROBLEMS = ("rate_limited", "gateway_unavailable", "session_expired")


class PanelState(rx.State):
    """One tab's panel. What every tab of the session shares is in PanelFeed."""

    ready: bool = False  # the session is known (or a problem says why not)
    tab: str = "qr"  # how to link: qr | code
    copied_what: str = ""  # code | secret: "Copied" next to it
    signed_in: bool = False
    showing: str = ""  # "" | qr | pairing: a code is out
    pairing_code: str = ""
    code_expired: bool = False
    problem: str = ""  # one of PROBLEMS: its own screen
    retry_after: int = 0  # seconds (rate_limited)
    busy: bool = False
    phone: str = ""
    to: str = ""
    message: str = ""
    error: str = ""  # an inline message key (a wrong number, an empty text)
    sent: bool = False
    remaining: int = 0
    daily: int = 0
    resets_at: str = ""  # RFC 3339, UTC: when the daily messages come back (set once used up)
    secret: str = ""  # the session's demo webhook secret, shown so signatures can be checked
    _anonymous_session_id: str = ""
    _code_deadline: float = 0.0
    _watching: bool = False

    @rx.var
    def used_up(self) -> bool:
        return self.resets_at != ""

    @rx.var
    def retry_text(self) -> str:
        """How long to wait, in units that read well in both languages."""
        seconds = self.retry_after
        return f"{seconds} s" if seconds < 120 else f"{-(-seconds // 60)} min"

    # --- arriving ------------------------------------------------------------------------

    @rx.event
    async def start(self):
        """The page's on_load: read the browser's token (if any) and carry on in `resume`."""
        self.problem, self.error, self.busy, self.code_expired, self.sent = "", "", False, False, False
        self.showing, self.pairing_code = "", ""
        async with db.session() as session:
            self.signed_in = await auth.resolve_session(session, session_token(self)) is not None
        return rx.call_script(_GET_TOKEN_JS, callback=PanelState.resume)

    @rx.event
    @browser_input
    async def resume(self, token: str):
        """The stored session if it is still live; a new one on a first visit. A stored token
        that died (expired, replaced from the same network, already kept in an account) says so."""
        token = token.strip()[:200]
        if not token:
            return await self._new_session()
        async with db.session() as session:
            try:
                anon = await test_panel.resolve(session, token)
            except test_panel.SessionExpired:
                self._forget()
                self.problem, self.ready = "session_expired", True
                return None
        return await self._use(anon)

    @rx.event
    async def new_session(self):
        """"Start a new test session" (after one expired)."""
        self.problem, self.error = "", ""
        return await self._new_session()

    async def _new_session(self):
        try:
            await panel_limits.take("session", self.router.session.client_ip)
        except RateLimited as exc:
            self._limited(exc.result)
            self.ready = True
            return None
        async with db.session() as session:
            created = await test_panel.create_session(session, self.router.session.client_ip or "unknown",
                                                      self.router.headers.user_agent)
        return [rx.call_script(_store_token_js(created.token)), *await self._use(created.row)]

    async def _use(self, anon: AnonymousSession) -> list[Any]:
        self._anonymous_session_id = anon.id
        self.secret = panel_feed.demo_secret(anon.id)
        self._count(anon)
        self.ready = True
        return [PanelFeed.link]  # which also shows the connection as it is now

    def _count(self, anon: AnonymousSession) -> None:
        self.remaining, self.daily = test_panel.messages_remaining(anon), test_panel.daily_messages()
        if self.remaining > 0:
            self.resets_at = ""

    def _forget(self) -> None:
        self._anonymous_session_id, self.secret, self.showing, self.pairing_code = "", "", "", ""

    # --- problems ----------------------------------------------------------------------

    def _limited(self, result: RateLimitResult) -> None:
        self.problem, self.retry_after = "rate_limited", max(1, int(result.retry_after))

    def _failed(self, exc: errors.ServiceError) -> None:
        """A service error: the ones with a screen of their own get it; the rest say what was wrong."""
        self.busy = False
        if isinstance(exc, test_panel.DailyQuotaUsed):
            self.remaining, self.resets_at = 0, rfc3339_epoch(exc.result.reset_epoch)
        elif isinstance(exc, RateLimited):
            self._limited(exc.result)
        elif isinstance(exc, test_panel.SessionExpired):
            self._forget()
            self.problem = "session_expired"
        elif isinstance(exc, errors.GatewayUnavailable | errors.GatewayTimeout):
            self.problem = "gateway_unavailable"
        else:
            self.error = f"test_panel.errors.{exc.detail}" if f"test_panel.errors.{exc.detail}" in _KEYS else \
                f"test_panel.errors.{exc.code}" if f"test_panel.errors.{exc.code}" in _KEYS else "test_panel.errors.unexpected"

    @rx.event
    def dismiss(self):
        """"Try again" on a problem screen: back to the panel, its status asked again."""
        expired = self.problem == "session_expired"
        self.problem, self.error = "", ""
        if expired or not self._anonymous_session_id:
            return PanelState.new_session
        return PanelState.sync

    # --- the connection ----------------------------------------------------------------

    async def _session(self) -> tuple[str, str | None]:
        """(anonymous session id, client address) — read under the lock, for a background task."""
        async with self:
            self.busy, self.error, self.sent = True, "", False
            return self._anonymous_session_id, self.router.session.client_ip

    @rx.event(background=True)
    async def sync(self) -> None:
        """Ask the gateway how the connection is (after a problem, or to pick a stale tab up)."""
        anon_id, ip = await self._session()
        try:
            await panel_limits.take("status", ip)
            async with db.session() as session:
                anon = await test_panel.session_by_id(session, anon_id)
                await test_panel.status(session, anon)  # a change publishes its event (-> the feed)
                found = await instances.list_instances(session, None, anonymous_session_id=anon.id)
                view = await panel_feed.panel_instance(session, found[0].id) if found else None
            await change_feed(anon_id, _show_instance(view))
        except errors.ServiceError as exc:
            async with self:
                self._failed(exc)
            return
        async with self:
            self.busy = False
            self._count(anon)

    @rx.event(background=True)
    async def show_qr(self):
        """Connect and show the QR code; rotations then arrive through the feed."""
        anon_id, ip = await self._session()
        try:
            await panel_limits.take("connect", ip)
            await panel_limits.take("qr", ip)
            async with db.session() as session:
                anon = await test_panel.session_by_id(session, anon_id)
                linked = _view(await test_panel.connect(session, anon))["status"] == "connected"
                code = "" if linked else str(_view(await test_panel.qr(session, anon))["qrCode"] or "")
        except errors.InstanceAlreadyConnected:
            return PanelState.sync
        except errors.ServiceError as exc:
            async with self:
                self._failed(exc)
            return None
        if linked:
            return PanelState.sync

        def waiting(feed: PanelFeed) -> None:
            feed.qr_code, feed.status = code, "connecting"

        await change_feed(anon_id, waiting)
        return await self._code_out("qr", "", panel_limits.panel_limits().code_seconds)

    @rx.event(background=True)
    async def pair(self):
        """A pairing code for the number typed: the visitor enters it on the phone."""
        anon_id, ip = await self._session()
        async with self:
            phone = self.phone
        try:
            await panel_limits.take("pairphone", ip)
            async with db.session() as session:
                anon = await test_panel.session_by_id(session, anon_id)
                pairing = _view(await test_panel.pair_phone(session, anon, phone))
        except errors.InstanceAlreadyConnected:
            return PanelState.sync
        except errors.ServiceError as exc:
            async with self:
                self._failed(exc)
            return None
        seconds = min(int(pairing.get("expiresIn") or 0) or 10**6, panel_limits.panel_limits().code_seconds)
        return await self._code_out("pairing", str(pairing["pairingCode"]), seconds)

    async def _code_out(self, kind: str, pairing_code: str, seconds: int):
        async with self:
            self.busy, self.code_expired, self.showing, self.pairing_code = False, False, kind, pairing_code
            self._code_deadline = time.monotonic() + seconds
        return PanelState.watch_code

    @rx.event(background=True)
    async def watch_code(self) -> None:
        """While a code is out: at its deadline, unless the phone linked meanwhile, it expires
        (WhatsApp itself stops accepting it) and the gateway session is closed."""
        async with self:
            if self._watching:
                return
            self._watching = True
        try:
            while True:
                await asyncio.sleep(WATCH_EVERY_SECONDS)  # a deadline to reach, not a synchronisation
                async with self:
                    if not self.showing or not self._anonymous_session_id:
                        return
                    if time.monotonic() < self._code_deadline:
                        continue
                    anon_id = self._anonymous_session_id
                break
            linked = await _expire_code(anon_id)
            async with self:
                if linked:
                    self.showing = ""
                elif self.showing and time.monotonic() >= self._code_deadline:
                    self.code_expired, self.pairing_code = True, ""
        finally:
            async with self:
                self._watching = False

    @rx.event
    def use_pairing(self) -> None:
        """Back from a QR code to the choice, on the pairing-code tab."""
        self.showing, self.pairing_code, self.code_expired, self.tab = "", "", False, "code"

    @rx.event
    def new_code(self):
        """"Get a new code" once one expired: a new QR code at once; a pairing code asks the number again."""
        self.code_expired, self.showing, self.pairing_code = False, "", ""
        return PanelState.show_qr if self.tab == "qr" else None

    @rx.event
    @browser_input
    def set_tab(self, value: str) -> None:
        if value in ("qr", "code"):
            self.tab, self.error = value, ""

    @rx.event
    @browser_input
    def copied(self, what: str) -> None:
        """Which copy button to mark "Copied" (a pairing code, the secret, a code sample)."""
        self.copied_what = what if re.fullmatch(r"[a-z-]{1,40}", what) else ""

    # --- sending -----------------------------------------------------------------------

    @rx.event(background=True)
    async def send(self):
        """A test message from the linked number: checked first (a wrong number spends no limit),
        then the per-IP limits, then the session's daily messages."""
        anon_id, ip = await self._session()
        async with self:
            to, text = self.to, self.message
        try:
            test_panel.checked_message(to, text)
            await panel_limits.take("message_second", ip)
            day = await panel_limits.hit("message_day", ip)
            if not day.allowed:
                raise test_panel.DailyQuotaUsed(day)
            async with db.session() as session:
                anon = await test_panel.session_by_id(session, anon_id)
                await test_panel.send_test_message(session, anon, to, text)
        except errors.ServiceError as exc:
            async with self:
                self._failed(exc)
            return
        async with self:
            self.busy, self.sent, self.message = False, True, ""  # the text goes: a second click sends nothing twice
            self._count(anon)

    @rx.event
    @browser_input
    def set_phone(self, value: str) -> None:
        self.phone = value[:32]

    @rx.event
    @browser_input
    def set_to(self, value: str) -> None:
        self.to, self.sent = value[:32], False

    @rx.event
    @browser_input
    def set_message(self, value: str) -> None:
        self.message, self.sent = value[:4096], False


def rfc3339_epoch(epoch: float) -> str:
    return rfc3339_ms(datetime.fromtimestamp(epoch, UTC)) or ""


async def _expire_code(anonymous_session_id: str) -> bool:
    """At a code's deadline: True when the phone linked meanwhile; else the gateway session is
    closed (best effort), so an abandoned tab stops costing QR rotations."""
    try:
        async with db.session() as session:
            anon = await test_panel.session_by_id(session, anonymous_session_id)
            found = await instances.list_instances(session, None, anonymous_session_id=anon.id)
            if not found:
                return False
            view = await panel_feed.panel_instance(session, found[0].id)
            if view is not None and view.connected:
                return True
            await instances.disconnect(session, None, found[0].id, anonymous_session_id=anon.id)
    except errors.ServiceError:
        log.info("could not close an expired test-panel code's session", extra={"session": anonymous_session_id})
    await change_feed(anonymous_session_id, lambda feed: setattr(feed, "qr_code", ""))
    return False


_KEYS = frozenset(k for k in EN if k.startswith("test_panel.errors."))


class KeepConnectionState(rx.State):
    """/test-panel/keep, where "Create an account" and "Sign in" from the panel land once signed in:
    the visitor's test-panel connection becomes an instance of their organization, then the
    dashboard opens on it. The token comes from the browser's storage and is resolved here; the
    organization and role from the session cookie, as everywhere."""

    outcome: str = "working"  # working | plan_limit | forbidden | nothing | expired
    error: str = ""  # the refusal's catalogue key, as every dashboard state keeps it (the page words it for this case)

    @rx.event
    def load(self):
        self.outcome, self.error = "working", ""
        return rx.call_script(_GET_TOKEN_JS, callback=KeepConnectionState.keep)

    @rx.event
    @authorized
    async def keep(self, token: str):
        ctx = await current_context(self)  # signed out: to sign-in, and back here after
        actor = ctx.actor
        token = token.strip()[:200]
        if not token:
            self.outcome = "nothing"
            return None
        try:
            async with db.session() as session:
                instance = await test_panel.migrate_to_organization(session, token, actor)
        except test_panel.SessionExpired:
            self.outcome = "expired"
            return rx.remove_local_storage(ANONYMOUS_TOKEN_STORAGE)
        except PlanLimitReached:
            self.outcome = "plan_limit"
            return None
        except errors.PermissionDenied as exc:
            self.outcome, self.error = "forbidden", error_key(exc)
            return None
        if instance is None:
            self.outcome = "nothing"
            return None
        return [rx.remove_local_storage(ANONYMOUS_TOKEN_STORAGE),
                rx.redirect(f"/dashboard/instances/{instance.id}", replace=True)]
