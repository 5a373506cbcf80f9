"""The webhook dispatcher: posts due outbox rows, records every attempt, retries, pauses.

Claiming is safe with several workers and several processes: one statement takes up to `n`
due rows and leases them (`locked_until = now + lease`) — on PostgreSQL through
`SELECT … FOR UPDATE SKIP LOCKED`, on SQLite (one writer at a time) through the same
`UPDATE … RETURNING`. A dispatcher that dies mid-batch loses nothing: its leases run out and
the rows are claimed again, re-sent with the same `webhook-id` so receivers can drop duplicates.
The lease is also the fence: an outcome is recorded only while `locked_until` is still the value
its claim set (a row taken over after a lapsed lease belongs to its new holder).

Posts go through `ssrf.safe_pool()`: the host is resolved and checked on every new connection
and the connection goes to exactly the checked address (no DNS rebinding between check and
connect). One deadline (`timeout`) covers a whole post, up to reading the first 1 KB back.

The loop wakes on a nudge from the outbox (a new row was committed in this process) or
after `poll_interval` (rows from other processes, retries coming due).

Start it from the app's lifespan: `async with dispatcher_lifespan(): ...`, or run
`run_dispatcher(stop)` as a task.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpcore
import httpx
from sqlalchemy import bindparam, insert, or_, tuple_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import db, table_of, utcnow
from livchat.core.events import bus
from livchat.core.ids import new_id
from livchat.core.logging import get_logger
from livchat.core.ssrf import UnsafeUrl, safe_pool
from livchat.models.accounts import Organization
from livchat.models.enums import DeliveryStatus
from livchat.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from livchat.services.usage import counters
from livchat.services.webhooks.endpoints import notify_endpoint_paused, secrets_in_use
from livchat.services.webhooks.outbox import (
    ATTEMPTS_EXHAUSTED,
    DEFAULT_RETRY_POLICY,
    ENDPOINT_PAUSED,
    RetryPolicy,
    register_wakeup,
)
from livchat.services.webhooks.signing import signed_headers

log = get_logger("webhooks.dispatcher")

SNIPPET_BYTES = 1024
CLIENT_CONNECTIONS = 4
READ_LIMIT = 64 * 1024
ERROR_CHARS = 500
_HTTP_ERRORS = (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol)
_deliveries = table_of(WebhookDelivery)
_attempts = table_of(WebhookAttempt)


@dataclass(frozen=True)
class DispatcherConfig:
    # Concurrent posts per process: each poster awaits one post at a time. Posters share small
    # connection pools (CLIENT_CONNECTIONS each) because httpcore scans its whole pool on every
    # request: one pool of 32 connections posts ~3x slower than eight of four.
    concurrency: int = 32
    batch_size: int = 100  # rows claimed per statement
    lease: timedelta = timedelta(seconds=60)  # > timeout + queueing: a live dispatcher keeps its rows
    timeout: float = 10.0  # the whole post: connect, send, status line and the first 1 KB back
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
    secrets: list[str]  # current first, then the rotated-out ones still signing
    paused: bool
    plan: str


@dataclass
class _Outcome:
    claimed: _Claimed
    target: _Target | None
    ok: bool
    response_status: int | None = None
    latency_ms: int | None = None
    snippet: str | None = None
    error: str | None = None
    posted: bool = True  # False: the endpoint is paused, gone or inactive, nothing was attempted


_Work = tuple[_Claimed, "_Target | None"]


@dataclass
class Dispatcher:
    """A claimer feeds `concurrency` posters through a bounded queue; a recorder writes their
    outcomes in batches (whatever piled up while the previous batch was being written)."""

    config: DispatcherConfig = field(default_factory=DispatcherConfig)
    clock: Callable[[], datetime] = utcnow
    sessionmaker: async_sessionmaker[AsyncSession] | None = None
    _pools: list[httpcore.AsyncConnectionPool] = field(default_factory=list)
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

    def _pool(self, poster: int) -> httpcore.AsyncConnectionPool:
        if not self._pools:
            count = max(1, math.ceil(self.config.concurrency / CLIENT_CONNECTIONS))
            limits = httpx.Limits(max_connections=CLIENT_CONNECTIONS, max_keepalive_connections=CLIENT_CONNECTIONS)
            self._pools = [safe_pool(limits=limits) for _ in range(count)]
        return self._pools[poster % len(self._pools)]

    async def aclose(self) -> None:
        pools, self._pools = self._pools, []
        await asyncio.gather(*(pool.aclose() for pool in pools))

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
            await self.record(await self.deliver(batch))
        return len(batch)

    async def deliver(self, batch: list[_Work]) -> list[_Outcome]:
        """Post a claimed batch all at once (the loop spreads rows over its posters instead)."""
        return list(await asyncio.gather(*(self._deliver(c, t, n) for n, (c, t) in enumerate(batch))))

    # --- claim ----------------------------------------------------------------------------

    async def claim(self, limit: int) -> list[_Work]:
        async with self._writer() as session:
            now = self.clock()
            claimable = (_deliveries.c.status == DeliveryStatus.PENDING,
                         _deliveries.c.next_attempt_at <= now,
                         or_(_deliveries.c.locked_until.is_(None), _deliveries.c.locked_until < now))
            due = select(_deliveries.c.id).where(*claimable).order_by(_deliveries.c.next_attempt_at).limit(limit)
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            # A MATERIALIZED CTE runs once. As a plain `IN (subquery)` the planner may pick a nested
            # loop that re-runs the LIMIT … SKIP LOCKED subquery for every row it updates, each run
            # skipping what the statement just updated and taking the next rows: one claim took
            # every due row. `claimable` again outside: a row leased by another claim meanwhile is
            # re-checked on its newest version (READ COMMITTED) and left out.
            due_once = due.cte("due").prefix_with("MATERIALIZED")
            rows = (await session.exec(
                update(_deliveries)
                .where(_deliveries.c.id.in_(select(due_once.c.id)), *claimable)
                .values(locked_until=now + self.config.lease)
                .returning(_deliveries.c.id, _deliveries.c.organization_id, _deliveries.c.endpoint_id,
                           _deliveries.c.instance_id, _deliveries.c.event_id, _deliveries.c.payload,
                           _deliveries.c.attempts, _deliveries.c.max_attempts)
            )).all()
            claimed = [_Claimed(**row._mapping, leased_until=now + self.config.lease) for row in rows]
            targets = await self._targets(session, {c.endpoint_id for c in claimed}, now) if claimed else {}
            await session.commit()
        return [(c, targets.get(c.endpoint_id)) for c in claimed]

    async def _targets(self, session: AsyncSession, endpoint_ids: set[str], now: datetime) -> dict[str, _Target]:
        rows = (await session.exec(
            select(WebhookEndpoint, Organization.plan)
            .join(Organization, col(Organization.id) == WebhookEndpoint.organization_id)
            .where(col(WebhookEndpoint.id).in_(endpoint_ids))
        )).all()
        targets = {}
        for endpoint, plan in rows:
            targets[endpoint.id] = _Target(url=endpoint.url, secrets=secrets_in_use(endpoint, now),
                                           paused=endpoint.paused_at is not None or not endpoint.active, plan=plan)
        return targets

    # --- post -----------------------------------------------------------------------------

    async def _deliver(self, claimed: _Claimed, target: _Target | None, poster: int = 0) -> _Outcome:
        if target is None or target.paused:
            return _Outcome(claimed, target, ok=False, posted=False)
        return await self._post(claimed, target, self._pool(poster))

    async def _post(self, claimed: _Claimed, target: _Target, pool: httpcore.AsyncConnectionPool) -> _Outcome:
        body = claimed.payload.encode()
        headers = [(name.encode(), value.encode()) for name, value in
                   signed_headers(target.secrets, claimed.event_id, int(self.clock().timestamp()), body).items()]
        started = time.perf_counter()
        status: int | None = None
        snippet: str | None = None
        try:
            # A per-phase timeout bounds each read, not the request: a receiver sending a byte now
            # and then would hold a poster forever. This deadline bounds all of it (DNS included).
            async with asyncio.timeout(self.config.timeout) as deadline:
                async with pool.stream("POST", _request_url(target.url), headers=headers, content=body) as response:
                    # The status decides: a 2xx whose body then stalls is still a success.
                    status = response.status
                    chunks = response.aiter_stream()
                    snippet = await _read_snippet(chunks)
                    # Decided. Reading the rest of a small body (within the deadline) only lets the
                    # connection be reused; failing to is no failure of the delivery.
                    ends_at = deadline.when()
                    deadline.reschedule(None)
                    with contextlib.suppress(TimeoutError, *_HTTP_ERRORS):
                        async with asyncio.timeout_at(ends_at):
                            await _drain(chunks)
        except (TimeoutError, httpcore.TimeoutException):
            if status is None:
                return _Outcome(claimed, target, ok=False, latency_ms=_ms(started),
                                error=f"timed out after {self.config.timeout:g} s")
        except UnsafeUrl as exc:  # the address the host resolves to now is not public
            return _Outcome(claimed, target, ok=False, latency_ms=_ms(started), error=exc.detail[:ERROR_CHARS])
        except httpx.InvalidURL as exc:
            return _Outcome(claimed, target, ok=False, error=f"webhook URL is malformed: {exc}"[:ERROR_CHARS])
        except _HTTP_ERRORS as exc:
            if status is None:
                return _Outcome(claimed, target, ok=False, latency_ms=_ms(started),
                                error=f"{type(exc).__name__}: {exc}"[:ERROR_CHARS] or type(exc).__name__)
        ok = 200 <= status < 300
        return _Outcome(claimed, target, ok=ok, response_status=status, latency_ms=_ms(started),
                        snippet=snippet, error=None if ok else f"HTTP {status}")

    # --- record ---------------------------------------------------------------------------

    async def record(self, outcomes: list[_Outcome]) -> None:
        """Write the outcomes of rows whose lease is still ours, their attempts, the usage counts
        and the endpoints' health, in one transaction. An outcome whose lease lapsed is dropped:
        the row may have been claimed, posted and recorded by another dispatcher since (ours was a
        duplicate under the same webhook-id, which receivers drop).

        Every dispatcher locks in one order — delivery rows by id, endpoint rows by id, usage rows
        by (organization, instance) — so two recording at once never wait on each other in a circle."""
        if not outcomes:
            return
        now = self.clock()
        by_id = {o.claimed.id: o for o in outcomes}
        async with self._writer() as session:
            held = await self._hold(session, outcomes)
            if len(held) < len(by_id):
                log.warning("dropped %d webhook outcomes whose lease had lapsed", len(by_id) - len(held))
            posted: list[dict[str, Any]] = []
            unposted: list[dict[str, Any]] = []
            attempts: list[dict[str, Any]] = []
            counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
            endpoint_ok: dict[str, tuple[bool, str, str]] = {}
            for delivery_id in sorted(held):
                outcome = by_id[delivery_id]
                c = outcome.claimed
                tally = counts[(c.organization_id, c.instance_id)]
                if not outcome.posted:
                    unposted.append({"b_id": c.id, "b_now": now})
                    tally["webhooks_failed"] += 1
                    continue
                status, next_at, reason = self._settle(outcome, *held[delivery_id], now)
                tally["webhooks_delivered"] += outcome.ok
                tally["webhooks_failed"] += status == DeliveryStatus.FAILED
                ok_before = endpoint_ok.get(c.endpoint_id, (False,))[0]
                endpoint_ok[c.endpoint_id] = (ok_before or outcome.ok, c.organization_id, c.instance_id)
                posted.append({"b_id": c.id, "b_status": status, "b_attempts": c.attempts + 1, "b_next": next_at,
                               "b_response": outcome.response_status, "b_latency": outcome.latency_ms,
                               "b_reason": reason, "b_now": now})
                attempts.append({"id": new_id("att"), "organization_id": c.organization_id, "delivery_id": c.id,
                                 "attempt": c.attempts + 1, "response_status": outcome.response_status,
                                 "latency_ms": outcome.latency_ms, "response_snippet": outcome.snippet,
                                 "error": outcome.error[:ERROR_CHARS] if outcome.error else None,
                                 "created_at": now})
            this_row = _deliveries.c.id == bindparam("b_id")
            if posted:
                await session.exec(
                    update(_deliveries).where(this_row).values(
                        status=bindparam("b_status"), attempts=bindparam("b_attempts"),
                        next_attempt_at=bindparam("b_next"), last_attempt_at=bindparam("b_now"),
                        response_status=bindparam("b_response"), latency_ms=bindparam("b_latency"),
                        failure_reason=bindparam("b_reason"), locked_until=None, redeliver_requested=False,
                        updated_at=bindparam("b_now")),
                    params=posted,
                )
                await session.exec(insert(_attempts), params=attempts)
            if unposted:  # the endpoint is paused: failed, nothing attempted, redeliverable once resumed
                await session.exec(
                    update(_deliveries).where(this_row).values(
                        status=DeliveryStatus.FAILED, next_attempt_at=None, failure_reason=ENDPOINT_PAUSED,
                        locked_until=None, redeliver_requested=False, updated_at=bindparam("b_now")),
                    params=unposted,
                )
            for endpoint_id in sorted(endpoint_ok):
                ok, organization_id, instance_id = endpoint_ok[endpoint_id]
                counts[(organization_id, instance_id)]["webhooks_failed"] += await self._track_health(
                    session, endpoint_id, ok, now)
            for key in sorted(counts):
                tally = counts[key]
                await counters.increment(session, *key, webhooks_delivered=tally["webhooks_delivered"],
                                         webhooks_failed=tally["webhooks_failed"])
            await bus.commit_and_publish(session)  # a pause's notice reaches open dashboards

    def _settle(self, outcome: _Outcome, redeliver_requested: bool, max_attempts: int,
                now: datetime) -> tuple[str, datetime | None, str | None]:
        """Status, next attempt and failure reason of a row after a post."""
        c, attempt = outcome.claimed, outcome.claimed.attempts + 1
        if redeliver_requested:  # asked for while this attempt was in flight: go again now
            return DeliveryStatus.PENDING, now, None
        if outcome.ok:
            return DeliveryStatus.DELIVERED, None, None
        if attempt >= max_attempts:  # the row's, not the claim's: a redelivery may have raised it
            return DeliveryStatus.FAILED, None, ATTEMPTS_EXHAUSTED
        plan = outcome.target.plan if outcome.target else ""
        return DeliveryStatus.PENDING, now + timedelta(seconds=self._delay(c, attempt, plan)), None

    async def _hold(self, session: AsyncSession, outcomes: list[_Outcome]) -> dict[str, tuple[bool, int]]:
        """Lock the rows still leased to us, in id order, and read what a redelivery may have
        changed meanwhile: `{id: (redeliver_requested, max_attempts)}`."""
        d = _deliveries.c
        ours = (select(d.id, d.redeliver_requested, d.max_attempts)
                .where(tuple_(d.id, d.locked_until).in_([(o.claimed.id, o.claimed.leased_until) for o in outcomes]),
                       d.status == DeliveryStatus.PENDING)
                .order_by(d.id))
        if session.get_bind().dialect.name == "postgresql":
            # FOR NO KEY UPDATE: the lock the UPDATE below takes anyway (FOR UPDATE would also
            # hold up foreign-key checks against these rows).
            rows = (await session.exec(ours.with_for_update(key_share=True))).all()
        else:  # SQLite locks by writing: a no-op write takes its write lock now, until the commit
            rows = (await session.exec(
                update(_deliveries).where(d.id.in_(ours.with_only_columns(d.id).scalar_subquery()))
                .values(locked_until=d.locked_until)
                .returning(d.id, d.redeliver_requested, d.max_attempts))).all()
        return {row[0]: (bool(row[1]), row[2]) for row in rows}

    def _delay(self, claimed: _Claimed, attempts_made: int, plan: str) -> float:
        # A redelivery adds a fresh budget to max_attempts: count from where that schedule began.
        policy = self.config.retry
        schedule_start = claimed.max_attempts - policy.attempts_for(plan)
        return policy.full_delay(max(1, attempts_made - schedule_start)) * random.uniform(0.5, 1.0)

    async def _track_health(self, session: AsyncSession, endpoint_id: str, ok: bool, now: datetime) -> int:
        """`failing_since` marks the first failure in a row, a success clears it, and 24 h of
        failures pauses the endpoint: its waiting rows are failed (and the count returned, for the
        usage). Conditional updates: several dispatchers may race here."""
        table = table_of(WebhookEndpoint)
        this = table.c.id == endpoint_id
        if ok:
            await session.exec(update(table).where(this, table.c.failing_since.is_not(None)).values(failing_since=None))
            return 0
        await session.exec(update(table).where(this, table.c.failing_since.is_(None)).values(failing_since=now))
        paused = await session.exec(
            update(table).where(this, table.c.paused_at.is_(None),
                                table.c.failing_since <= now - self.config.pause_after)
            .values(paused_at=now, updated_at=now))
        if not paused.rowcount:
            return 0
        # Rows leased to another dispatcher are left to it: it records its attempt, and the next
        # claim finds the endpoint paused. SKIP LOCKED: never wait here on a row it is recording.
        waiting = select(_deliveries.c.id).where(
            _deliveries.c.endpoint_id == endpoint_id, _deliveries.c.status == DeliveryStatus.PENDING,
            or_(_deliveries.c.locked_until.is_(None), _deliveries.c.locked_until < now))
        if session.get_bind().dialect.name == "postgresql":
            waiting = waiting.with_for_update(skip_locked=True)
        failed = await session.exec(
            update(_deliveries).where(_deliveries.c.id.in_(waiting.scalar_subquery()))
            .values(status=DeliveryStatus.FAILED, next_attempt_at=None, locked_until=None,
                    failure_reason=ENDPOINT_PAUSED, redeliver_requested=False, updated_at=now))
        await notify_endpoint_paused(session, endpoint_id)
        return failed.rowcount


@functools.lru_cache(maxsize=4096)
def attempt_error_kind(error: str | None) -> str | None:
    """What kind of failure an attempt's `error` (written above, in English) records, for a
    translated label: timeout, http_status, refused, internal or unreachable; None for a success."""
    if not error:
        return None
    if error.startswith("timed out after"):
        return "timeout"
    if error.startswith("HTTP "):
        return "http_status"
    if error.startswith("webhook URL") or "non-public address" in error:
        return "refused"
    if error.startswith("internal error"):
        return "internal"
    return "unreachable"


def _request_url(url: str) -> httpcore.URL:
    """httpx's parsing (IDNA hosts, percent-encoding) into httpcore's URL, once per URL."""
    parsed = httpx.URL(url)
    return httpcore.URL(scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path)


async def _read_snippet(chunks: AsyncIterator[bytes]) -> str:
    """The first 1 KB of the body (less if it ends sooner)."""
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        if len(buffer) >= SNIPPET_BYTES:
            break
    return buffer[:SNIPPET_BYTES].decode("utf-8", errors="replace")


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """Read a body up to READ_LIMIT to its end, so the connection is reused; past that we stop
    reading and the connection is dropped."""
    read = 0
    async for chunk in chunks:
        read += len(chunk)
        if read > READ_LIMIT:
            break


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
    from livchat.services.webhooks.outbox import install

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


if __name__ == "__main__":  # a dedicated dispatcher process: python -m livchat.services.webhooks.dispatcher
    import uvloop

    uvloop.run(run_dispatcher())  # the loop the app's own workers run on (Granian picks uvloop)
