"""The webhook dispatcher: posts due outbox rows, records every attempt, retries, pauses.

Claiming is safe with several workers and several processes: one statement takes up to `n`
due rows and leases them (`locked_until = now + lease`) — on PostgreSQL through
`SELECT … FOR UPDATE SKIP LOCKED`, on SQLite (one writer at a time) through the same
`UPDATE … RETURNING`. A dispatcher that dies mid-batch loses nothing: its leases run out and
the rows are claimed again, re-sent with the same `webhook-id` so receivers can drop duplicates.

The loop wakes on a nudge from the outbox (a new row was committed in this process) or
after `poll_interval` (rows from other processes, retries coming due).

Start it from the app's lifespan: `async with dispatcher_lifespan(): ...`, or run
`run_dispatcher(stop)` as a task.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import bindparam, insert, or_, update
from sqlmodel import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import db, utcnow
from livchat.core.ids import new_id
from livchat.core.logging import get_logger
from livchat.models.accounts import Organization
from livchat.models.enums import DeliveryStatus
from livchat.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from livchat.services import usage
from livchat.services.ssrf import UnsafeWebhookUrl, check_webhook_url
from livchat.services.webhooks import notify_endpoint_paused, secrets_in_use
from livchat.services.webhook_outbox import DEFAULT_RETRY_POLICY, RetryPolicy, register_wakeup
from livchat.services.webhook_signing import signed_headers

log = get_logger("webhooks.dispatcher")

SNIPPET_BYTES = 1024
CLIENT_CONNECTIONS = 4
READ_LIMIT = 64 * 1024
ERROR_CHARS = 500
_deliveries = WebhookDelivery.__table__
_attempts = WebhookAttempt.__table__


@dataclass(frozen=True)
class DispatcherConfig:
    # Concurrent posts per process: each poster awaits one post at a time. Posters share small
    # pooled clients (CLIENT_CONNECTIONS each) because httpcore scans its whole pool on every
    # request: one client with 32 connections posts ~3x slower than eight with four each.
    concurrency: int = 32
    batch_size: int = 100  # rows claimed per statement
    lease: timedelta = timedelta(seconds=60)  # > timeout + queueing: a live dispatcher keeps its rows
    timeout: float = 10.0
    poll_interval: float = 1.0
    pause_after: timedelta = timedelta(hours=24)
    record_batch: int = 500  # outcomes written per transaction, at most
    retry: RetryPolicy = DEFAULT_RETRY_POLICY

    def __post_init__(self) -> None:
        if self.lease.total_seconds() <= self.timeout:
            raise ValueError("the lease must outlast the post timeout, or a live post could be claimed twice")


@dataclass
class _Claimed:
    id: str
    organization_id: str
    endpoint_id: str
    instance_id: str
    event_id: str
    payload: str
    attempts: int
    max_attempts: int
    leased_until: datetime


@dataclass
class _Target:
    url: str
    secrets: list[str]  # current first; the rotated-out one while it still signs
    paused: bool
    plan: str
    refusal: str | None = None  # why the URL may not be posted to now (SSRF check at send time)


@dataclass
class _Outcome:
    claimed: _Claimed
    target: _Target | None
    ok: bool
    response_status: int | None = None
    latency_ms: int | None = None
    snippet: str | None = None
    error: str | None = None


_Work = tuple[_Claimed, "_Target | None"]


@dataclass
class Dispatcher:
    """A claimer feeds `concurrency` posters through a bounded queue; a recorder writes their
    outcomes in batches (whatever piled up while the previous batch was being written)."""

    config: DispatcherConfig = field(default_factory=DispatcherConfig)
    clock: Callable[[], datetime] = utcnow
    sessionmaker: async_sessionmaker[AsyncSession] | None = None
    _clients: list[httpx.AsyncClient] = field(default_factory=list)
    # SQLite takes one writer at a time and makes the others sleep-and-retry (busy_timeout):
    # the claimer and the recorder take turns here instead.
    _writing: asyncio.Lock = field(default_factory=asyncio.Lock)

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[AsyncSession]:
        async with contextlib.AsyncExitStack() as stack:
            if db.is_sqlite and self.sessionmaker is None:
                await stack.enter_async_context(self._writing)
            yield await stack.enter_async_context(self._sessions()())

    def _sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.sessionmaker or db.sessionmaker()

    def _client(self, poster: int) -> httpx.AsyncClient:
        if not self._clients:
            count = max(1, math.ceil(self.config.concurrency / CLIENT_CONNECTIONS))
            limits = httpx.Limits(max_connections=CLIENT_CONNECTIONS, max_keepalive_connections=CLIENT_CONNECTIONS)
            self._clients = [httpx.AsyncClient(timeout=self.config.timeout, follow_redirects=False, limits=limits)
                             for _ in range(count)]
        return self._clients[poster % len(self._clients)]

    async def aclose(self) -> None:
        clients, self._clients = self._clients, []
        await asyncio.gather(*(client.aclose() for client in clients))

    # --- the loop -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Until `stop` is set; then finishes the posts in flight and records them."""
        stop = stop or asyncio.Event()
        wake = asyncio.Event()
        unregister = register_wakeup(wake)
        work: asyncio.Queue[_Work] = asyncio.Queue(maxsize=self.config.batch_size)
        done: asyncio.Queue[_Outcome] = asyncio.Queue()
        posters = [asyncio.create_task(self._poster(n, work, done)) for n in range(self.config.concurrency)]
        recorder = asyncio.create_task(self._recorder(done))
        try:
            await self._claimer(stop, wake, work)
            await work.join()
            await done.join()
        finally:
            for task in [*posters, recorder]:
                task.cancel()
            await asyncio.gather(*posters, recorder, return_exceptions=True)
            unregister()
            await self.aclose()

    async def _claimer(self, stop: asyncio.Event, wake: asyncio.Event, work: asyncio.Queue[_Work]) -> None:
        while not stop.is_set():
            wake.clear()  # a nudge from here on triggers another claim
            try:
                batch = await self.claim(self.config.batch_size)
            except Exception:  # the database is down or busy: keep going, try again soon
                log.exception("claiming webhook deliveries failed")
                batch = []
            for item in batch:
                await work.put(item)  # waits while the posters are busy: claim no faster than we post
            if len(batch) < self.config.batch_size:
                await _wait_any(stop, wake, self.config.poll_interval)

    async def _poster(self, number: int, work: asyncio.Queue[_Work], done: asyncio.Queue[_Outcome]) -> None:
        while True:
            claimed, target = await work.get()
            try:
                if self.clock() + timedelta(seconds=self.config.timeout) >= claimed.leased_until:
                    continue  # queued too long: the lease may lapse mid-post; leave the row to a new claim
                try:
                    outcome = await self._deliver(claimed, target, number)
                except Exception as exc:  # a bug must not kill the poster: record it as a failed attempt
                    log.exception("webhook delivery crashed")
                    outcome = _Outcome(claimed, target, ok=False, error=f"internal error: {type(exc).__name__}")
                done.put_nowait(outcome)
            finally:
                work.task_done()

    async def _recorder(self, done: asyncio.Queue[_Outcome]) -> None:
        while True:
            outcomes = [await done.get()]
            while not done.empty() and len(outcomes) < self.config.record_batch:
                outcomes.append(done.get_nowait())
            try:
                await self.record(outcomes)
            except Exception:  # unrecorded rows stay leased, then are claimed and sent again (same id)
                log.exception("recording webhook attempts failed")
            finally:
                for _ in outcomes:
                    done.task_done()

    async def run_once(self) -> int:
        """Claim one batch, post it, record the outcomes. Returns how many rows it handled."""
        batch = await self.claim(self.config.batch_size)
        if batch:
            await self.record(list(await asyncio.gather(*(self._deliver(c, t, n) for n, (c, t) in enumerate(batch)))))
        return len(batch)

    # --- claim ----------------------------------------------------------------------------

    async def claim(self, limit: int) -> list[_Work]:
        async with self._writer() as session:
            now = self.clock()
            due = (
                select(_deliveries.c.id)
                .where(_deliveries.c.status == DeliveryStatus.PENDING,
                       _deliveries.c.next_attempt_at <= now,
                       or_(_deliveries.c.locked_until.is_(None), _deliveries.c.locked_until < now))
                .order_by(_deliveries.c.next_attempt_at)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            rows = (await session.exec(
                update(_deliveries)
                .where(_deliveries.c.id.in_(due.scalar_subquery()))
                .values(locked_until=now + self.config.lease)
                .returning(_deliveries.c.id, _deliveries.c.organization_id, _deliveries.c.endpoint_id,
                           _deliveries.c.instance_id, _deliveries.c.event_id, _deliveries.c.payload,
                           _deliveries.c.attempts, _deliveries.c.max_attempts)
            )).all()
            claimed = [_Claimed(*row, leased_until=now + self.config.lease) for row in rows]
            targets = await self._targets(session, {c.endpoint_id for c in claimed}, now) if claimed else {}
            await session.commit()
        await self._check_urls([t for t in targets.values() if not t.paused])
        return [(c, targets.get(c.endpoint_id)) for c in claimed]

    async def _targets(self, session: AsyncSession, endpoint_ids: set[str], now: datetime) -> dict[str, _Target]:
        rows = (await session.exec(
            select(WebhookEndpoint, Organization.plan)
            .join(Organization, Organization.id == WebhookEndpoint.organization_id)  # type: ignore[arg-type]
            .where(WebhookEndpoint.id.in_(endpoint_ids))  # type: ignore[attr-defined]
        )).all()
        targets = {}
        for endpoint, plan in rows:
            targets[endpoint.id] = _Target(url=endpoint.url, secrets=secrets_in_use(endpoint, now),
                                           paused=endpoint.paused_at is not None or not endpoint.active, plan=plan)
        return targets

    @staticmethod
    async def _check_urls(targets: list[_Target]) -> None:
        """DNS answers can change after a URL was saved: check each target again before posting."""
        async def check(target: _Target) -> None:
            try:
                await check_webhook_url(target.url)
            except UnsafeWebhookUrl as exc:
                target.refusal = exc.detail

        await asyncio.gather(*(check(t) for t in targets))

    # --- post -----------------------------------------------------------------------------

    async def _deliver(self, claimed: _Claimed, target: _Target | None, poster: int = 0) -> _Outcome:
        if target is None or target.paused:
            return _Outcome(claimed, target, ok=False, error="webhook endpoint is paused or inactive")
        if target.refusal:
            return _Outcome(claimed, target, ok=False, error=target.refusal)
        return await self._post(claimed, target, self._client(poster))

    async def _post(self, claimed: _Claimed, target: _Target, client: httpx.AsyncClient) -> _Outcome:
        body = claimed.payload.encode()
        headers = signed_headers(target.secrets, claimed.event_id, int(self.clock().timestamp()), body)
        started = time.perf_counter()
        try:
            async with client.stream("POST", target.url, content=body, headers=headers) as response:
                snippet = await _read_snippet(response)
        except httpx.TimeoutException:
            return _Outcome(claimed, target, ok=False, latency_ms=_ms(started),
                            error=f"timed out after {self.config.timeout:g} s")
        except httpx.HTTPError as exc:
            return _Outcome(claimed, target, ok=False, latency_ms=_ms(started),
                            error=f"{type(exc).__name__}: {exc}"[:ERROR_CHARS] or type(exc).__name__)
        ok = 200 <= response.status_code < 300
        return _Outcome(claimed, target, ok=ok, response_status=response.status_code, latency_ms=_ms(started),
                        snippet=snippet, error=None if ok else f"HTTP {response.status_code}")

    # --- record ---------------------------------------------------------------------------

    async def record(self, outcomes: list[_Outcome]) -> None:
        now = self.clock()
        updates: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"webhooks_delivered": 0,
                                                                           "webhooks_failed": 0})
        endpoint_ok: dict[str, bool] = {}
        for outcome in outcomes:
            c, target = outcome.claimed, outcome.target
            attempt = c.attempts + 1
            if outcome.ok:
                status, next_at = DeliveryStatus.DELIVERED, None
                counts[(c.organization_id, c.instance_id)]["webhooks_delivered"] += 1
            elif attempt >= c.max_attempts or target is None or target.paused:
                status, next_at = DeliveryStatus.FAILED, None
                counts[(c.organization_id, c.instance_id)]["webhooks_failed"] += 1
            else:
                status, next_at = DeliveryStatus.PENDING, now + timedelta(
                    seconds=self._delay(c, attempt, target.plan))
            if target is not None and not target.paused:
                endpoint_ok[c.endpoint_id] = endpoint_ok.get(c.endpoint_id, False) or outcome.ok
            updates.append({"b_id": c.id, "b_status": status, "b_attempts": attempt, "b_next": next_at,
                            "b_last": now, "b_response": outcome.response_status, "b_latency": outcome.latency_ms,
                            "b_now": now})
            attempts.append({"id": new_id("att"), "organization_id": c.organization_id, "delivery_id": c.id,
                             "attempt": attempt, "response_status": outcome.response_status,
                             "latency_ms": outcome.latency_ms, "response_snippet": outcome.snippet,
                             "error": outcome.error[:ERROR_CHARS] if outcome.error else None, "created_at": now})
        async with self._writer() as session:
            await session.exec(
                update(_deliveries).where(_deliveries.c.id == bindparam("b_id")).values(
                    status=bindparam("b_status"), attempts=bindparam("b_attempts"),
                    next_attempt_at=bindparam("b_next"), last_attempt_at=bindparam("b_last"),
                    response_status=bindparam("b_response"), latency_ms=bindparam("b_latency"),
                    locked_until=None, updated_at=bindparam("b_now")),
                params=updates,
            )
            await session.exec(insert(_attempts), params=attempts)
            for (organization_id, instance_id), counters in counts.items():
                await usage.increment(session, organization_id, instance_id, **counters)
            for endpoint_id, ok in endpoint_ok.items():
                await self._track_health(session, endpoint_id, ok, now)
            await session.commit()

    def _delay(self, claimed: _Claimed, attempts_made: int, plan: str) -> float:
        # A redelivery adds a fresh budget to max_attempts: count from where that schedule began.
        policy = self.config.retry
        schedule_start = claimed.max_attempts - policy.attempts_for(plan)
        return policy.full_delay(max(1, attempts_made - schedule_start)) * random.uniform(0.5, 1.0)

    async def _track_health(self, session: AsyncSession, endpoint_id: str, ok: bool, now: datetime) -> None:
        """`failing_since` marks the first failure in a row, a success clears it, and 24 h of
        failures pauses the endpoint. Conditional updates: several dispatchers may race here."""
        table = WebhookEndpoint.__table__
        this = table.c.id == endpoint_id
        if ok:
            await session.exec(update(table).where(this, table.c.failing_since.is_not(None)).values(failing_since=None))
            return
        await session.exec(update(table).where(this, table.c.failing_since.is_(None)).values(failing_since=now))
        paused = await session.exec(
            update(table).where(this, table.c.paused_at.is_(None),
                                table.c.failing_since <= now - self.config.pause_after)
            .values(paused_at=now, updated_at=now))
        if paused.rowcount:  # type: ignore[attr-defined]
            await session.exec(
                update(_deliveries)
                .where(_deliveries.c.endpoint_id == endpoint_id, _deliveries.c.status == DeliveryStatus.PENDING)
                .values(status=DeliveryStatus.FAILED, next_attempt_at=None, locked_until=None, updated_at=now))
            await notify_endpoint_paused(session, endpoint_id)


async def _read_snippet(response: httpx.Response) -> str:
    """The first 1 KB. A body up to READ_LIMIT is read to its end so the connection is reused;
    past that we stop reading and the connection is dropped."""
    buffer = b""
    read = 0
    async for chunk in response.aiter_raw():
        if len(buffer) < SNIPPET_BYTES:
            buffer += chunk[:SNIPPET_BYTES - len(buffer)]
        read += len(chunk)
        if read > READ_LIMIT:
            break
    return buffer.decode("utf-8", errors="replace")


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def run_dispatcher(stop: asyncio.Event | None = None, config: DispatcherConfig | None = None) -> None:
    """Run until `stop` is set (or the task is cancelled)."""
    await Dispatcher(config or DispatcherConfig()).run(stop)


@asynccontextmanager
async def dispatcher_lifespan(config: DispatcherConfig | None = None) -> AsyncIterator[None]:
    """For the app's lifespan: installs the outbox subscribers, runs the dispatcher meanwhile."""
    from livchat.services.webhook_outbox import install

    install()
    stop = asyncio.Event()
    task = asyncio.create_task(run_dispatcher(stop, config), name="webhook-dispatcher")
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=15)
        except TimeoutError:
            task.cancel()


if __name__ == "__main__":  # a dedicated dispatcher process: python -m livchat.services.webhook_dispatcher
    asyncio.run(run_dispatcher())
