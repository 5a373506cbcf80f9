"""Webhook delivery the way WuzAPI does it (contract §6): form-encoded `jsonData`/`userID`/
`instanceName` or JSON, `x-hmac-signature` over the exact body, 5 attempts with doubling waits.

Deliveries run as background tasks, bounded in concurrency and in number. A user's events leave
in the order they happened (each delivery's first attempt waits for the previous one's), while
retries run on their own so one failing receiver does not hold back later events for long. A
delivery that fails every attempt goes to `on_give_up` (WuzAPI puts it on its `webhook_errors`
queue; the sandbox keeps it in its store, listed by the control API).

With a `Backlog`, each delivery is written down when queued and crossed off when its receiver
took it or it was given up; `resume()` queues again, at start, what a killed process left.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from livchat.core.logging import get_logger
from livchat.sandbox.config import SandboxConfig

log = get_logger("sandbox.webhooks")


@dataclass(frozen=True)
class Delivery:
    url: str
    body: bytes
    headers: dict[str, str]
    event_type: str = ""
    seq: int = 0  # its row in the backlog, when there is one


def build_delivery(*, url: str, inner: dict[str, Any], user_id: str, instance_name: str, hmac_key: str,
                   webhook_format: str) -> Delivery:
    if webhook_format == "json":
        body = _go_json({**inner, "userID": user_id, "instanceName": instance_name}).encode()
        content_type = "application/json"
    else:  # keys sorted, as Go's url.Values.Encode does
        body = urlencode(sorted({"jsonData": _go_json(inner), "userID": user_id,
                                 "instanceName": instance_name}.items())).encode()
        content_type = "application/x-www-form-urlencoded"
    headers = {"Content-Type": content_type}
    if hmac_key:
        headers["x-hmac-signature"] = hmac.new(hmac_key.encode(), body, hashlib.sha256).hexdigest()
    return Delivery(url=url, body=body, headers=headers, event_type=str(inner.get("type", "")))


def _go_json(value: Any) -> str:
    """Go's json.Marshal of a map: sorted keys, compact."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class _LoopState:
    """asyncio objects belong to one event loop; the sandbox may be driven from several."""

    client: httpx.AsyncClient
    semaphore: asyncio.Semaphore
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    last_first_attempt: dict[str, asyncio.Event] = field(default_factory=dict)


GiveUp = Callable[[str, Delivery, str], None]  # (user id, delivery, last error)


class Backlog(Protocol):
    """Where queued deliveries are kept until they are done (the sandbox's store)."""

    def add_pending_webhook(self, *, user_id: str, url: str, event_type: str, body: bytes,
                            headers: dict[str, str]) -> int: ...

    def remove_pending_webhook(self, seq: int) -> None: ...

    def pending_webhooks(self) -> list[Any]: ...


class WebhookDispatcher:
    def __init__(self, config: SandboxConfig, on_give_up: GiveUp | None = None, backlog: Backlog | None = None) -> None:
        self.config = config
        self.on_give_up = on_give_up
        self.backlog = backlog
        self._loops: dict[asyncio.AbstractEventLoop, _LoopState] = {}

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            client = httpx.AsyncClient(timeout=self.config.webhook_timeout_s, verify=False,
                                       limits=httpx.Limits(max_connections=self.config.max_concurrent_deliveries))
            state = self._loops[loop] = _LoopState(client, asyncio.Semaphore(self.config.max_concurrent_deliveries))
        return state

    def submit(self, user_id: str, delivery: Delivery) -> None:
        """Queue one delivery (written to the backlog first); must be called from a running event loop."""
        state = self._state()
        if len(state.tasks) >= self.config.max_pending_deliveries:
            log.warning("sandbox webhook backlog full; dropping an event", extra={"user_id": user_id})
            return
        if self.backlog is not None:
            seq = self.backlog.add_pending_webhook(user_id=user_id, url=delivery.url, event_type=delivery.event_type,
                                                   body=delivery.body, headers=delivery.headers)
            delivery = replace(delivery, seq=seq)
        self._schedule(state, user_id, delivery)

    def resume(self) -> int:
        """Queue again, in their order, the deliveries a previous process left in the backlog."""
        if self.backlog is None:
            return 0
        state = self._state()
        pending = self.backlog.pending_webhooks()
        for row in pending:
            self._schedule(state, row.user_id, Delivery(url=row.url, body=row.body, headers=row.headers,
                                                        event_type=row.event_type, seq=row.seq))
        if pending:
            log.info("sandbox webhook backlog resumed", extra={"deliveries": len(pending)})
        return len(pending)

    def _schedule(self, state: _LoopState, user_id: str, delivery: Delivery) -> None:
        previous = state.last_first_attempt.get(user_id)
        first_done = state.last_first_attempt[user_id] = asyncio.Event()
        task = asyncio.get_running_loop().create_task(self._deliver(state, user_id, delivery, previous, first_done))
        state.tasks.add(task)
        task.add_done_callback(state.tasks.discard)

    async def _deliver(self, state: _LoopState, user_id: str, delivery: Delivery, previous: asyncio.Event | None,
                       first_done: asyncio.Event) -> None:
        try:
            if previous is not None:
                await previous.wait()
            error = ""
            for attempt in range(self.config.retry_count):
                error = await self._attempt(state, delivery)
                if not error:
                    self._done(delivery)
                    return
                first_done.set()
                if attempt + 1 < self.config.retry_count:
                    await asyncio.sleep(self.config.retry_delay_s * 2**attempt)
            log.warning("sandbox webhook gave up", extra={"url": delivery.url, "attempts": self.config.retry_count})
            if self.on_give_up is not None:
                self.on_give_up(user_id, delivery, error)
            self._done(delivery)
        finally:
            first_done.set()

    def _done(self, delivery: Delivery) -> None:
        """Taken or given up: off the backlog (a cancelled one stays, for the next start)."""
        if self.backlog is not None and delivery.seq:
            self.backlog.remove_pending_webhook(delivery.seq)

    async def _attempt(self, state: _LoopState, delivery: Delivery) -> str:
        """"" when the receiver took it (2xx), else why not."""
        async with state.semaphore:
            try:
                response = await state.client.post(delivery.url, content=delivery.body, headers=delivery.headers)
            except httpx.HTTPError as exc:
                log.info("sandbox webhook failed", extra={"url": delivery.url, "error": exc.__class__.__name__})
                return type(exc).__name__
        return "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for this loop's pending deliveries (tests, shutdown)."""
        state = self._state()
        if state.tasks:
            await asyncio.wait_for(asyncio.gather(*list(state.tasks), return_exceptions=True), timeout)

    async def aclose(self) -> None:
        state = self._loops.pop(asyncio.get_running_loop(), None)
        if state is not None:
            for task in state.tasks:
                task.cancel()
            await state.client.aclose()
