"""Background ingestion: a stored file → text → chunks → vectors → the organization's LanceDB table.

The database is the queue. An upload leaves a `pending` row; workers (LIVCHAT_KNOWLEDGE_WORKERS
per process, each one file at a time) claim rows with a compare-and-set that bumps `attempts`,
which then fences every later write of that run: a run whose row was taken over or deleted stops
writing. While a run works, `updated_at` is its heartbeat (progress writes, and a beat every
HEARTBEAT_SECONDS). A row still `processing` whose heartbeat is older than LEASE belongs to a
process that died: a worker claims it again and the run starts over (the write stage replaces
the file's chunks, so a half-written run leaves no duplicates). After MAX_ATTEMPTS runs a file is
failed (`interrupted`) rather than retried forever. A clean shutdown hands its files back.

Progress (stage and percent) is written to the row and published on the event bus
(KnowledgeFileChanged), throttled, so a page shows a live bar: extract 0–15 %, chunk 15–20 %,
embed 20–90 % (by batch), write 90–100 %.

Start-up (`knowledge_lifespan`) warms the embedder, reconciles the index with the database and
the configuration (a table of another embedder is dropped and its files re-ingested from their
stored copies; chunks of deleted files and tables of deleted organizations go), and runs the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlmodel import col, select

from livchat.core.db import db, utcnow
from livchat.core.events import bus
from livchat.core.logging import get_logger
from livchat.core.settings import get_settings
from livchat.models.accounts import Organization
from livchat.models.enums import FileStatus
from livchat.models.support import KnowledgeFile
from livchat.services.knowledge import storage, store, threads
from livchat.services.knowledge.chunking import chunk_blocks
from livchat.services.knowledge.embedders import (
    EmbeddingUnavailable,
    get_embedder,
    warm_embedder,
)
from livchat.services.knowledge.errors import (
    IngestionFailed,
    KnowledgeError,
    UnreadableFile,
)
from livchat.services.knowledge.events import KnowledgeFileChanged
from livchat.services.knowledge.extract import CONTENT_TYPES, Kind, extract
from livchat.services.knowledge.schemas import KnowledgeFileOut

log = get_logger("knowledge")

LEASE = timedelta(seconds=60)
HEARTBEAT_SECONDS = 15.0
MAX_ATTEMPTS = 3
POLL_SECONDS = 5.0  # how often an idle worker looks for files other processes accepted
PUBLISH_EVERY_SECONDS = 0.5  # progress within a stage is written and published at most this often
STAGES: dict[str, tuple[int, int]] = {"extract": (0, 15), "chunk": (15, 20), "embed": (20, 90), "write": (90, 100)}
_KINDS: dict[str, Kind] = {v: k for k, v in CONTENT_TYPES.items()}


class _Fenced(Exception):
    """This run no longer owns its row: deleted, or claimed again by another worker."""


# --- one run -------------------------------------------------------------------------------------

class _Run:
    """A claimed file: every write is fenced on (id, status processing, attempts of this claim)."""

    def __init__(self, row: KnowledgeFile) -> None:
        self.row = row
        self.attempt = row.attempts
        self.stage = "queued"
        self.percent = 0
        self._written_at = 0.0

    def _where(self) -> Any:
        return and_(col(KnowledgeFile.id) == self.row.id, col(KnowledgeFile.status) == FileStatus.PROCESSING,
                    col(KnowledgeFile.attempts) == self.attempt)

    async def _write(self, **values: Any) -> KnowledgeFile | None:
        """Apply `values` if this run still owns the row; the row as it now is, or None."""
        async with db.session() as session:
            row = (await session.exec(update(KnowledgeFile).where(self._where())
                                      .values(**values, updated_at=utcnow()).returning(KnowledgeFile)
                                      .execution_options(synchronize_session=False))).scalars().first()
            await session.commit()
            return row

    async def progress(self, stage: str, fraction: float = 0.0) -> None:
        low, high = STAGES[stage]
        percent = min(high, low + int((high - low) * max(0.0, min(1.0, fraction))))
        now = time.monotonic()
        if stage == self.stage and (percent <= self.percent or now - self._written_at < PUBLISH_EVERY_SECONDS):
            return
        self.stage, self.percent, self._written_at = stage, percent, now
        row = await self._write(stage=stage, progress=percent)
        if row is None:
            raise _Fenced()
        await _publish(row)

    async def heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            if await self._write() is None:
                return

    async def finish(self, chunk_count: int, embedder_id: str) -> bool:
        row = await self._write(status=FileStatus.READY, stage="done", progress=100, chunk_count=chunk_count,
                                embedder=embedder_id, error=None, error_code=None)
        if row is not None:
            await _publish(row)
        return row is not None

    async def fail(self, error: KnowledgeError) -> None:
        row = await self._write(status=FileStatus.FAILED, stage="done", error=error.detail[:500],
                                error_code=error.reason, chunk_count=0)
        if row is not None:
            await _publish(row)

    async def release(self) -> None:
        """A clean shutdown: the file goes back to the queue, this run not counted."""
        await self._write(status=FileStatus.PENDING, stage="queued", progress=0, attempts=self.attempt - 1)


async def _publish(row: KnowledgeFile) -> None:
    await bus.publish(KnowledgeFileChanged(organization_id=row.organization_id, file_id=row.id,
                                           file=KnowledgeFileOut.of(row).wire()))


async def process(row: KnowledgeFile) -> None:
    """Run the pipeline for a claimed row; every outcome ends up on the row (never raises, but
    for cancellation, which hands the file back)."""
    run = _Run(row)
    beating = asyncio.create_task(run.heartbeat(), name=f"knowledge-heartbeat-{row.id}")
    organization_id = row.organization_id
    try:
        await run.progress("extract")
        try:
            data = await storage.get_storage().get(row.storage_key)
        except FileNotFoundError:
            raise IngestionFailed("file_missing") from None
        kind = _KINDS.get(row.content_type)
        if kind is None:
            raise UnreadableFile("corrupt")
        extracted = await threads.run_in(threads.EXTRACT, extract, data, kind)
        await run.progress("chunk")
        settings = get_settings()
        chunks = await threads.run_in(threads.EXTRACT, chunk_blocks, extracted.blocks,
                                      settings.knowledge_chunk_chars, settings.knowledge_chunk_overlap)
        if not chunks:
            raise UnreadableFile("empty")
        embedder = get_embedder()
        await run.progress("embed")
        vectors: list[list[float]] = []
        for start in range(0, len(chunks), embedder.batch_size):
            batch = chunks[start:start + embedder.batch_size]
            vectors += await embedder.embed([c.for_embedding for c in batch])
            await run.progress("embed", len(vectors) / len(chunks))
        await run.progress("write")
        rows = [store.ChunkRow(chunk_id=f"{row.id}:{c.index}", file_id=row.id, filename=row.filename,
                               chunk_index=c.index, heading=c.heading, text=c.text, vector=v)
                for c, v in zip(chunks, vectors, strict=True)]
        await _write_chunks(organization_id, row.id, embedder.id, len(vectors[0]), rows)
        if not await run.finish(len(rows), embedder.id):
            await _drop_if_deleted(organization_id, row.id)
            return
    except _Fenced:
        await _drop_if_deleted(organization_id, row.id)
    except KnowledgeError as exc:
        await run.fail(exc)
    except EmbeddingUnavailable as exc:
        log.warning("embedding failed; file not indexed", extra={"file_id": row.id, "error": str(exc)})
        await run.fail(IngestionFailed("embedding_failed"))
    except asyncio.CancelledError:
        await asyncio.shield(run.release())
        raise
    except Exception:
        log.exception("knowledge ingestion failed", extra={"file_id": row.id})
        await run.fail(IngestionFailed("internal"))
    else:
        await _maintain(organization_id)
    finally:
        beating.cancel()


async def _maintain(organization_id: str) -> None:
    """Compaction and the vector index (store.maintain), once the file is ready: a failure there
    costs search speed, not the file."""
    try:
        await store.maintain(organization_id)
    except Exception:
        log.exception("knowledge index maintenance failed", extra={"organization_id": organization_id})


async def _write_chunks(organization_id: str, file_id: str, embedder_id: str, dimension: int,
                        rows: list[store.ChunkRow]) -> None:
    """Replace the file's chunks (a resumed run may find some of its own); a table of another
    embedder means the configuration changed under us: re-index that organization first."""
    await store.delete_file(organization_id, file_id)
    try:
        await store.add(organization_id, embedder_id, dimension, rows)
    except store.EmbedderMismatch:
        await reindex_organization(organization_id, keep=file_id)
        await store.add(organization_id, embedder_id, dimension, rows)


async def _drop_if_deleted(organization_id: str, file_id: str) -> None:
    async with db.session() as session:
        gone = await session.get(KnowledgeFile, file_id) is None
    if gone:
        await store.delete_file(organization_id, file_id)


# --- claiming ------------------------------------------------------------------------------------

async def claim_next() -> KnowledgeFile | None:
    """The oldest pending file, or one whose run died (heartbeat older than LEASE), now ours."""
    now = utcnow()
    async with db.session() as session:
        candidates = (await session.exec(
            select(KnowledgeFile).where(or_(
                col(KnowledgeFile.status) == FileStatus.PENDING,
                and_(col(KnowledgeFile.status) == FileStatus.PROCESSING, col(KnowledgeFile.updated_at) < now - LEASE))
            ).order_by(col(KnowledgeFile.created_at)).limit(10))).all()
        for row in candidates:
            same = and_(col(KnowledgeFile.id) == row.id, col(KnowledgeFile.status) == row.status,
                        col(KnowledgeFile.attempts) == row.attempts)
            if row.attempts >= MAX_ATTEMPTS:
                values: dict[str, Any] = {"status": FileStatus.FAILED, "stage": "done",
                                          "error": IngestionFailed("interrupted").detail, "error_code": "interrupted"}
            else:
                values = {"status": FileStatus.PROCESSING, "stage": "queued", "progress": 0,
                          "attempts": row.attempts + 1, "error": None, "error_code": None}
            result = await session.exec(update(KnowledgeFile).where(same)
                                        .values(**values, updated_at=utcnow())
                                        .execution_options(synchronize_session=False))
            await session.commit()
            if result.rowcount != 1:
                continue  # another worker got there first
            fresh = await session.get(KnowledgeFile, row.id, populate_existing=True)
            if fresh is None:
                continue
            if fresh.status == FileStatus.FAILED:
                log.warning("knowledge file failed after repeated interrupted runs", extra={"file_id": row.id})
                await _publish(fresh)
                continue
            return fresh
    return None


async def run_until_idle() -> int:
    """Claim and process files until none is claimable; how many runs it made (tests, the CLI)."""
    runs = 0
    while (row := await claim_next()) is not None:
        await process(row)
        runs += 1
    return runs


# --- the embedder changed: re-index --------------------------------------------------------------

async def reindex_organization(organization_id: str, keep: str | None = None) -> int:
    """Drop the organization's table and queue its files again (all but `keep`, being written now);
    how many were queued. Their stored copies are embedded anew by the workers."""
    await store.drop(organization_id)
    async with db.session() as session:
        query = (update(KnowledgeFile)
                 .where(col(KnowledgeFile.organization_id) == organization_id,
                        col(KnowledgeFile.status) == FileStatus.READY)
                 .values(status=FileStatus.PENDING, stage="queued", progress=0, attempts=0, updated_at=utcnow())
                 .execution_options(synchronize_session=False))
        if keep is not None:
            query = query.where(col(KnowledgeFile.id) != keep)
        result = await session.exec(query)
        await session.commit()
    queued = int(result.rowcount or 0)
    log.info("knowledge base re-indexing", extra={"organization_id": organization_id, "files": queued})
    wake()
    return queued


async def reconcile() -> dict[str, int]:
    """Make the index agree with the configuration and the database (start-up; safe to repeat):
    tables of another embedder are re-indexed, ready files indexed by another embedder queued,
    tables of deleted organizations dropped, chunks of deleted files removed."""
    current = get_embedder().id
    counts = {"reindexed": 0, "requeued": 0, "dropped": 0, "orphans": 0}
    organizations = await store.organizations()
    async with db.session() as session:
        existing = set((await session.exec(select(Organization.id).where(
            col(Organization.id).in_(organizations)))).all()) if organizations else set()
    for organization_id in organizations:
        if organization_id not in existing:
            await store.drop(organization_id)
            counts["dropped"] += 1
            continue
        found = await store.embedder_of(organization_id)
        if found is not None and found[0] != current:
            counts["requeued"] += await reindex_organization(organization_id)
            counts["reindexed"] += 1
            continue
        counts["orphans"] += await _drop_orphan_chunks(organization_id)
    async with db.session() as session:  # e.g. the table was dropped but the process died before queueing
        stale = (update(KnowledgeFile)
                 .where(col(KnowledgeFile.status) == FileStatus.READY,
                        or_(col(KnowledgeFile.embedder).is_(None), col(KnowledgeFile.embedder) != current))
                 .values(status=FileStatus.PENDING, stage="queued", progress=0, attempts=0, updated_at=utcnow())
                 .execution_options(synchronize_session=False))
        result = await session.exec(stale)
        await session.commit()
    if result.rowcount:
        counts["requeued"] += int(result.rowcount)
        wake()
    return counts


async def _drop_orphan_chunks(organization_id: str) -> int:
    file_ids = await store.file_ids(organization_id)
    if not file_ids:
        return 0
    async with db.session() as session:
        alive = set((await session.exec(select(KnowledgeFile.id).where(
            KnowledgeFile.organization_id == organization_id, col(KnowledgeFile.id).in_(file_ids)))).all())
    orphans = sorted(file_ids - alive)
    for file_id in orphans:
        await store.delete_file(organization_id, file_id)
    return len(orphans)


# --- workers -------------------------------------------------------------------------------------

_wakeups: set[asyncio.Event] = set()


def wake() -> None:
    """New work in this process (an upload, a re-index): idle workers look now, not at their next poll."""
    for event in list(_wakeups):
        event.set()


async def _worker(stop: asyncio.Event, name: str) -> None:
    wakeup = asyncio.Event()
    _wakeups.add(wakeup)
    try:
        while not stop.is_set():
            wakeup.clear()  # before looking: a wake-up that comes while we look is not lost
            try:
                row = await claim_next()
            except Exception:  # the database away for a moment: try again at the next poll
                log.exception("knowledge worker could not claim work", extra={"worker": name})
                row = None
            if row is not None:
                await process(row)
                continue
            waiters = [asyncio.ensure_future(wakeup.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
    finally:
        _wakeups.discard(wakeup)


async def _start_up(stop: asyncio.Event) -> None:
    await warm_embedder()
    while not stop.is_set():
        try:
            counts = await reconcile()
            if any(counts.values()):
                log.info("knowledge base reconciled", extra=counts)
            return
        except Exception:
            log.exception("knowledge reconcile failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)


@contextlib.asynccontextmanager
async def knowledge_lifespan() -> AsyncIterator[None]:
    """For `app.register_lifespan_task`: warm the embedder and reconcile in the background, and run
    the ingestion workers while the app is up; on shutdown their files go back to the queue."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_start_up(stop), name="knowledge-start-up")]
    tasks += [asyncio.create_task(_worker(stop, f"knowledge-{n}"), name=f"knowledge-worker-{n}")
              for n in range(get_settings().knowledge_workers)]
    try:
        yield
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
