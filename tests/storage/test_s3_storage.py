"""Private files on S3 (moto's real S3 server) and on local disk, through the one storage interface:
put/get/delete, files served as 302s to presigned URLs only after the routes' own checks, and the
four kinds of file (attachments, WhatsApp media, knowledge-base files, widget logos) in the bucket."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from livchat.core.db import db
from livchat.core.settings import get_settings
from livchat.core.storage import BadKey, LocalStorage, ObjectTooLarge
from livchat.integrations import s3
from livchat.models import Message
from livchat.models.enums import FileStatus, MessageDirection, MessageType
from livchat.models.support import KnowledgeFile
from livchat.services import storage
from livchat.services.knowledge import files, ingestion, store
from livchat.services.support import whatsapp_channel
from livchat.services.usage.limits import reset_rate_limits
from livchat.services.whatsapp import media
from livchat.services.widget import customization, visitor
from tests.knowledge.conftest import make_organization
from tests.storage.conftest import Bucket
from tests.support.desk_support import PDF, PNG, make_org, make_visitor


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    reset_rate_limits()


def _s3(bucket: Bucket, prefix: str = "area") -> s3.S3Storage:
    return s3.S3Storage(s3.client(bucket.endpoint, "us-east-1", "test-key", "test-secret"), bucket.name,
                        prefix=prefix, presign_seconds=300)


async def test_put_get_delete_through_s3(bucket: Bucket) -> None:
    files_ = _s3(bucket)
    await files_.put("org_1/file_1", b"hello bytes", "text/plain")
    assert bucket.keys() == ["area/org_1/file_1"]
    head = bucket.client.head_object(Bucket=bucket.name, Key="area/org_1/file_1")
    assert head["ContentType"] == "text/plain" and head["ContentLength"] == 11
    assert await files_.get("org_1/file_1") == b"hello bytes"
    assert await files_.exists("org_1/file_1") and not await files_.exists("org_1/other")
    with pytest.raises(ObjectTooLarge):
        await files_.get("org_1/file_1", max_bytes=5)
    await files_.put("org_1/file_1", b"replaced", "text/plain")
    assert await files_.get("org_1/file_1") == b"replaced"
    await files_.delete("org_1/file_1")
    await files_.delete("org_1/file_1")  # a missing key is not an error
    assert bucket.keys() == []
    with pytest.raises(FileNotFoundError):
        await files_.get("org_1/file_1")
    with pytest.raises(FileNotFoundError):
        await files_.serve("org_1/file_1", content_type="text/plain")
    for bad in ("../escape", "org/../x", "", "a//b", ".hidden/x", "a/" * 10 + "b"):
        with pytest.raises(BadKey):
            await files_.put(bad, b"x")


async def test_a_presigned_url_serves_the_bytes_with_our_headers_and_carries_its_expiry(bucket: Bucket) -> None:
    files_ = _s3(bucket)
    await files_.put("org_1/doc", PDF, "application/pdf")
    served = await files_.serve("org_1/doc", content_type="application/pdf", filename="relatório final.pdf",
                                inline=False)
    assert served.path is None and served.url is not None
    fetched = httpx.get(served.url)
    assert fetched.status_code == 200 and fetched.content == PDF
    assert fetched.headers["content-type"] == "application/pdf"
    assert fetched.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''relat%C3%B3rio%20final.pdf" in fetched.headers["content-disposition"]
    query = parse_qs(urlsplit(served.url).query)
    assert query["X-Amz-Expires"] == ["300"] and query["X-Amz-Signature"][0]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    # moto does not enforce X-Amz-Expires (it serves an expired URL), so the expiry is asserted on the
    # URL itself: the signed window is exactly what S3_PRESIGN_SECONDS (or `seconds`) asks for.
    short = parse_qs(urlsplit(files_.presigned_url("org_1/doc", content_type="application/pdf", seconds=1)).query)
    assert short["X-Amz-Expires"] == ["1"] and short["X-Amz-Date"][0].endswith("Z")


async def test_local_storage_keeps_private_files_inside_its_root(tmp_path: Path) -> None:
    files_ = LocalStorage(tmp_path / "area")
    await files_.put("org_1/file_1", b"abc")
    path = tmp_path / "area" / "org_1" / "file_1"
    assert path.read_bytes() == b"abc" and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert (await files_.serve("org_1/file_1", content_type="text/plain")).path == path
    assert [p.name for p in path.parent.iterdir()] == ["file_1"]  # no temporary left behind
    (tmp_path / "outside.txt").write_bytes(b"not yours")
    (tmp_path / "area" / "org_1" / "link").symlink_to(tmp_path)
    for bad in ("../outside.txt", "org_1/link/outside.txt"):
        with pytest.raises(BadKey):
            await files_.get(bad)
    await files_.delete("org_1/file_1")
    assert not path.exists() and not await files_.exists("org_1/file_1")


async def test_the_setting_chooses_the_storage(s3_env: Bucket) -> None:
    assert isinstance(storage.storage_for(storage.MEDIA), s3.S3Storage)
    os.environ["LIVCHAT_STORAGE"] = "local"
    from livchat.core.settings import reset_settings_cache

    reset_settings_cache()
    assert isinstance(storage.storage_for(storage.MEDIA), LocalStorage)


async def _visitor_upload(api: httpx.AsyncClient, token: str, name: str, data: bytes) -> dict:
    sent = await api.post("/api/widget/attachments", headers={"X-Contact-Token": token},
                          files={"file": (name, data, "application/octet-stream")}, data={"text": "see"})
    assert sent.status_code == 201, sent.text
    return sent.json()


async def test_an_attachment_goes_to_the_bucket_and_is_served_by_presigned_redirect_only_to_its_people(
        database: str, api: httpx.AsyncClient, s3_env: Bucket) -> None:
    org = await make_org()
    _, token = await make_visitor(org.id)
    posted = await _visitor_upload(api, token, "me.png", PNG)
    attachment_id = posted["attachmentId"]
    key = f"attachments/{org.id}/{attachment_id}"
    assert s3_env.keys() == [key]
    assert s3_env.client.get_object(Bucket=s3_env.name, Key=key)["Body"].read() == PNG
    assert not (get_settings().data_dir / "attachments" / org.id).exists()  # nothing on local disk

    own = await api.get(f"/api/widget/attachments/{attachment_id}", headers={"X-Contact-Token": token})
    assert own.status_code == 302 and own.headers["cache-control"] == "no-store"
    location = own.headers["location"]
    assert location.startswith(f"{s3_env.endpoint}/{s3_env.name}/{key}?")
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["300"]
    image = httpx.get(location)
    assert image.status_code == 200 and image.content == PNG and image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline")

    listed = (await api.get("/api/widget/messages", headers={"X-Contact-Token": token})).json()["data"]
    signed = await api.get(listed[0]["attachments"][0]["url"].replace(get_settings().public_url, ""))
    assert signed.status_code == 302 and httpx.get(signed.headers["location"]).content == PNG
    operator = await api.get(f"/api/v1/conversations/{posted['conversationId']}/attachments/{attachment_id}",
                             headers=org.headers)
    assert operator.status_code == 302 and httpx.get(operator.headers["location"]).content == PNG

    # Anyone else: a 404 problem, never a URL.
    bia, bia_token = await make_visitor(org.id, name="Bia")
    async with db.session() as session:
        await visitor.send_message(session, bia, "my own chat")
    for response in (
        await api.get(f"/api/widget/attachments/{attachment_id}", headers={"X-Contact-Token": bia_token}),
        await api.get(f"/api/widget/attachments/{attachment_id}"),
        await api.get(f"/api/v1/conversations/{posted['conversationId']}/attachments/{attachment_id}",
                      headers=(await make_org("Other")).headers),
    ):
        assert response.status_code == 404 and "location" not in response.headers
        assert response.json()["code"] == "attachment_not_found"

    # A row whose object is gone is a 404, not a redirect to a broken link.
    s3_env.client.delete_object(Bucket=s3_env.name, Key=key)
    gone = await api.get(f"/api/widget/attachments/{attachment_id}", headers={"X-Contact-Token": token})
    assert gone.status_code == 404 and "location" not in gone.headers


async def test_pdfs_from_the_bucket_download_with_their_name(database: str, api: httpx.AsyncClient,
                                                            s3_env: Bucket) -> None:
    org = await make_org()
    _, token = await make_visitor(org.id)
    posted = await _visitor_upload(api, token, "nota fiscal.pdf", PDF)
    served = await api.get(f"/api/widget/attachments/{posted['attachmentId']}", headers={"X-Contact-Token": token})
    download = httpx.get(served.headers["location"])
    assert download.content == PDF and download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"nota fiscal.pdf\"; filename*=UTF-8''nota%20fiscal.pdf")


async def test_the_widget_logo_lives_in_the_bucket(database: str, api: httpx.AsyncClient, s3_env: Bucket) -> None:
    org = await make_org()
    async with db.session() as session:
        saved = await customization.upload_logo(session, org.owner, PNG)
    [key] = s3_env.keys()
    assert key.startswith(f"widget-logos/{org.id}/")
    logo = await api.get(f"/api/widget/logo/{org.id}")
    assert logo.status_code == 302 and httpx.get(logo.headers["location"]).content == PNG
    assert saved.logo_url
    async with db.session() as session:
        await customization.remove_logo(session, org.owner)
    assert s3_env.keys() == []
    assert (await api.get(f"/api/widget/logo/{org.id}")).status_code == 404


async def test_whatsapp_media_is_kept_in_the_bucket(s3_env: Bucket) -> None:
    await media.store_media("org_1", "msg_1", b"\xff\xd8\xff jpeg", "image/jpeg")
    assert s3_env.keys() == ["media/org_1/msg_1"]
    head = s3_env.client.head_object(Bucket=s3_env.name, Key="media/org_1/msg_1")
    assert head["ContentType"] == "image/jpeg"
    assert await media.read_media("org_1", "msg_1", 1024) == b"\xff\xd8\xff jpeg"
    assert await media.read_media("org_1", "msg_1", 4) == b""  # over the limit: nothing to show
    assert await media.read_media("org_1", "missing", 1024) == b""


async def test_knowledge_files_in_the_bucket_are_ingested(database: str, s3_env: Bucket, tmp_path: Path) -> None:
    os.environ.update(LIVCHAT_EMBEDDER="hashed", LIVCHAT_LANCEDB_URI=str(tmp_path / "lancedb"))
    try:
        from livchat.core.settings import reset_settings_cache

        reset_settings_cache()
        admin = await make_organization()
        out = await files.upload_file(admin, "ajuda.md", b"# Trocas\n\nTrocas em ate 30 dias com nota fiscal.")
        key = f"knowledge/files/{admin.organization_id}/{out.id}"
        assert s3_env.keys() == [key]
        assert await ingestion.run_until_idle() == 1
        async with db.session() as session:
            row = await session.get(KnowledgeFile, out.id)
        assert row is not None and row.status == FileStatus.READY and row.chunk_count >= 1
        assert await store.count(admin.organization_id, out.id) == row.chunk_count
        await files.delete_file(admin, out.id)
        assert s3_env.keys() == []
    finally:
        for name in ("LIVCHAT_EMBEDDER", "LIVCHAT_LANCEDB_URI"):
            os.environ.pop(name, None)


async def test_an_inbound_whatsapp_image_in_the_bucket_becomes_a_conversation_file(s3_env: Bucket) -> None:
    """The support desk reads an inbound image's bytes back from the bucket (whatsapp_channel)."""
    message = Message(id="msg_img", organization_id="org_wa", instance_id="ins_1", direction=MessageDirection.INBOUND,
                      chat_jid="5511912345678@s.whatsapp.net", type=MessageType.IMAGE, file_name="photo.png")
    await media.store_media("org_wa", "msg_img", PNG, "image/png")
    upload = await whatsapp_channel.as_attachment(message)
    assert upload is not None and upload.data == PNG and upload.filename == "photo.png"
    missing = message.model_copy(update={"id": "msg_gone"})
    assert await whatsapp_channel.as_attachment(missing) is None
