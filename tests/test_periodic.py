"""Periodic housekeeping: a failing round is logged and the next one still runs."""

from __future__ import annotations

import asyncio
import logging

import pytest

from livchat.core.periodic import periodic_lifespan


async def test_a_failing_round_is_logged_and_the_task_keeps_going(caplog: pytest.LogCaptureFixture) -> None:
    rounds: list[int] = []
    third = asyncio.Event()

    async def work() -> None:
        rounds.append(len(rounds) + 1)
        if len(rounds) == 3:
            third.set()
        if len(rounds) == 1:
            raise RuntimeError("database away")

    with caplog.at_level(logging.ERROR):
        async with periodic_lifespan("test-task", work, every_seconds=0.01):
            await asyncio.wait_for(third.wait(), 10)
    assert rounds[:3] == [1, 2, 3]
    assert any("periodic task failed" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_the_first_round_waits_and_leaving_stops_it() -> None:
    rounds: list[int] = []

    async def work() -> None:
        rounds.append(1)

    async with periodic_lifespan("test-task", work, every_seconds=0.01, first_after=3600):
        await asyncio.sleep(0)  # let the task start: it is waiting for its first round
    assert rounds == []  # leaving the lifespan ended the wait at once, before any round
