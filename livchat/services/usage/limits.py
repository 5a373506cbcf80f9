"""Plan limits and rate limits: in this process's memory by default (`MemoryWindows`), in Redis
through the `limits` library when REDIS_URL is set.

| plan    | instances | messages        | sends per instance | API per organization |
|---------|-----------|-----------------|--------------------|----------------------|
| free    | 1         | 50 a day        | 1/s                | 100 a minute         |
| starter | 5         | unlimited       | 10/s               | 1,000 a minute       |
| scale   | 20        | unlimited       | 50/s               | 5,000 a minute       |

LIVCHAT_PLAN_LIMITS (JSON by plan) overrides fields of this table, e.g. for a benchmark.

Rate checks use the `limits` library's moving window on either storage, with the same keys and
figures (exact: N requests in any window pass, the N+1st is refused), and return a
`RateLimitResult` — a tuple `(allowed, limit, remaining, reset_epoch, retry_after)` whose
`headers()` are what a router sets on the response (`RateLimit-Limit`,
`RateLimit-Remaining`, `RateLimit-Reset` in seconds from now, and `Retry-After` when refused).
The daily message quota is not a rate window but a counter in the database, exact per UTC day
across workers (`livchat.services.usage.counters.take_daily_quota`); it raises `QuotaExceeded(result)`
(429 `quota_exceeded`), a refused rate check `RateLimited(result)` (429 `rate_limited`), and
`check_instance_count` raises `PlanLimitReached` (402 `plan_limit`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from livchat.core.logging import get_logger
from livchat.core.settings import get_settings
from livchat.models.enums import Plan
from livchat.services.errors import ServiceError

log = get_logger("limits")


@dataclass(frozen=True)
class PlanLimits:
    instances: int
    messages_per_day: int | None  # None: unlimited
    sends_per_second: int  # per instance
    api_per_minute: int  # per organization


PLANS: dict[str, PlanLimits] = {
    Plan.FREE: PlanLimits(instances=1, messages_per_day=50, sends_per_second=1, api_per_minute=100),
    Plan.STARTER: PlanLimits(instances=5, messages_per_day=None, sends_per_second=10, api_per_minute=1_000),
    Plan.SCALE: PlanLimits(instances=20, messages_per_day=None, sends_per_second=50, api_per_minute=5_000),
}


def plan_limits(plan: str) -> PlanLimits:
    """An unknown plan name gets the free plan's limits."""
    plans = _configured_plans(get_settings().plan_limits)
    return plans.get(plan, plans[Plan.FREE])


@lru_cache(maxsize=4)
def _configured_plans(overrides: str) -> dict[str, PlanLimits]:
    """PLANS with LIVCHAT_PLAN_LIMITS applied; a typo is an error, not a silent default."""
    if not overrides.strip():
        return PLANS
    try:
        parsed = json.loads(overrides)
        return {**PLANS, **{plan: dataclasses.replace(PLANS[plan], **fields) for plan, fields in parsed.items()}}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"LIVCHAT_PLAN_LIMITS must be JSON like {{\"scale\": {{\"sends_per_second\": 100}}}} "
                         f"with plans {sorted(PLANS)} and fields {[f.name for f in dataclasses.fields(PlanLimits)]}: "
                         f"{exc!r}") from None


class RateLimitResult(NamedTuple):
    allowed: bool
    limit: int | None  # None: unlimited
    remaining: int | None
    reset_epoch: float  # when the window has room again (epoch seconds)
    retry_after: int  # seconds to wait when refused, else 0

    def headers(self, now: float | None = None) -> dict[str, str]:
        if self.limit is None:
            return {}
        reset_in = max(0, math.ceil(self.reset_epoch - (time.time() if now is None else now)))
        headers = {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining),
                   "RateLimit-Reset": str(reset_in)}
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


UNLIMITED = RateLimitResult(True, None, None, 0.0, 0)


class RateLimited(ServiceError):
    code = "rate_limited"
    status = 429

    def __init__(self, result: RateLimitResult, detail: str = "too many requests; retry after Retry-After seconds"):
        super().__init__(detail)
        self.result = result


class QuotaExceeded(RateLimited):
    code = "quota_exceeded"

    def __init__(self, result: RateLimitResult,
                 detail: str = "the plan's daily message quota is used up; upgrade or wait for the reset"):
        super().__init__(result, detail)


class PlanLimitReached(ServiceError):
    code = "plan_limit"
    status = 402


class MemoryWindows:
    """Moving windows kept in this process, checked and counted without leaving the event loop.

    The `limits` library's async memory storage does an `asyncio.to_thread` per hit and per
    window read, and restarts its expiry task each time: ~20 thread round trips per API send.
    Here a hit is a few list operations under a lock (no await at all). Semantics are the
    library's moving window: a hit passes when fewer than `amount` hits of the last `expiry`
    seconds passed; a refused hit is not counted; the window's reset is its oldest hit + expiry.
    Each key keeps at most `amount` timestamps, and keys whose last hit left its window are
    dropped by a sweep every `sweep_every` seconds (memory stays bounded by the recent callers)."""

    def __init__(self, *, sweep_every: float = 60.0) -> None:
        self._windows: dict[str, tuple[deque[float], int]] = {}  # key → (hit times, oldest first; expiry)
        self._lock = threading.Lock()  # the event loop's thread in practice; other threads stay exact too
        self._sweep_every = sweep_every
        self._next_sweep = time.time() + sweep_every

    def __len__(self) -> int:
        return len(self._windows)

    def hit(self, key: str, amount: int, expiry: int) -> tuple[bool, int, float]:
        """(allowed, remaining, reset epoch) after counting one hit if it is allowed."""
        now = time.time()
        cutoff = now - expiry
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            entry = self._windows.get(key)
            if entry is None:
                entry = self._windows[key] = (deque(), expiry)
            window = entry[0]
            while window and window[0] <= cutoff:
                window.popleft()
            allowed = len(window) < amount
            if allowed:
                window.append(now)
            return allowed, max(0, amount - len(window)), (window[0] if window else now) + expiry

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self._sweep_every
        stale = [key for key, (window, expiry) in self._windows.items() if not window or window[-1] <= now - expiry]
        for key in stale:
            del self._windows[key]


class RateLimits:
    """One per process (see `get_rate_limits`); `storage_uri` like `memory://` or `redis://host:6379/0`."""

    def __init__(self, storage_uri: str | None = None, *, key_prefix: str = "livchat",
                 sweep_every: float = 60.0) -> None:
        uri = storage_uri if storage_uri is not None else (get_settings().redis_url or "memory://")
        self.uri = uri
        self.key_prefix = key_prefix
        self.memory: MemoryWindows | None = None
        self._limiter: MovingWindowRateLimiter | None = None
        if uri.startswith(("redis://", "rediss://")):
            options = {"implementation": "redispy", "key_prefix": key_prefix}
            self._limiter = MovingWindowRateLimiter(storage_from_string(f"async+{uri}", **options))
        elif uri.startswith("memory://"):
            self.memory = MemoryWindows(sweep_every=sweep_every)
        else:
            self._limiter = MovingWindowRateLimiter(storage_from_string(f"async+{uri}"))

    async def hit(self, item: RateLimitItem, *identifiers: str) -> RateLimitResult:
        """Count one request against `item` for `identifiers`; refused requests are not counted."""
        if self.memory is not None:
            allowed, remaining, reset = self.memory.hit(item.key_for(self.key_prefix, *identifiers), item.amount,
                                                        item.get_expiry())
            return _result(item, allowed, remaining, reset)
        assert self._limiter is not None
        try:
            allowed = await self._limiter.hit(item, self.key_prefix, *identifiers)
            stats = await self._limiter.get_window_stats(item, self.key_prefix, *identifiers)
        except Exception:  # a Redis outage must not take the API down: allow, and say so in the logs
            log.exception("rate limit storage unavailable; allowing the request")
            return RateLimitResult(True, item.amount, item.amount, time.time() + item.get_expiry(), 0)
        return _result(item, allowed, stats.remaining, stats.reset_time)

    async def api_request(self, organization_id: str, plan: str) -> RateLimitResult:
        return await self.hit(_per_minute(plan_limits(plan).api_per_minute), "api", organization_id)

    async def send(self, instance_id: str, plan: str) -> RateLimitResult:
        return await self.hit(_per_second(plan_limits(plan).sends_per_second), "send", instance_id)

    async def clear(self, item: RateLimitItem, *identifiers: str) -> None:
        if self.memory is not None:
            self.memory.clear(item.key_for(self.key_prefix, *identifiers))
            return
        assert self._limiter is not None
        await self._limiter.clear(item, self.key_prefix, *identifiers)


def _result(item: RateLimitItem, allowed: bool, remaining: int, reset: float) -> RateLimitResult:
    retry_after = 0 if allowed else max(1, math.ceil(reset - time.time()))
    return RateLimitResult(allowed, item.amount, remaining, reset, retry_after)


@lru_cache(maxsize=64)
def _per_minute(amount: int) -> RateLimitItem:
    return RateLimitItemPerMinute(amount)


@lru_cache(maxsize=64)
def _per_second(amount: int) -> RateLimitItem:
    return RateLimitItemPerSecond(amount)


def check_instance_count(plan: str, current: int, *, allowed: int | None = None) -> None:
    """Before creating an instance: `current` is how many the organization has now; `allowed`
    the plan's instances plus any bought on top (services/billing/plans.py), else the plan's."""
    allowed = plan_limits(plan).instances if allowed is None else allowed
    if current >= allowed:
        raise PlanLimitReached(f"the {plan} plan allows {allowed} instance{'s' if allowed != 1 else ''}; "
                               "upgrade to add more")


@lru_cache
def get_rate_limits() -> RateLimits:
    return RateLimits()


def reset_rate_limits() -> None:
    """Forget the process-wide limiter (tests, or after REDIS_URL changes)."""
    get_rate_limits.cache_clear()
