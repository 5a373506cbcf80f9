"""With LIVCHAT_STORAGE=s3 the knowledge base lives in the bucket — the uploaded file and the LanceDB
tables under `lancedb/` — so every app process (on any machine) reads and writes the same one.
Against moto's S3 server; the second process is played by a second store on the same URI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from livchat.core.settings import get_settings
from livchat.services.actors import Actor
from livchat.services.knowledge import files, ingestion, search, store
from tests.environment import environment
from tests.knowledge.conftest import make_organization
from tests.storage.conftest import Bucket

HELP = "# Entrega\n\nEnviamos para todo o Brasil em até 5 dias úteis; o frete é grátis acima de R$ 200.\n"


@pytest.fixture
def hashed_embedder(s3_env: Bucket) -> Iterator[Bucket]:
    with environment({"LIVCHAT_EMBEDDER": "hashed", "LIVCHAT_LANCEDB_URI": ""}):
        yield s3_env


async def test_files_and_tables_live_in_the_bucket_and_a_second_process_sees_them(
        database: str, hashed_embedder: Bucket) -> None:
    bucket = hashed_embedder
    settings = get_settings()
    assert settings.resolved_lancedb_uri == f"s3://{bucket.name}/lancedb"
    admin: Actor = await make_organization()

    uploaded = await files.upload_file(admin, "entrega.md", HELP.encode())
    assert await ingestion.run_until_idle() == 1
    assert (await files.get_file(admin, uploaded.id)).status == "ready"
    hits = await search.search(admin, "frete grátis")
    assert [h.filename for h in hits][:1] == ["entrega.md"]

    table_prefix = f"lancedb/{store.table_name(admin.organization_id)}.lance/"
    keys = bucket.keys()
    assert any(k.startswith(table_prefix + "data/") for k in keys), keys
    assert any(k.startswith(table_prefix + "_indices/") for k in keys), keys  # the full-text index too
    # Nothing of this organization on this machine's disk (other tests' tables may be there).
    assert not (settings.data_dir / "lancedb" / f"{store.table_name(admin.organization_id)}.lance").exists()

    # Another process sees writes within its read-consistency interval (2 s by default): 0 here, every read checks.
    other_process = store.KnowledgeStore(settings.resolved_lancedb_uri, read_consistency=timedelta(0),
                                         storage_options=settings.lancedb_storage_options)
    assert other_process.count(admin.organization_id) == store.get_store().count(admin.organization_id) > 0
    seen = await other_process.search(admin.organization_id, "frete grátis", None, None, 3)  # words alone
    assert seen and seen[0].file_id == uploaded.id

    await files.delete_file(admin, uploaded.id)
    assert other_process.count(admin.organization_id) == 0  # the delete reached the shared table


def test_an_r2_or_minio_endpoint_and_its_keys_become_lancedb_options(s3_env: Bucket) -> None:
    options = get_settings().lancedb_storage_options
    assert options == {"aws_region": "us-east-1", "aws_endpoint": s3_env.endpoint, "allow_http": "true",
                       "aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret"}
    with environment({"LIVCHAT_LANCEDB_URI": "/srv/lancedb"}):  # an explicit URI wins, and a directory needs none
        assert get_settings().resolved_lancedb_uri == "/srv/lancedb"
        assert get_settings().lancedb_storage_options == {}
