"""Plan limits exact at their boundaries, on the memory storage and on the real Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from limits import RateLimitItemPerMinute

from livchat.core.settings import reset_settings_cache
from livchat.services.usage.limits import (
    PLANS,
    PlanLimitReached,
    RateLimits,
    check_instance_count,
    plan_limits,
)
from tests.polling import eventually

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["memory", "redis"])
async def limits(request: pytest.FixtureRequest) -> AsyncIterator[RateLimits]:
    prefix = f"livchat-test-{uuid.uuid4().hex}"  # no two tests (or runs) share Redis keys
    if request.param == "memory":
        yield RateLimits("memory://", key_prefix=prefix)
        return
    yield RateLimits(REDIS_URL, key_prefix=prefix)
    client = aioredis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(f"*{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.mark.parametrize("plan,per_minute", [("free", 100), ("starter", 1_000), ("scale", 5_000)])
async def test_api_requests_per_minute_per_organization(limits: RateLimits, plan: str, per_minute: int) -> None:
    results = [await limits.api_request("org_a", plan) for _ in range(per_minute)]
    assert all(r.allowed for r in results)
    assert [r.remaining for r in results[-3:]] == [2, 1, 0] and results[0].limit == per_minute
    refused = await limits.api_request("org_a", plan)
    assert not refused.allowed and refused.remaining == 0 and 1 <= refused.retry_after <= 60
    headers = refused.headers()
    assert headers["RateLimit-Limit"] == str(per_minute) and headers["RateLimit-Remaining"] == "0"
    assert 0 < int(headers["RateLimit-Reset"]) <= 60 and headers["Retry-After"] == str(refused.retry_after)
    assert "Retry-After" not in results[0].headers()
    assert (await limits.api_request("org_b", plan)).allowed  # per organization


@pytest.mark.parametrize("plan,per_second", [("free", 1), ("starter", 10), ("scale", 50)])
async def test_sends_per_second_per_instance_and_the_window_resets(limits: RateLimits, plan: str,
                                                                   per_second: int) -> None:
    results = [await limits.send("inst_a", plan) for _ in range(per_second + 1)]
    assert [r.allowed for r in results] == [True] * per_second + [False]
    refused = results[-1]
    assert refused.retry_after == 1 and refused.reset_epoch <= time.time() + 1.0
    assert (await limits.send("inst_b", plan)).allowed  # per instance

    # The window slides: wait (bounded) for the reported reset.
    await eventually(lambda: time.time() >= refused.reset_epoch, timeout=3, what="the reported reset")
    again = await limits.send("inst_a", plan)
    assert again.allowed  # the oldest request left the window: room for exactly that one more


@pytest.mark.parametrize("plan,instances", [("free", 1), ("starter", 5), ("scale", 20)])
def test_instance_count_per_plan(plan: str, instances: int) -> None:
    check_instance_count(plan, instances - 1)
    with pytest.raises(PlanLimitReached) as refused:
        check_instance_count(plan, instances)
    assert refused.value.code == "plan_limit" and refused.value.status == 402


def test_plan_table_and_unknown_plans() -> None:
    assert {p: (v.instances, v.messages_per_day, v.sends_per_second, v.api_per_minute) for p, v in PLANS.items()} == {
        "free": (1, 50, 1, 100), "starter": (5, None, 10, 1_000), "scale": (20, None, 50, 5_000)}
    assert plan_limits("enterprise-typo") == PLANS["free"]


def test_plan_limits_can_be_overridden_by_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVCHAT_PLAN_LIMITS", '{"scale": {"instances": 200, "sends_per_second": 100000}}')
    reset_settings_cache()
    try:
        scale = plan_limits("scale")
        assert (scale.instances, scale.sends_per_second, scale.api_per_minute) == (200, 100_000, 5_000)
        assert plan_limits("free") == PLANS["free"]
        monkeypatch.setenv("LIVCHAT_PLAN_LIMITS", '{"scale": {"sends_per_sec": 1}}')  # a typo is refused, loudly
        reset_settings_cache()
        with pytest.raises(ValueError, match="LIVCHAT_PLAN_LIMITS"):
            plan_limits("scale")
    finally:
        monkeypatch.delenv("LIVCHAT_PLAN_LIMITS")
        reset_settings_cache()


async def test_a_redis_outage_allows_requests_instead_of_failing_them() -> None:
    limits = RateLimits("redis://127.0.0.1:1/0", key_prefix="down")  # nothing listens on port 1
    result = await limits.api_request("org_a", "free")
    assert result.allowed and result.limit == 100


async def test_concurrent_hits_pass_exactly_the_limit(limits: RateLimits) -> None:
    results = await asyncio.gather(*(limits.api_request("org_a", "free") for _ in range(130)))
    assert sum(r.allowed for r in results) == 100
    assert all(r.remaining == 0 and r.retry_after >= 1 for r in results if not r.allowed)
    if limits.memory is not None:  # counted and read at once: each pass sees its own remaining
        assert sorted(r.remaining for r in results if r.allowed) == list(range(100))


def test_the_memory_storage_never_leaves_the_event_loop() -> None:
    """A hit is counted without one await (no thread hop, no task): the coroutine finishes on its first step."""
    limits = RateLimits("memory://", key_prefix="sync")
    for expected_remaining in (99, 98):
        step = limits.api_request("org_a", "free")
        with pytest.raises(StopIteration) as done:
            step.send(None)
        result = done.value.value
        assert result.allowed and result.remaining == expected_remaining and result.limit == 100


async def test_the_memory_storage_forgets_windows_that_ended() -> None:
    limits = RateLimits("memory://", key_prefix="sweep", sweep_every=0)
    assert limits.memory is not None
    first = await limits.send("inst_a", "free")  # 1 a second
    assert (await limits.send("inst_b", "free")).allowed and len(limits.memory) == 2
    await eventually(lambda: time.time() > first.reset_epoch + 0.01, timeout=3, what="the first window's end")
    await limits.send("inst_c", "free")  # a later hit sweeps the ended windows
    assert len(limits.memory) == 1


async def test_clearing_a_window_frees_it(limits: RateLimits) -> None:
    item = RateLimitItemPerMinute(2)
    assert [(await limits.hit(item, "x", "a")).allowed for _ in range(3)] == [True, True, False]
    await limits.clear(item, "x", "a")
    again = await limits.hit(item, "x", "a")
    assert again.allowed and again.remaining == 1
