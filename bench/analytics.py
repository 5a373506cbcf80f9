"""Analytics page data load: what the page's state asks of the services on a load (the WhatsApp
figures, the instance list, the support figures) for a whole year, server time, in process.

Data: one organization with INSTANCES instances and a year of daily rows each — usage counters
for every day, MESSAGES_PER_DAY outbound messages (delivered, some read) and DELIVERIES_PER_DAY
webhook deliveries (with their latency) per instance and day, CONVERSATIONS_PER_DAY support
conversations per day —, on SQLite (the embedded default) and on PostgreSQL at 127.0.0.1 when it
answers. The first load warms caches and is not counted; then REPEATS loads of the year (all
instances), and of 30 days of one instance. Target: year p50 ≤ 500 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

INSTANCES = 20
DAYS = 365
MESSAGES_PER_DAY = 20
DELIVERIES_PER_DAY = 10
CONVERSATIONS_PER_DAY = 10
REPEATS = 10
TARGET_MS = 500.0
PG_ADMIN_URL = os.environ.get("LIVCHAT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def _seed(organization_id: str, end: date) -> list[str]:
    from sqlalchemy import insert

    from livchat.core.crypto import encrypt
    from livchat.core.db import db
    from livchat.core.ids import new_id
    from livchat.models import (
        Conversation,
        ConversationMessage,
        Instance,
        Message,
        Organization,
        UsageDaily,
        WebhookDelivery,
        WebhookEndpoint,
    )

    rng = random.Random(7)
    start = end - timedelta(days=DAYS - 1)
    async with db.session() as session:
        session.add(Organization(id=organization_id, name="Bench", slug=new_id("slug"), plan="scale"))
        await session.flush()
        instance_ids = [new_id("inst") for _ in range(INSTANCES)]
        for n, instance_id in enumerate(instance_ids):
            session.add(Instance(id=instance_id, organization_id=organization_id, name=f"Number {n + 1:02d}",
                                 wuzapi_token_encrypted=encrypt("t"), hmac_key_encrypted=encrypt("h")))
        await session.flush()
        for instance_id in instance_ids:
            session.add(WebhookEndpoint(id=f"whe_{instance_id}", organization_id=organization_id,
                                        instance_id=instance_id, url="https://example.com/hook", events=[],
                                        secret_encrypted=encrypt("s"), secret_prefix="whsec_"))
        await session.flush()
        usage, messages, deliveries = [], [], []
        for offset in range(DAYS):
            day = start + timedelta(days=offset)
            midnight = datetime.combine(day, dtime(), UTC)
            for instance_id in instance_ids:
                usage.append({"id": new_id("use"), "organization_id": organization_id, "instance_id": instance_id,
                              "day": day, "messages_sent": MESSAGES_PER_DAY, "messages_received": rng.randint(0, 40),
                              "media_bytes": 0, "webhooks_delivered": DELIVERIES_PER_DAY,
                              "webhooks_failed": rng.randint(0, 2), "api_requests": 0, "quota_used": 0,
                              "updated_at": midnight})
                for _ in range(MESSAGES_PER_DAY):
                    at = midnight + timedelta(seconds=rng.randint(0, 86_000))
                    read = rng.random() < 0.5
                    messages.append({
                        "id": new_id("msg"), "organization_id": organization_id, "instance_id": instance_id,
                        "direction": "outbound", "chat_jid": "5511912345678@s.whatsapp.net", "type": "text",
                        "status": "read" if read else "delivered", "sent_at": at, "created_at": at, "updated_at": at,
                        "delivered_at": at + timedelta(seconds=2), "read_at": at + timedelta(seconds=60) if read else None})
                for _ in range(DELIVERIES_PER_DAY):
                    at = midnight + timedelta(seconds=rng.randint(0, 86_000))
                    deliveries.append({
                        "id": new_id("dlv"), "organization_id": organization_id, "endpoint_id": f"whe_{instance_id}",
                        "instance_id": instance_id, "event_id": new_id("evt"), "event_type": "message.received",
                        "payload": "{}", "status": "delivered", "attempts": 1, "max_attempts": 3,
                        "redeliver_requested": False, "created_at": at, "updated_at": at,
                        "last_attempt_at": at + timedelta(milliseconds=rng.randint(50, 3000))})
        for model, rows in ((UsageDaily, usage), (Message, messages), (WebhookDelivery, deliveries)):
            for i in range(0, len(rows), 5000):
                await session.exec(insert(model), params=rows[i:i + 5000])  # type: ignore[call-overload]
        for offset in range(DAYS):  # ORM rows: the models' own defaults fill the other columns
            midnight = datetime.combine(start + timedelta(days=offset), dtime(), UTC)
            for _ in range(CONVERSATIONS_PER_DAY):
                at = midnight + timedelta(seconds=rng.randint(0, 86_000))
                conversation = Conversation(id=new_id("conv"), organization_id=organization_id, channel="widget",
                                            status="resolved", created_at=at)
                session.add(conversation)
                for sender, after in (("contact", 0), ("ai", 3)):
                    session.add(ConversationMessage(id=new_id("cmsg"), organization_id=organization_id,
                                                    conversation_id=conversation.id, sender=sender, content="...",
                                                    created_at=at + timedelta(seconds=after)))
            await session.flush()
        await session.commit()
    return instance_ids


async def _page_load(actor: Any, start: date, end: date, instance_id: str | None = None) -> float:
    """What AnalyticsState._reload asks of the services, in ms."""
    from livchat.core.db import db
    from livchat.services.analytics import support, whatsapp

    async def whatsapp_tab() -> None:
        async with db.session() as session:
            await whatsapp.whatsapp_analytics(session, actor, start, end, instance_id, with_rows=False)
            await whatsapp.instance_names(session, actor)

    async def support_tab() -> None:
        async with db.session() as session:
            await support.support_analytics(session, actor, start, end, limit=20)

    began = time.perf_counter()
    await asyncio.gather(whatsapp_tab(), support_tab())  # as the page's state loads them
    return (time.perf_counter() - began) * 1000


async def _measure(database: str, url: str) -> list[dict[str, object]]:
    from livchat.core import migrations
    from livchat.core.db import db, utcnow
    from livchat.models.enums import Role
    from livchat.services.actors import Actor

    await db.dispose()
    db.configure(url)
    migrations.upgrade()
    organization_id = f"org_bench{uuid.uuid4().hex[:8]}"
    end = utcnow().date()
    seeded = time.perf_counter()
    instance_ids = await _seed(organization_id, end)
    seed_s = time.perf_counter() - seeded
    actor = Actor(organization_id=organization_id, role=Role.MEMBER)
    rows = []
    for label, start, instance_id in (("year, 20 instances", end - timedelta(days=DAYS - 1), None),
                                      ("30 days, 1 instance", end - timedelta(days=29), instance_ids[0])):
        await _page_load(actor, start, end, instance_id)  # warm-up
        times = sorted([await _page_load(actor, start, end, instance_id) for _ in range(REPEATS)])
        p50 = statistics.median(times)
        rows.append({"database": database, "load": label, "p50_ms": round(p50, 1), "max_ms": round(times[-1], 1),
                     "target_ms": TARGET_MS if instance_id is None else "",
                     "ok": (p50 <= TARGET_MS) if instance_id is None else "",
                     "seed_s": round(seed_s, 1)})
    await db.dispose()
    return rows


def _postgres() -> tuple[str, str] | None:
    import psycopg

    name = f"livchat_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return None
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def run() -> dict[str, object]:
    import psycopg

    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="livchat-bench-analytics-") as tmp:
        os.environ.setdefault("LIVCHAT_DATA_DIR", tmp)
        os.environ.setdefault("LIVCHAT_SECRET_KEY", "bench-secret-key-not-for-production")
        rows += asyncio.run(_measure("sqlite", f"sqlite:///{tmp}/bench.db"))
    pg = _postgres()
    if pg is not None:
        name, url = pg
        try:
            rows += asyncio.run(_measure("postgresql", url))
        finally:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {"title": f"Analytics page data load ({INSTANCES} instances × {DAYS} days; {MESSAGES_PER_DAY} messages, "
                     f"{DELIVERIES_PER_DAY} webhook deliveries per instance and day; {CONVERSATIONS_PER_DAY} "
                     f"conversations per day)", "rows": rows}
