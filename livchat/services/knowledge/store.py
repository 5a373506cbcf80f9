"""The chunk index: LanceDB, one table per organization (`kb_<organization id>`), so a search can
only ever read the caller's own chunks.

Each table records the embedder that filled it (`livchat.embedder`, `livchat.dimension` in its
schema metadata): vectors of another embedder are never added to it (EmbedderMismatch), and a
change of the configured embedder re-indexes (ingestion.py). Columns: chunk_id, file_id,
filename, chunk_index, heading, text, text_fold (the accent-folded heading and text: LanceDB's
Portuguese stemmer runs before its ASCII folding, so `devolucao` would not find `devolução` in
the raw text), vector.

Search is hybrid: the vector neighbours and the full-text (BM25) matches of the folded query,
fused by reciprocal rank (RRF, k=60), each hit with its cosine similarity to the query (what a
caller judges relevance by; RRF scores only rank). Both halves run at once on LanceDB's asyncio
API: at 100k chunks, alternating query by query on a shared 2-core machine, 8.8 ms median
against 11.4 ms for LanceDB's own hybrid query with RRFReranker (bench/knowledge.py).

Writes and maintenance use LanceDB's synchronous API on the LANCE threads (the async functions at
the bottom); searches use its asyncio API, which runs in Rust and never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from livchat.core.logging import get_logger
from livchat.core.settings import get_settings
from livchat.core.text import fold
from livchat.services.knowledge import threads

if TYPE_CHECKING:
    import pyarrow as pa

log = get_logger("knowledge")

TABLE_PREFIX = "kb_"
META_EMBEDDER = b"livchat.embedder"
META_DIMENSION = b"livchat.dimension"
RRF_K = 60
CANDIDATES = 10  # per signal, at least; and twice the final `limit`: fusion needs more than it keeps
# Past this many rows a table gets an HNSW vector index (flat search grows linearly; below it the
# flat scan is fast enough and an index would cost more to keep than it saves).
VECTOR_INDEX_MIN_ROWS = 5_000
VECTOR_EF = 100  # HNSW candidates per query: recall@10 about 0.9 here at a few ms (bench/knowledge.py)
OPTIMIZE_EVERY_VERSIONS = 25  # small adds pile up versions and fragments: compact after this many
KEEP_OLD_VERSIONS = timedelta(minutes=10)  # a search running during compaction still reads its version
_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")  # also what may go inside a quoted filter
_COLUMNS = ["chunk_id", "file_id", "filename", "chunk_index", "heading", "text"]


class EmbedderMismatch(Exception):
    """The organization's table holds vectors of another embedder."""

    def __init__(self, found: str, wanted: str) -> None:
        super().__init__(f"table embedded with {found}, configured {wanted}")
        self.found, self.wanted = found, wanted


@dataclass(frozen=True)
class ChunkRow:
    chunk_id: str
    file_id: str
    filename: str
    chunk_index: int
    heading: str
    text: str
    vector: Sequence[float]


@dataclass
class Hit:
    chunk_id: str
    file_id: str
    filename: str
    chunk_index: int
    heading: str
    text: str
    score: float = 0.0  # fused RRF, scaled to 0..1 (1: first in both lists)
    similarity: float | None = None  # cosine to the query (None without a query vector)
    keyword_rank: int | None = None  # 1-based rank among full-text matches, None if no word matched
    vector_rank: int | None = None
    _vector: Any = field(default=None, repr=False)


def _lancedb() -> Any:
    """lancedb and pyarrow take about a second to import: loaded on first use, not with the app."""
    # Before lancedb is imported: its Rust core logs a warning on stderr for every query otherwise.
    os.environ.setdefault("LANCEDB_LOG", "error")
    import lancedb

    return lancedb


def table_name(organization_id: str) -> str:
    if not _ID.match(organization_id):
        raise ValueError(f"not an organization id: {organization_id!r}")
    return f"{TABLE_PREFIX}{organization_id}"


def schema(embedder_id: str, dimension: int) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([
        pa.field("chunk_id", pa.string()),
        pa.field("file_id", pa.string()),
        pa.field("filename", pa.string()),
        pa.field("chunk_index", pa.int32()),
        pa.field("heading", pa.string()),
        pa.field("text", pa.string()),
        pa.field("text_fold", pa.string()),
        pa.field("vector", pa.list_(pa.float32(), dimension)),
    ], metadata={META_EMBEDDER: embedder_id.encode(), META_DIMENSION: str(dimension).encode()})


class KnowledgeStore:
    """Synchronous; one per LanceDB URI (see `get_store`). Table handles are cached; writes of this
    process go through them, and other processes' writes are seen within `read_consistency`."""

    def __init__(self, uri: str, read_consistency: timedelta = timedelta(seconds=2),
                 storage_options: dict[str, str] | None = None) -> None:
        self.uri = uri
        self._storage_options = storage_options or None  # an object store's (s3://…): endpoint, keys
        self._db = _lancedb().connect(uri, read_consistency_interval=read_consistency,
                                      storage_options=self._storage_options)
        self._tables: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._optimized_at: dict[str, int] = {}
        self._indexing: set[str] = set()
        self._readers: dict[int, tuple[asyncio.AbstractEventLoop, Any, dict[str, Any]]] = {}

    # --- tables ---

    def _open(self, organization_id: str) -> Any | None:
        name = table_name(organization_id)
        with self._lock:
            table = self._tables.get(name)
            if table is None:
                try:
                    table = self._db.open_table(name)
                except (ValueError, FileNotFoundError):  # no such table
                    return None
                self._tables[name] = table
            return table

    def embedder_of(self, organization_id: str) -> tuple[str, int] | None:
        """(embedder id, dimension) the organization's table was made with, or None without a table."""
        table = self._open(organization_id)
        if table is None:
            return None
        metadata = table.schema.metadata or {}
        return metadata.get(META_EMBEDDER, b"").decode(), int(metadata.get(META_DIMENSION, b"0"))

    def _table_for(self, organization_id: str, embedder_id: str, dimension: int) -> Any:
        with self._lock:
            found = self.embedder_of(organization_id)
            if found is not None:
                if found != (embedder_id, dimension):
                    raise EmbedderMismatch(f"{found[0]}/{found[1]}", f"{embedder_id}/{dimension}")
                return self._tables[table_name(organization_id)]
            from lancedb.index import FTS

            table = self._db.create_table(table_name(organization_id), schema=schema(embedder_id, dimension),
                                          exist_ok=True)
            table.create_index("text_fold", config=FTS(language="Portuguese", stem=True, ascii_folding=True))
            self._tables[table_name(organization_id)] = table
            return table

    def organizations(self) -> list[str]:
        names: list[str] = []
        token = None
        while True:
            page = self._db.list_tables(page_token=token, limit=1000)
            names += page.tables
            token = page.page_token
            if not token:
                break
        return [n.removeprefix(TABLE_PREFIX) for n in names if n.startswith(TABLE_PREFIX)]

    def drop(self, organization_id: str) -> None:
        name = table_name(organization_id)
        with self._lock:
            self._tables.pop(name, None)
            self._optimized_at.pop(name, None)
            self._forget_readers(organization_id)
            try:
                self._db.drop_table(name)
            except (ValueError, FileNotFoundError):
                pass

    # --- writes ---

    def add(self, organization_id: str, embedder_id: str, dimension: int, rows: Sequence[ChunkRow]) -> None:
        if not rows:
            return
        import pyarrow as pa

        table = self._table_for(organization_id, embedder_id, dimension)
        vectors = np.asarray([r.vector for r in rows], dtype=np.float32).reshape(len(rows), dimension)
        batch = pa.table({
            "chunk_id": [r.chunk_id for r in rows],
            "file_id": [r.file_id for r in rows],
            "filename": [r.filename for r in rows],
            "chunk_index": pa.array([r.chunk_index for r in rows], pa.int32()),
            "heading": [r.heading for r in rows],
            "text": [r.text for r in rows],
            "text_fold": [fold(f"{r.heading}\n{r.text}") for r in rows],
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), dimension),
        }, schema=table.schema)
        table.add(batch)

    def delete_file(self, organization_id: str, file_id: str) -> None:
        table = self._open(organization_id)
        if table is not None:
            if not _ID.match(file_id):
                raise ValueError(f"not a file id: {file_id!r}")
            table.delete(f"file_id = '{file_id}'")

    def file_ids(self, organization_id: str) -> set[str]:
        """Every file id with chunks in the organization's table."""
        table = self._open(organization_id)
        rows = table.count_rows() if table is not None else 0
        if table is None or not rows:
            return set()
        column = table.search().select(["file_id"]).limit(rows).to_arrow().column("file_id")
        return set(column.unique().to_pylist())

    def count(self, organization_id: str, file_id: str | None = None) -> int:
        table = self._open(organization_id)
        if table is None:
            return 0
        if file_id is not None and not _ID.match(file_id):
            raise ValueError(f"not a file id: {file_id!r}")
        return int(table.count_rows(f"file_id = '{file_id}'" if file_id else None))

    def maintain(self, organization_id: str) -> None:
        """After writes: compact when versions piled up (that also folds new rows into the indexes),
        and give a table that grew large its vector index. Slow (seconds to a minute): call it off
        the request path."""
        table = self._open(organization_id)
        if table is None:
            return
        name = table_name(organization_id)
        if table.version - self._optimized_at.get(name, 0) >= OPTIMIZE_EVERY_VERSIONS:
            table.optimize(cleanup_older_than=KEEP_OLD_VERSIONS)
            self._optimized_at[name] = table.version
        if name not in self._indexing and not _has_vector_index(table) and \
                table.count_rows() >= VECTOR_INDEX_MIN_ROWS:
            self._indexing.add(name)
            try:
                build_vector_index(table)
            finally:
                self._indexing.discard(name)

    # --- search: LanceDB's asyncio API (Rust futures on the event loop; no thread, no blocking) ---

    async def _reader(self, organization_id: str) -> Any | None:
        """The organization's table on a read connection of the running loop (checked for new
        versions on every read, so writes through the synchronous connection show at once)."""
        loop = asyncio.get_running_loop()
        name = table_name(organization_id)
        held = self._readers.get(id(loop))
        if held is None or held[0] is not loop:
            connection = await _lancedb().connect_async(self.uri, read_consistency_interval=timedelta(0),
                                                        storage_options=self._storage_options)
            held = self._readers[id(loop)] = (loop, connection, {})
        tables = held[2]
        if name not in tables:
            try:
                tables[name] = await held[1].open_table(name)
            except (ValueError, FileNotFoundError):  # no table (yet)
                return None
        return tables[name]

    def _forget_readers(self, organization_id: str) -> None:
        for _, _, tables in self._readers.values():
            tables.pop(table_name(organization_id), None)

    async def search(self, organization_id: str, query: str, vector: Sequence[float] | None,
                     embedder_id: str | None, limit: int) -> list[Hit]:
        """Hybrid search of one organization's chunks: the full-text and the vector halves at once.
        `vector` (the query embedded by `embedder_id`) is left out while the table holds another
        embedder's vectors (being re-indexed): words alone meanwhile."""
        for attempt in range(2):
            table = await self._reader(organization_id)
            if table is None or limit <= 0:
                return []
            try:
                return await self._search(table, query, vector, embedder_id, limit)
            except (ValueError, OSError, RuntimeError):
                if attempt:  # the table was dropped and made anew (re-index): open it again, once
                    raise
                self._forget_readers(organization_id)
        return []

    async def _search(self, table: Any, query: str, vector: Sequence[float] | None, embedder_id: str | None,
                      limit: int) -> list[Hit]:
        depth = max(CANDIDATES, limit * 2)
        folded = fold(query)
        searches = []
        if re.search(r"\w", folded):
            searches.append(table.query().nearest_to_text(folded, columns=["text_fold"])
                            .select([*_COLUMNS, "vector", "_score"]).limit(depth).to_arrow())
        if vector is not None:
            metadata = (await table.schema()).metadata or {}
            made_by = (metadata.get(META_EMBEDDER, b"").decode(), int(metadata.get(META_DIMENSION, b"0")))
            if made_by == (embedder_id, len(vector)):
                searches.append(table.query().nearest_to(np.asarray(vector, dtype=np.float32))
                                .distance_type("cosine").ef(VECTOR_EF).select([*_COLUMNS, "_distance"])
                                .limit(depth).to_arrow())
            else:
                vector = None
        results = list(await asyncio.gather(*searches))
        nearest = _vector_hits(results.pop()) if vector is not None else None
        keyword = _keyword_hits(results.pop()) if results else []
        return fuse(keyword, nearest, vector, limit)


def _keyword_hits(found: Any) -> list[Hit]:
    """Full-text (BM25) matches, best first, each with its vector (straight from Arrow into numpy:
    making Python floats of them would cost more than the query)."""
    if not found.num_rows:
        return []
    matrix = found.column("vector").combine_chunks().values.to_numpy(zero_copy_only=False)
    matrix = matrix.reshape(found.num_rows, -1)
    hits = []
    for rank, row in enumerate(found.select(_COLUMNS).to_pylist(), 1):
        hit = _hit(row)
        hit.keyword_rank, hit._vector = rank, matrix[rank - 1]
        hits.append(hit)
    return hits


def _vector_hits(found: Any) -> list[Hit]:
    """Nearest neighbours by cosine, best first (HNSW when the table has the index, else a flat scan)."""
    hits = []
    for rank, row in enumerate(found.select([*_COLUMNS, "_distance"]).to_pylist(), 1):
        hit = _hit(row)
        hit.vector_rank, hit.similarity = rank, 1.0 - float(row["_distance"])
        hits.append(hit)
    return hits


def fuse(keyword: list[Hit], nearest: list[Hit] | None, vector: Sequence[float] | None, limit: int) -> list[Hit]:
    """Reciprocal-rank fusion (k=60) of the two ranked lists, scaled to 0..1; each hit's cosine
    similarity to the query (computed for the word-only matches from their vectors)."""
    hits: dict[str, Hit] = {}
    for hit in keyword:
        hits[hit.chunk_id] = hit
    for hit in nearest or []:
        found = hits.get(hit.chunk_id)
        if found is None:
            hits[hit.chunk_id] = hit
        else:
            found.vector_rank, found.similarity = hit.vector_rank, hit.similarity
    query_vector = np.asarray(vector, dtype=np.float32) if vector is not None else None
    best = 2.0 / (RRF_K + 1)
    for hit in hits.values():
        if query_vector is not None and hit.similarity is None and hit._vector is not None:
            hit.similarity = _cosine(hit._vector, query_vector)
        fused = sum(1.0 / (RRF_K + rank) for rank in (hit.keyword_rank, hit.vector_rank) if rank)
        hit.score = round(fused / best, 6)
        hit._vector = None
    ranked = sorted(hits.values(), key=lambda h: (-h.score, -(h.similarity or 0.0), h.chunk_id))
    return ranked[:limit]


def _hit(row: dict[str, Any]) -> Hit:
    return Hit(chunk_id=row["chunk_id"], file_id=row["file_id"], filename=row["filename"],
               chunk_index=int(row["chunk_index"]), heading=row["heading"], text=row["text"])


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b) / norms) if norms else 0.0


def _has_vector_index(table: Any) -> bool:
    return any("vector" in index.columns for index in table.list_indices())


def build_vector_index(table: Any) -> None:
    """HNSW over scalar-quantized vectors, cosine (measured in bench/knowledge.py)."""
    from lancedb.index import HnswSq

    table.create_index("vector", config=HnswSq(distance_type="cosine"))


# --- the process's store, and async access ---------------------------------------------------------

_stores: dict[str, KnowledgeStore] = {}
_stores_lock = threading.Lock()


def get_store() -> KnowledgeStore:
    settings = get_settings()
    uri = settings.resolved_lancedb_uri
    with _stores_lock:
        store = _stores.get(uri)
        if store is None:
            store = _stores[uri] = KnowledgeStore(uri, storage_options=settings.lancedb_storage_options)
    return store


async def add(organization_id: str, embedder_id: str, dimension: int, rows: Sequence[ChunkRow]) -> None:
    await threads.run_in(threads.LANCE, get_store().add, organization_id, embedder_id, dimension, rows)


async def delete_file(organization_id: str, file_id: str) -> None:
    await threads.run_in(threads.LANCE, get_store().delete_file, organization_id, file_id)


async def search(organization_id: str, query: str, vector: Sequence[float] | None, embedder_id: str | None,
                 limit: int) -> list[Hit]:
    return await get_store().search(organization_id, query, vector, embedder_id, limit)


async def embedder_of(organization_id: str) -> tuple[str, int] | None:
    return await threads.run_in(threads.LANCE, get_store().embedder_of, organization_id)


async def drop(organization_id: str) -> None:
    await threads.run_in(threads.LANCE, get_store().drop, organization_id)


async def organizations() -> list[str]:
    return await threads.run_in(threads.LANCE, get_store().organizations)


async def count(organization_id: str, file_id: str | None = None) -> int:
    return await threads.run_in(threads.LANCE, get_store().count, organization_id, file_id)


async def maintain(organization_id: str) -> None:
    await threads.run_in(threads.LANCE, get_store().maintain, organization_id)


async def file_ids(organization_id: str) -> set[str]:
    return await threads.run_in(threads.LANCE, get_store().file_ids, organization_id)
