"""The ingestion pipeline and search, on both databases: upload → stages with progress → ready;
refusals leave nothing; delete, re-index on an embedder change, recovery after a crash; hybrid
search that ignores accents and never crosses organizations."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from livchat.core.db import db, utcnow
from livchat.models.enums import FileStatus, Role
from livchat.models.support import KnowledgeFile
from livchat.sandbox.testing import serve_in_thread
from livchat.services.actors import Actor
from livchat.services.errors import PermissionDenied
from livchat.services.knowledge import files, ingestion, search, store
from livchat.services.knowledge.errors import (
    FileTooLarge,
    UnreadableFile,
    UnsafeKnowledgeUrl,
    UnsupportedFileType,
    UrlUnreachable,
)
from livchat.services.knowledge.events import KnowledgeFileChanged
from tests.fakes.openai_server import FakeOpenAI
from tests.knowledge.conftest import Environment, make_organization
from tests.knowledge.knowledge_support import (
    PNG,
    file_rows,
    make_docx,
    make_pdf,
    nothing_stored,
    stored_files,
)

HELP_CENTRE = """# Central de ajuda

## Política de devolução

Você pode devolver qualquer produto em até 7 dias corridos após o recebimento. A devolução é gratuita
pelos Correios e o reembolso é feito no mesmo cartão em até 5 dias úteis.

## Entrega

Enviamos para todo o Brasil. Capitais recebem em 2 dias úteis e o interior em até 6 dias úteis.

## Shipping to other countries

We ship worldwide with tracked delivery. International orders arrive within 15 business days.
"""


async def ingest(actor: Actor, name: str, data: bytes) -> str:
    out = await files.upload_file(actor, name, data)
    await ingestion.run_until_idle()
    return out.id


async def row_of(file_id: str) -> KnowledgeFile:
    async with db.session() as session:
        row = await session.get(KnowledgeFile, file_id, populate_existing=True)
        assert row is not None
        return row


async def test_an_upload_goes_through_every_stage_to_ready(admin: Actor,
                                                           file_events: list[KnowledgeFileChanged]) -> None:
    out = await files.upload_file(admin, "ajuda.md", HELP_CENTRE.encode())
    assert (out.status, out.stage, out.progress, out.content_type) == ("processing", "queued", 0, "text/markdown")
    assert (await row_of(out.id)).status == FileStatus.PENDING
    assert await ingestion.run_until_idle() == 1
    row = await row_of(out.id)
    assert (row.status, row.stage, row.progress, row.error) == (FileStatus.READY, "done", 100, None)
    assert row.chunk_count == 3 and row.embedder == "hashed-v1-384" and row.attempts == 1
    mine = [e.file for e in file_events if e.file_id == out.id]
    assert all(e.organization_id == admin.organization_id for e in file_events)
    stages = [f["stage"] for f in mine if f]
    assert stages[0] == "queued" and stages[-1] == "done"
    assert [s for s in dict.fromkeys(stages)] == ["queued", "extract", "chunk", "embed", "write", "done"]
    progress = [f["progress"] for f in mine if f]
    assert progress == sorted(progress) and progress[-1] == 100  # only forward
    assert mine[-1]["status"] == "ready" and mine[-1]["chunkCount"] == 3
    assert await store.count(admin.organization_id, out.id) == 3


async def test_every_kind_of_file_is_searchable(admin: Actor) -> None:
    await ingest(admin, "manual.pdf", make_pdf(["Garantia\nO produto tem garantia de 12 meses contra defeitos."]))
    await ingest(admin, "trocas.docx", make_docx([(1, "Trocas"), (0, "Trocas de tamanho são gratuitas.")]))
    await ingest(admin, "horario.txt", "Atendimento de segunda a sexta, das 9h às 18h.".encode("cp1252"))
    await ingest(admin, "pagina.html", b"<html><body><h1>Cupom</h1><p>Use o cupom BEMVINDO10.</p></body></html>")
    rows = await file_rows(admin.organization_id)
    assert {r.status for r in rows} == {FileStatus.READY}
    for query, filename in [("garantia de quantos meses", "manual.pdf"), ("troca de tamanho", "trocas.docx"),
                            ("horario de atendimento", "horario.txt"), ("cupom de desconto", "pagina.html")]:
        hits = await search.search(admin, query)
        assert hits and hits[0].filename == filename, (query, [h.filename for h in hits])


async def test_search_ignores_accents_in_portuguese_and_finds_english(admin: Actor) -> None:
    file_id = await ingest(admin, "ajuda.md", HELP_CENTRE.encode())
    hits = await search.search(admin, "devolucao", limit=3)  # no accents: the text has "devolução"
    assert hits[0].heading == "Central de ajuda > Política de devolução" and "7 dias corridos" in hits[0].text
    assert hits[0].file_id == file_id and hits[0].chunk_id == f"{file_id}:0" and hits[0].filename == "ajuda.md"
    assert 0 < hits[0].score <= 1 and hits[0].similarity is not None
    assert (await search.search(admin, "REEMBOLSO cartão"))[0].heading.endswith("Política de devolução")
    english = await search.search(admin, "international delivery worldwide", limit=2)
    assert english[0].heading.endswith("Shipping to other countries")
    assert len(await search.search(admin, "entrega", limit=1)) == 1


async def test_one_organization_never_finds_anothers_chunks(database: str) -> None:
    a, b = await make_organization("A"), await make_organization("B")
    await ingest(a, "a.md", b"# Segredo da A\n\nO cofre da empresa A abre com a senha girassol.")
    await ingest(b, "b.md", b"# Loja B\n\nA loja B vende bicicletas.")
    assert [h.filename for h in await search.search(a, "senha do cofre girassol")] == ["a.md"]
    found_by_b = await search.search(b, "senha do cofre girassol", limit=20)
    a_file = (await file_rows(a.organization_id))[0].id
    assert [h.filename for h in found_by_b] == ["b.md"] and all(h.file_id != a_file for h in found_by_b)
    assert "girassol" not in " ".join(h.text for h in found_by_b)
    c = await make_organization("C")  # no knowledge base at all
    assert await search.search(c, "girassol") == []


@pytest.mark.parametrize(("name", "data", "error", "reason"), [
    ("empty.txt", b"", UnreadableFile, "empty"),
    ("blank.md", b"\n\n   \n", UnreadableFile, "empty"),
    ("scan.pdf", make_pdf([None, None, None]), UnreadableFile, "no_text"),
    ("locked.pdf", make_pdf(["segredo"], user_password="x"), UnreadableFile, "encrypted"),
    ("broken.pdf", make_pdf(["texto"])[:350], UnreadableFile, "corrupt"),
    ("broken.docx", make_docx([(0, "texto")])[:500], UnreadableFile, "corrupt"),
    ("photo.png", PNG, UnsupportedFileType, "unsupported_type"),
    ("photo.pdf", PNG, UnsupportedFileType, "unsupported_type"),
])
async def test_refused_files_leave_nothing_behind(admin: Actor, name: str, data: bytes, error: type,
                                                  reason: str) -> None:
    with pytest.raises(error) as refused:
        await files.upload_file(admin, name, data)
    assert refused.value.reason == reason
    assert await ingestion.run_until_idle() == 0
    assert await nothing_stored(admin.organization_id)


async def test_a_pdf_renamed_png_is_read_as_the_pdf_it_is(admin: Actor) -> None:
    file_id = await ingest(admin, "scan.png", make_pdf(["Nota fiscal emitida em até 24 horas."]))
    row = await row_of(file_id)
    assert (row.status, row.content_type, row.filename) == (FileStatus.READY, "application/pdf", "scan.png")


async def test_an_oversized_file_is_refused_before_it_is_read(admin: Actor, env: Environment) -> None:
    env.set(LIVCHAT_KNOWLEDGE_MAX_FILE_MB="0.001")
    with pytest.raises(FileTooLarge) as refused:
        await files.upload_file(admin, "big.txt", b"a " * 600)
    assert refused.value.status == 413 and "0.001 MB" in refused.value.detail
    assert await nothing_stored(admin.organization_id)


async def test_operators_read_but_only_admins_change_the_knowledge_base(admin: Actor) -> None:
    operator = Actor(organization_id=admin.organization_id, role=Role.MEMBER)
    with pytest.raises(PermissionDenied):
        await files.upload_file(operator, "a.txt", b"hello")
    file_id = await ingest(admin, "a.txt", b"hello world")
    assert [f.id for f in (await files.list_files(operator))[0]] == [file_id]
    assert (await search.search(operator, "hello"))[0].file_id == file_id
    with pytest.raises(PermissionDenied):
        await files.delete_file(operator, file_id)
    assert len(await file_rows(admin.organization_id)) == 1


async def test_delete_removes_the_row_the_copy_and_every_chunk(admin: Actor,
                                                               file_events: list[KnowledgeFileChanged]) -> None:
    keep = await ingest(admin, "keep.md", b"# Horario\n\nAbrimos as 9h.")
    gone = await ingest(admin, "ajuda.md", HELP_CENTRE.encode())
    assert await store.count(admin.organization_id, gone) == 3 and len(stored_files(admin.organization_id)) == 2
    await files.delete_file(admin, gone)
    assert await store.count(admin.organization_id, gone) == 0
    assert await store.count(admin.organization_id, keep) == 1
    assert [p.name for p in stored_files(admin.organization_id)] == [keep]
    assert [r.id for r in await file_rows(admin.organization_id)] == [keep]
    assert all(h.file_id == keep for h in await search.search(admin, "devolução reembolso", limit=20))
    assert file_events[-1].file_id == gone and file_events[-1].file is None


async def test_a_file_deleted_while_it_is_ingested_leaves_no_chunk(admin: Actor) -> None:
    out = await files.upload_file(admin, "ajuda.md", HELP_CENTRE.encode())
    claimed = await ingestion.claim_next()
    assert claimed is not None and claimed.id == out.id
    await files.delete_file(admin, out.id)  # the run is between its claim and its first write
    await ingestion.process(claimed)
    assert await store.count(admin.organization_id, out.id) == 0 and await file_rows(admin.organization_id) == []


async def test_a_crash_mid_ingest_is_recovered_at_start_up(admin: Actor) -> None:
    out = await files.upload_file(admin, "ajuda.md", HELP_CENTRE.encode())
    claimed = await ingestion.claim_next()
    assert claimed is not None and claimed.status == FileStatus.PROCESSING
    # The process dies here: half its chunks written, the row left `processing`, its heartbeat stops.
    await store.add(admin.organization_id, "hashed-v1-384", 384,
                    [store.ChunkRow("stale:0", out.id, "ajuda.md", 0, "", "half", [1.0] + [0.0] * 383)])
    assert await ingestion.run_until_idle() == 0  # its lease has not lapsed yet: nobody steals it
    await _age(out.id, ingestion.LEASE + timedelta(seconds=1))
    assert await ingestion.run_until_idle() == 1  # what start-up's workers do
    row = await row_of(out.id)
    assert (row.status, row.progress, row.attempts, row.chunk_count) == (FileStatus.READY, 100, 2, 3)
    assert await store.count(admin.organization_id, out.id) == 3  # the half-written run's chunk replaced


async def test_a_file_that_keeps_killing_its_run_is_failed_not_retried_forever(admin: Actor) -> None:
    out = await files.upload_file(admin, "ajuda.md", HELP_CENTRE.encode())
    for _ in range(ingestion.MAX_ATTEMPTS):
        assert await ingestion.claim_next() is not None
        await _age(out.id, ingestion.LEASE * 2)
    assert await ingestion.claim_next() is None
    row = await row_of(out.id)
    assert (row.status, row.error_code) == (FileStatus.FAILED, "interrupted")
    assert (await files.get_file(admin, out.id)).error.startswith("Processing was interrupted")


async def test_a_clean_shutdown_hands_the_file_back(admin: Actor) -> None:
    out = await files.upload_file(admin, "ajuda.md", HELP_CENTRE.encode())
    claimed = await ingestion.claim_next()
    assert claimed is not None
    run = ingestion._Run(claimed)
    await run.release()
    row = await row_of(out.id)
    assert (row.status, row.attempts) == (FileStatus.PENDING, 0)
    assert await ingestion.run_until_idle() == 1 and (await row_of(out.id)).status == FileStatus.READY


async def _age(file_id: str, by: timedelta) -> None:
    async with db.session() as session:
        await session.exec(update(KnowledgeFile).where(KnowledgeFile.id == file_id)  # type: ignore[call-overload]
                           .values(updated_at=utcnow() - by))
        await session.commit()


async def test_a_change_of_embedder_re_indexes_every_file(admin: Actor, env: Environment,
                                                          fake_openai: FakeOpenAI) -> None:
    first = await ingest(admin, "ajuda.md", HELP_CENTRE.encode())
    second = await ingest(admin, "horario.txt", b"Atendimento das 9h as 18h.")
    assert await store.embedder_of(admin.organization_id) == ("hashed-v1-384", 384)
    env.set(**fake_openai.environment(), LIVCHAT_EMBEDDER="auto", OPENAI_EMBEDDING_MODEL="text-embedding-3-small")
    fake_openai.embeddings.dimension = 1536
    counts = await ingestion.reconcile()  # at start-up
    assert counts["reindexed"] == 1 and counts["requeued"] == 2
    assert {r.status for r in await file_rows(admin.organization_id)} == {FileStatus.PENDING}
    assert await store.embedder_of(admin.organization_id) is None
    assert await ingestion.run_until_idle() == 2
    for file_id, chunks in ((first, 3), (second, 1)):
        row = await row_of(file_id)
        assert (row.status, row.embedder, row.chunk_count) == (FileStatus.READY, "openai:text-embedding-3-small", chunks)
    assert await store.embedder_of(admin.organization_id) == ("openai:text-embedding-3-small", 1536)
    assert {r["encoding_format"] for r in fake_openai.embeddings.requests} == {"base64"}
    hits = await search.search(admin, "devolucao")
    assert hits[0].heading.endswith("Política de devolução")
    assert await ingestion.reconcile() == {"reindexed": 0, "requeued": 0, "dropped": 0, "orphans": 0}


async def test_embedding_failures_fail_the_file_and_search_falls_back_to_words(admin: Actor, env: Environment,
                                                                               fake_openai: FakeOpenAI) -> None:
    env.set(**fake_openai.environment(), LIVCHAT_EMBEDDER="openai")
    ok = await ingest(admin, "ajuda.md", HELP_CENTRE.encode())
    fake_openai.fail_next("/v1/embeddings", status=500, times=10)  # the SDK retries twice on its own
    failed = await ingest(admin, "outro.txt", b"Outro texto qualquer.")
    row = await row_of(failed)
    assert (row.status, row.error_code, row.chunk_count) == (FileStatus.FAILED, "embedding_failed", 0)
    hits = await search.search(admin, "devolução")  # the query's embedding fails too: words alone
    assert hits and hits[0].file_id == ok and hits[0].similarity is None


async def test_reconcile_sweeps_orphan_chunks_and_tables_of_deleted_organizations(admin: Actor) -> None:
    file_id = await ingest(admin, "a.md", b"# A\n\nTexto.")
    await store.add(admin.organization_id, "hashed-v1-384", 384,
                    [store.ChunkRow("kf_gone:0", "kf_gone", "gone.md", 0, "", "orphan text", [1.0] + [0.0] * 383)])
    await store.add("org_deleted", "hashed-v1-384", 384,
                    [store.ChunkRow("kf_x:0", "kf_x", "x.md", 0, "", "x", [1.0] + [0.0] * 383)])
    counts = await ingestion.reconcile()
    assert counts["orphans"] == 1 and counts["dropped"] == 1
    assert await store.count(admin.organization_id) == 1 and await store.count(admin.organization_id, file_id) == 1
    assert "org_deleted" not in await store.organizations()


# --- import by URL ------------------------------------------------------------------------------

async def _page(request: Request) -> Response:
    pages = {
        "/help": (200, "text/html; charset=iso-8859-1",
                  "<html><head><title>Central de Ajuda</title></head><body><h1>Devoluções</h1>"
                  "<p>Devolução grátis em até 30 dias.</p></body></html>".encode("latin-1")),
        "/manual.pdf": (200, "application/pdf", make_pdf(["Manual: ligue o aparelho na tomada."])),
        "/missing": (404, "text/html", b"<h1>Not found</h1>"),
        "/big": (200, "text/plain", b"x " * 5000),
    }
    status, content_type, body = pages.get(request.url.path, (404, "text/plain", b""))
    return Response(body, status_code=status, media_type=content_type)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve_in_thread(Starlette(routes=[Route("/{path:path}", _page)])) as base:
        yield base


async def test_a_page_imported_by_url_is_named_by_its_title(admin: Actor, env: Environment, site: str) -> None:
    env.set(LIVCHAT_WEBHOOK_ALLOW_PRIVATE="1")  # the test site is on 127.0.0.1
    out = await files.import_url(admin, f"{site}/help")
    assert (out.filename, out.source_url, out.content_type) == ("Central de Ajuda", f"{site}/help", "text/html")
    pdf = await files.import_url(admin, f"{site}/manual.pdf")
    assert (pdf.filename, pdf.content_type) == ("manual.pdf", "application/pdf")
    await ingestion.run_until_idle()
    hits = await search.search(admin, "devolucao gratis")
    assert hits[0].file_id == out.id and "30 dias" in hits[0].text and hits[0].heading == "Devoluções"
    assert (await search.search(admin, "tomada"))[0].file_id == pdf.id


async def test_urls_that_cannot_be_imported_store_nothing(admin: Actor, env: Environment, site: str) -> None:
    with pytest.raises(UnsafeKnowledgeUrl):  # private addresses are refused unless allowed
        await files.import_url(admin, f"{site}/help")
    for url in ("file:///etc/passwd", "http://169.254.169.254/latest/meta-data", "not a url"):
        with pytest.raises(UnsafeKnowledgeUrl):
            await files.import_url(admin, url)
    env.set(LIVCHAT_WEBHOOK_ALLOW_PRIVATE="1", LIVCHAT_KNOWLEDGE_MAX_FILE_MB="0.005")
    with pytest.raises(UrlUnreachable) as missing:
        await files.import_url(admin, f"{site}/missing")
    assert missing.value.reason == "url_status" and "404" in missing.value.detail
    with pytest.raises(FileTooLarge):
        await files.import_url(admin, f"{site}/big")
    with pytest.raises(UrlUnreachable):
        await files.import_url(admin, "http://127.0.0.1:9/nothing-listens-here")
    assert await nothing_stored(admin.organization_id)


# --- the app's lifespan --------------------------------------------------------------------------

async def test_the_lifespan_reconciles_then_ingests_uploads_live(admin: Actor, env: Environment) -> None:
    """Workers pick an upload up at once (no poll wait), and start-up re-indexes what another
    embedder indexed; nothing here calls the pipeline by hand."""
    from livchat.core.events import bus

    old = await ingest(admin, "antigo.md", b"# Antigo\n\nTexto indexado com outro embedder.")
    env.set(LIVCHAT_EMBEDDER="hashed")
    await store.drop(admin.organization_id)  # as if indexed by another embedder: its table gone,
    async with db.session() as session:       # its row still says the old embedder
        await session.exec(update(KnowledgeFile).where(KnowledgeFile.id == old)  # type: ignore[call-overload]
                           .values(embedder="use-m3@0.0.1"))
        await session.commit()
    ready: dict[str, asyncio.Event] = {}

    async def follow(event: KnowledgeFileChanged) -> None:
        if event.file and event.file["status"] == "ready":
            ready.setdefault(event.file_id, asyncio.Event()).set()

    unsubscribe = bus.subscribe(KnowledgeFileChanged, follow)
    try:
        async with ingestion.knowledge_lifespan():
            await asyncio.wait_for(ready.setdefault(old, asyncio.Event()).wait(), 20)
            new = await files.upload_file(admin, "novo.md", b"# Novo\n\nArquivo enviado com o app no ar.")
            await asyncio.wait_for(ready.setdefault(new.id, asyncio.Event()).wait(), 20)
    finally:
        unsubscribe()
    assert (await row_of(old)).embedder == "hashed-v1-384" and (await row_of(new.id)).status == FileStatus.READY
    assert (await search.search(admin, "arquivo enviado"))[0].file_id == new.id
