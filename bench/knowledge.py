"""Knowledge base: ingestion throughput and hybrid search latency.

Ingest: one Markdown file of INGEST_CHUNKS chunks (about 1,000 characters each, pt-BR and
English) through the whole pipeline (upload checks → private storage → row → worker: extract,
chunk, embed, LanceDB write with its full-text index, progress written and published), in
chunks/s, against the embedder alone on the same chunk texts in the same batches in the same run.
`pipeline_own_ms` is the pipeline's time outside the embedder, `overhead_%` that over the
embedder alone (see `_ingest_row`). Twice: with the offline USE model, and with
OpenAI's embeddings API served by the fake OpenAI server (tests/fakes/openai_server.py, in its
own process, 1536-d vectors in base64 as the SDK asks).

Search: SEARCH_CHUNKS chunks (512-d, like USE; vectors clustered around topics, texts drawn from
a Zipf vocabulary) in one organization's table, SEARCH_QUERIES queries: our hybrid search (vector
+ full-text on the folded text, reciprocal-rank fusion: store.search) without a vector index
(flat scan) and with the HNSW index the store builds past VECTOR_INDEX_MIN_ROWS; LanceDB's own
hybrid query with its RRFReranker for comparison; recall@10 of the indexed vector search against
the flat one. Targets: p50 ≤ 15 ms, p99 ≤ 50 ms. Costly (about 3 minutes of both cores): run it
when the search path changes.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
INGEST_CHUNKS = 150
REPEATS = 3
# `BENCH_KNOWLEDGE_SEARCH=0 python -m bench knowledge` measures ingestion only (the search part
# builds a 100k-chunk index: minutes of both cores).
SEARCH_CHUNKS = 100_000
SEARCH_QUERIES = 200
FLAT_QUERIES = 50  # a flat scan of 100k rows is slow: fewer queries
DIMENSION = 512
TARGET_P50_MS = 15.0
TARGET_P99_MS = 50.0
TARGET_OVERHEAD_PERCENT = 10.0

_WORDS_PT = ("cliente produto pedido entrega prazo devolução reembolso troca garantia pagamento cartão boleto pix "
             "frete transportadora endereço cadastro senha conta assinatura plano cancelamento nota fiscal cupom "
             "desconto estoque tamanho cor modelo loja atendimento horário suporte").split()
_WORDS_EN = ("customer order delivery refund return exchange warranty payment card shipping address account "
             "password subscription plan cancel invoice coupon discount stock size colour store support hours").split()


def _prose(rng: random.Random, words: list[str], sentences: int) -> str:
    out = []
    for _ in range(sentences):
        n = rng.randint(8, 18)
        out.append(" ".join(rng.choice(words) for _ in range(n)).capitalize() + ".")
    return " ".join(out)


def _ingest_document(chunks: int) -> str:
    rng = random.Random(7)
    parts = ["# Central de ajuda\n"]
    for section in range(chunks):
        words = _WORDS_PT if section % 3 else _WORDS_EN
        parts.append(f"## Seção {section}\n\n{_prose(rng, words, 7)[:950]}\n")
    return "\n".join(parts)


# --- environment ---------------------------------------------------------------------------------

class _Sandbox:
    """A data directory, SQLite database and LanceDB directory of the bench's own."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="livchat-bench-knowledge-"))
        os.environ.update({"LIVCHAT_DATA_DIR": str(self.root), "LIVCHAT_ENV_FILE": "",
                           "DATABASE_URL": f"sqlite:///{self.root / 'bench.db'}",
                           "LIVCHAT_LANCEDB_URI": str(self.root / "lancedb"),
                           "LIVCHAT_SECRET_KEY": "bench-secret-key"})
        self.configure()

    def configure(self, **values: str) -> None:
        from livchat.core.settings import reset_settings_cache

        os.environ.update(values)
        reset_settings_cache()

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_fake_openai(*, agent: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    """The fake OpenAI server in its own process; `agent`: its chat answers as a support agent would."""
    import httpx

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.openai_server", str(port), "1536",
                             *(["agent"] if agent else [])], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/models", timeout=1)
            return proc, base
        except httpx.TransportError:
            time.sleep(0.05)  # readiness of another process
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("fake OpenAI server did not start")


# --- ingest ----------------------------------------------------------------------------------------

async def _organization() -> Any:
    from livchat.core.db import db
    from livchat.core.ids import new_id
    from livchat.models.accounts import Organization
    from livchat.models.enums import Role
    from livchat.services.actors import Actor

    async with db.session() as session:
        org = Organization(id=new_id("org"), name="Bench", slug=new_id("bench"))
        session.add(org)
        await session.commit()
    return Actor(organization_id=org.id, role=Role.ADMIN)


async def _ingest_row(label: str) -> dict[str, Any]:
    """The embedder alone, then the whole pipeline with the time spent inside the embedder clocked,
    alternated REPEATS times. The pipeline's own cost is its time minus its embedding time; the
    overhead is that cost over the embedder alone (both best of REPEATS: the machine is shared, and
    a difference of two noisy totals would mostly measure the noise)."""
    from livchat.core.settings import get_settings
    from livchat.services.knowledge import files, ingestion
    from livchat.services.knowledge.chunking import chunk_blocks
    from livchat.services.knowledge.embedders import get_embedder
    from livchat.services.knowledge.extract import markdown_blocks

    document = _ingest_document(INGEST_CHUNKS)
    settings = get_settings()
    chunks = chunk_blocks(markdown_blocks(document), settings.knowledge_chunk_chars, settings.knowledge_chunk_overlap)
    embedder = get_embedder()
    await embedder.warm()
    texts = [c.for_embedding for c in chunks]
    embedding = [0.0]
    embed = embedder.embed

    async def clocked(batch: Any) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return await embed(batch)
        finally:
            embedding[0] += time.perf_counter() - started

    embedder.embed = clocked  # type: ignore[method-assign]  # the pipeline gets this same instance
    try:
        # Steady state: the first file of a process also imports LanceDB and creates the table.
        await files.upload_file(await _organization(), "warm-up.md", b"# Warm-up\n\nOne passage.")
        await ingestion.run_until_idle()
        alone, pipeline, own = [], [], []
        for _ in range(REPEATS):
            started = time.perf_counter()
            for start in range(0, len(texts), embedder.batch_size):
                await embed(texts[start:start + embedder.batch_size])
            alone.append(time.perf_counter() - started)
            actor = await _organization()
            embedding[0] = 0.0
            started = time.perf_counter()
            out = await files.upload_file(actor, "central.md", document.encode())
            await ingestion.run_until_idle()
            pipeline.append(time.perf_counter() - started)
            own.append(pipeline[-1] - embedding[0])
            done = await files.get_file(actor, out.id)
            assert done.status == "ready" and done.chunk_count == len(chunks), done
    finally:
        del embedder.embed
    overhead = min(own) / min(alone) * 100
    return {"what": f"ingest, {label}", "n": len(chunks), "seconds": round(min(pipeline), 2),
            "per_s": round(len(chunks) / min(pipeline), 1), "embedder_alone_per_s": round(len(chunks) / min(alone), 1),
            "pipeline_own_ms": round(min(own) * 1000), "overhead_%": round(overhead, 1), "p50_ms": "", "p99_ms": "",
            "target": f"overhead ≤ {TARGET_OVERHEAD_PERCENT:g} %: {'ok' if overhead <= TARGET_OVERHEAD_PERCENT else 'MISSED'}"}


# --- search ----------------------------------------------------------------------------------------

def _vocabulary(rng: random.Random, size: int = 20_000) -> tuple[list[str], np.ndarray]:
    syllables = ["ba", "ce", "di", "fo", "gu", "la", "me", "ni", "po", "qu", "ra", "se", "ti", "vo", "xa", "zu",
                 "ção", "ões", "ém", "ar", "er", "ir", "or", "an", "en"]
    words = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(size * 2)})[:size]
    weights = 1.0 / np.arange(1, len(words) + 1)  # Zipf
    return words, weights / weights.sum()


def _search_corpus(rng: random.Random, np_rng: np.random.Generator, n: int) -> tuple[list[Any], np.ndarray, list[str]]:
    from livchat.services.knowledge.store import ChunkRow

    words, weights = _vocabulary(rng)
    topics = np_rng.normal(size=(1000, DIMENSION)).astype(np.float32)
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    topic_of = np_rng.integers(0, len(topics), size=n)
    vectors = topics[topic_of] + 0.35 * np_rng.normal(size=(n, DIMENSION)).astype(np.float32) / np.sqrt(DIMENSION) * 8
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    drawn = np_rng.choice(len(words), size=(n, 150), p=weights)
    texts = [" ".join(words[i] for i in row) for row in drawn]
    rows = [ChunkRow(chunk_id=f"kf_{i // 1000:05d}:{i % 1000}", file_id=f"kf_{i // 1000:05d}", filename=f"doc{i // 1000}.md",
                     chunk_index=i % 1000, heading=f"Section {i % 50}", text=texts[i], vector=vectors[i])
            for i in range(n)]
    return rows, vectors, texts


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (round(statistics.median(ordered) * 1000, 1),
            round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1))


def _search_rows() -> list[dict[str, Any]]:
    from livchat.services.knowledge import (
        store,  # first: it quiets LanceDB's log before lancedb loads
    )

    from lancedb.rerankers import RRFReranker  # isort: skip
    from livchat.core.text import fold

    rng, np_rng = random.Random(11), np.random.default_rng(11)
    rows, vectors, texts = _search_corpus(rng, np_rng, SEARCH_CHUNKS)
    kb = store.get_store()
    organization = "org_bench"
    started = time.perf_counter()
    for start in range(0, len(rows), 10_000):
        kb.add(organization, "bench-512", DIMENSION, rows[start:start + 10_000])
    table = kb._open(organization)
    table.optimize()  # what maintain() does as writes accumulate: new rows into the full-text index
    load = time.perf_counter() - started
    picks = np_rng.integers(0, len(rows), size=SEARCH_QUERIES)
    queries = [(" ".join(texts[i].split()[j] for j in np_rng.integers(0, 150, size=4)),
                (vectors[i] + 0.05 * np_rng.normal(size=DIMENSION) / np.sqrt(DIMENSION) * 8).astype(np.float32))
               for i in picks]

    def side_by_side(count: int, ef: int | None) -> tuple[list[float], list[float]]:
        """Ours (what the app runs: store.search, its two halves on two threads at once) and
        LanceDB's hybrid query with RRFReranker, alternated query by query so both see the same
        load on a shared machine."""
        reranker = RRFReranker()

        async def measure() -> tuple[list[float], list[float]]:
            ours, theirs = [], []
            for text, vector in queries[:count]:
                t = time.perf_counter()
                await store.search(organization, text, vector, "bench-512", 10)
                ours.append(time.perf_counter() - t)
                t = time.perf_counter()
                builder = (table.search(query_type="hybrid", vector_column_name="vector", fts_columns="text_fold")
                           .vector(vector).text(fold(text)).distance_type("cosine"))
                if ef:
                    builder = builder.ef(ef)
                builder.rerank(reranker).select(["chunk_id", "text"]).limit(10).to_list()
                theirs.append(time.perf_counter() - t)
            return ours, theirs

        return asyncio.run(measure())

    def vector_only(count: int, ef: int | None = None, refine: int | None = None) -> tuple[list[float], list[list[str]]]:
        times, found = [], []
        for _, v in queries[:count]:
            t = time.perf_counter()
            builder = (table.search(v, vector_column_name="vector").distance_type("cosine")
                       .select(["chunk_id", "_distance"]).limit(10))
            if ef:
                builder = builder.ef(ef)
            if refine:
                builder = builder.refine_factor(refine)
            found.append([r["chunk_id"] for r in builder.to_list()])
            times.append(time.perf_counter() - t)
        return times, found

    out: list[dict[str, Any]] = []

    def row(what: str, samples: list[float], extra: str = "") -> None:
        p50, p99 = _percentiles(samples)
        ok = p50 <= TARGET_P50_MS and p99 <= TARGET_P99_MS
        out.append({"what": what, "n": len(samples), "seconds": "", "per_s": "", "embedder_alone_per_s": "",
                    "pipeline_own_ms": "", "overhead_%": "", "p50_ms": p50, "p99_ms": p99,
                    "target": f"≤ {TARGET_P50_MS:g} / {TARGET_P99_MS:g} ms: {'ok' if ok else 'MISSED'}{extra}"})

    side_by_side(3, None)  # the first queries open files and warm caches
    flat_ours, flat_theirs = side_by_side(FLAT_QUERIES, None)
    _, flat_truth = vector_only(FLAT_QUERIES)
    row(f"hybrid RRF (ours), {SEARCH_CHUNKS:,} chunks, flat vectors", flat_ours, f"; loaded in {load:.0f} s")
    row("LanceDB hybrid + RRFReranker, flat", flat_theirs)
    started = time.perf_counter()
    store.build_vector_index(table)
    built = time.perf_counter() - started
    for ef, refine in ((None, None), (None, 2), (store.VECTOR_EF, None)):
        times, found = vector_only(FLAT_QUERIES, ef, refine)
        recall = statistics.mean(len(set(a) & set(b)) / 10 for a, b in zip(flat_truth, found, strict=True))
        row(f"vector part alone, HNSW-SQ, ef={ef or 'default'}, refine={refine or 'none'}", times,
            f"; recall@10 {recall:.2f}")
    side_by_side(3, store.VECTOR_EF)
    indexed_ours, indexed_theirs = side_by_side(SEARCH_QUERIES, store.VECTOR_EF)
    row(f"hybrid RRF (ours), {SEARCH_CHUNKS:,} chunks, HNSW-SQ index (ef={store.VECTOR_EF})", indexed_ours,
        f"; index built in {built:.0f} s")
    row(f"LanceDB hybrid + RRFReranker, HNSW-SQ (ef={store.VECTOR_EF})", indexed_theirs)
    return out


# --- run -------------------------------------------------------------------------------------------

def run() -> dict[str, object]:
    load_average = os.getloadavg()[0]
    sandbox = _Sandbox()
    fake, base = _start_fake_openai()
    try:
        from livchat.core import migrations
        from livchat.core.db import db

        db.configure(None)
        migrations.upgrade()
        rows = []
        sandbox.configure(LIVCHAT_EMBEDDER="use", OPENAI_API_KEY="")
        rows.append(asyncio.run(_ingest_row("offline USE model")))
        sandbox.configure(LIVCHAT_EMBEDDER="openai", OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=base)
        rows.append(asyncio.run(_ingest_row("OpenAI API (fake server, 1536-d)")))
        if os.environ.get("BENCH_KNOWLEDGE_SEARCH", "1") != "0":
            rows += _search_rows()
    finally:
        os.killpg(fake.pid, signal.SIGTERM)
        fake.wait(timeout=10)
        sandbox.close()
    return {"title": (f"Knowledge base: ingestion vs the embedder alone ({INGEST_CHUNKS} chunks of ~1,000 "
                      f"characters), hybrid search over {SEARCH_CHUNKS:,} chunks; load average at start "
                      f"{load_average:.1f} on {os.cpu_count()} cores"),
            "targets": {"overhead_percent": TARGET_OVERHEAD_PERCENT, "search_p50_ms": TARGET_P50_MS,
                        "search_p99_ms": TARGET_P99_MS},
            "rows": rows}


if __name__ == "__main__":
    from bench.__main__ import print_table

    result = run()
    print_table(str(result["title"]), result["rows"])  # type: ignore[arg-type]
