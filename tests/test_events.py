from __future__ import annotations

from dataclasses import dataclass

import pytest

from livchat.core.events import DomainEvent, EventBus


@dataclass(frozen=True, kw_only=True)
class Pinged(DomainEvent):
    value: int


async def test_subscribers_receive_events_and_a_failing_one_breaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[int] = []

    async def good(event: Pinged) -> None:
        seen.append(event.value)

    async def bad(event: Pinged) -> None:
        raise RuntimeError("boom")

    async def any_event(event: DomainEvent) -> None:
        seen.append(-1)

    bus.subscribe(Pinged, good)
    bus.subscribe(Pinged, bad)
    unsubscribe = bus.subscribe(DomainEvent, any_event)
    await bus.publish(Pinged(value=7))
    assert sorted(seen) == [-1, 7]

    unsubscribe()
    await bus.publish(Pinged(value=8))
    assert sorted(seen) == [-1, 7, 8]
    event = Pinged(value=1)
    assert event.id.startswith("evt_")


async def test_transactional_subscribers_run_in_the_session_and_live_ones_after_commit(session) -> None:  # type: ignore[no-untyped-def]
    from livchat.services.accounts import users

    bus = EventBus()
    order: list[str] = []

    async def in_tx(s, event: Pinged) -> None:  # type: ignore[no-untyped-def]
        assert s is session
        order.append("tx")

    async def live(event: Pinged) -> None:
        order.append("live")

    bus.subscribe_in_transaction(Pinged, in_tx)
    bus.subscribe(Pinged, live)
    await users.create_organization(session, "Acme")
    await bus.emit(session, Pinged(value=1))
    assert order == ["tx"]
    await bus.commit_and_publish(session)
    assert order == ["tx", "live"]

    await bus.emit(session, Pinged(value=2))
    await session.rollback()
    bus.discard_pending(session)
    await bus.commit_and_publish(session)
    assert order == ["tx", "live", "tx"]
