"""Plan limits and rate limits (the `limits` library; memory by default, Redis when REDIS_URL is set).

| plan    | instances | messages        | sends per instance | API per organization |
|---------|-----------|-----------------|--------------------|----------------------|
| free    | 1         | 50 a day        | 1/s                | 100 a minute         |
| starter | 5         | unlimited       | 10/s               | 1,000 a minute       |
| scale   | 20        | unlimited       | 50/s               | 5,000 a minute       |

LIVCHAT_PLAN_LIMITS (JSON by plan) overrides fields of this table, e.g. for a benchmark.

Rate checks use a moving window (exact: N requests in any window pass, the N+1st is refused)
and return a `RateLimitResult` — a tuple `(allowed, limit, remaining, reset_epoch, retry_after)`
whose `headers()` are what a router sets on the response (`RateLimit-Limit`,
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
import time
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


class RateLimits:
    """One per process (see `get_rate_limits`); `storage_uri` like `memory://` or `redis://host:6379/0`."""

    def __init__(self, storage_uri: str | None = None, *, key_prefix: str = "livchat") -> None:
        uri = storage_uri if storage_uri is not None else (get_settings().redis_url or "memory://")
        self.uri = uri
        options: dict[str, str] = {}
        if uri.startswith(("redis://", "rediss://")):
            options = {"implementation": "redispy", "key_prefix": key_prefix}
        self.key_prefix = key_prefix
        self._limiter = MovingWindowRateLimiter(storage_from_string(f"async+{uri}", **options))

    async def hit(self, item: RateLimitItem, *identifiers: str) -> RateLimitResult:
        """Count one request against `item` for `identifiers`; refused requests are not counted."""
        try:
            allowed = await self._limiter.hit(item, self.key_prefix, *identifiers)
            stats = await self._limiter.get_window_stats(item, self.key_prefix, *identifiers)
        except Exception:  # a Redis outage must not take the API down: allow, and say so in the logs
            log.exception("rate limit storage unavailable; allowing the request")
            return RateLimitResult(True, item.amount, item.amount, time.time() + item.get_expiry(), 0)
        retry_after = 0 if allowed else max(1, math.ceil(stats.reset_time - time.time()))
        return RateLimitResult(allowed, item.amount, stats.remaining, stats.reset_time, retry_after)

    async def api_request(self, organization_id: str, plan: str) -> RateLimitResult:
        return await self.hit(RateLimitItemPerMinute(plan_limits(plan).api_per_minute), "api", organization_id)

    async def send(self, instance_id: str, plan: str) -> RateLimitResult:
        return await self.hit(RateLimitItemPerSecond(plan_limits(plan).sends_per_second), "send", instance_id)

    async def clear(self, item: RateLimitItem, *identifiers: str) -> None:
        await self._limiter.clear(item, self.key_prefix, *identifiers)


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
