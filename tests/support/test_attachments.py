"""Attachments: images and PDFs only, typed by their bytes, at most 10 MB; a refused file leaves
nothing behind (no row, no file); kept privately under data_dir and served only to the
conversation's visitor (token or signed link) and its organization (API key), never sniffed."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select

from livchat.core.db import db
from livchat.core.settings import get_settings
from livchat.models import ConversationAttachment, ConversationMessage
from livchat.services.support import attachments
from livchat.services.support.attachments import (
    AttachmentTooLarge,
    AttachmentTypeMismatch,
    UnsupportedAttachmentType,
)
from livchat.services.usage.limits import reset_rate_limits
from livchat.services.widget import visitor
from tests.support.desk_support import PDF, PNG, make_org, make_visitor

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    reset_rate_limits()


def test_types_come_from_the_bytes_and_the_name_must_agree() -> None:
    assert attachments.check("photo.png", PNG).content_type == "image/png"
    assert attachments.check("scan.JPG", JPEG).content_type == "image/jpeg"
    assert attachments.check("anim.gif", GIF).content_type == "image/gif"
    assert attachments.check("pic.webp", WEBP).content_type == "image/webp"
    assert attachments.check("invoice.pdf", PDF).content_type == "application/pdf"
    assert attachments.check("download.bin", PNG).filename == "download.bin.png"  # the right extension added
    assert attachments.check(None, PDF).filename == "file.pdf"
    with pytest.raises(AttachmentTypeMismatch):
        attachments.check("totally-an-image.png", PDF)  # a PDF renamed .png
    with pytest.raises(AttachmentTypeMismatch):
        attachments.check("photo.pdf", PNG)
    for name, data in (("page.html", b"<html><script>alert(1)</script>"), ("a.svg", b"<svg onload=alert(1)>"),
                       ("x.png", b"\x89PNX not quite"), ("notes.txt", b"plain text")):
        with pytest.raises(UnsupportedAttachmentType):
            attachments.check(name, data)
    with pytest.raises(AttachmentTooLarge):
        attachments.check("big.png", PNG + b"\x00" * attachments.MAX_ATTACHMENT_BYTES)
    assert attachments.check("edge.png", PNG + b"\x00" * (attachments.MAX_ATTACHMENT_BYTES - len(PNG)))


@pytest.mark.parametrize(("given", "kept"), [
    ("../../etc/passwd.png", "passwd.png"), ("C:\\Users\\ana\\me.png", "me.png"), ('"quoted";.png', "_quoted__.png"),
    ("line\r\nbreak.png", "linebreak.png"), ("\u202egnp.exe.png", "gnp.exe.png"), (".png", "png.png"), ("...", "file.png"),
    ("ç" * 300 + ".png", "ç" * 116 + ".png"),
])
def test_file_names_are_made_safe(given: str, kept: str) -> None:
    assert attachments.check(given, PNG).filename == kept


@pytest.fixture
async def widget(api: httpx.AsyncClient) -> AsyncIterator[dict[str, object]]:
    org = await make_org()
    ana, token = await make_visitor(org.id)
    yield {"org": org, "visitor": ana, "headers": {"X-Contact-Token": token}}


async def _stored() -> tuple[int, int, list[Path]]:
    async with db.session() as session:
        files = (await session.exec(select(func.count()).select_from(ConversationAttachment))).one()
        messages = (await session.exec(select(func.count()).select_from(ConversationMessage))).one()
    root = attachments.storage_root()
    return files, messages, sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(("name", "data", "status", "code"), [
    ("invoice.png", PDF, 415, "attachment_type_mismatch"),
    ("page.html", b"<html><body>hi</body></html>", 415, "unsupported_attachment_type"),
    ("huge.png", PNG + b"\x00" * attachments.MAX_ATTACHMENT_BYTES, 413, "attachment_too_large"),
    ("empty.png", b"", 422, "empty_attachment"),
])
async def test_a_refused_upload_leaves_no_row_and_no_file(database: str, api: httpx.AsyncClient,
                                                          widget: dict, name: str, data: bytes, status: int,
                                                          code: str) -> None:
    before = await _stored()
    response = await api.post("/api/widget/attachments", headers=widget["headers"],
                              files={"file": (name, data, "image/png")}, data={"text": "see attached"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json" and response.json()["code"] == code
    assert await _stored() == before


async def test_an_oversized_body_is_refused_while_it_streams(database: str, api: httpx.AsyncClient,
                                                             widget: dict) -> None:
    """No Content-Length (chunked): the cap applies to the bytes as they arrive."""
    sent = 0

    async def body():  # type: ignore[no-untyped-def]
        nonlocal sent
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n\r\n" + PNG
        for _ in range(20):
            sent += 1
            yield b"\x00" * (1024 * 1024)

    before = await _stored()
    response = await api.post("/api/widget/attachments", content=body(),
                              headers={**widget["headers"], "Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413 and response.json()["code"] == "attachment_too_large"
    assert sent < 20 and await _stored() == before
    declared = await api.post("/api/widget/attachments", content=b"x", headers={
        **widget["headers"], "Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(50 * 2**20)})
    assert declared.status_code == 413


async def test_malformed_or_missing_uploads_are_client_errors(database: str, api: httpx.AsyncClient,
                                                              widget: dict) -> None:
    assert (await api.post("/api/widget/attachments", headers=widget["headers"], json={"file": "x"})).status_code == 422
    broken = await api.post("/api/widget/attachments", content=b"--b\r\nnot a part",
                            headers={**widget["headers"], "Content-Type": "multipart/form-data; boundary=b"})
    assert broken.status_code in (400, 422) and broken.headers["content-type"] == "application/problem+json"
    no_file = await api.post("/api/widget/attachments", headers=widget["headers"], data={"text": "only text"},
                             files={"other": ("a.png", PNG, "image/png")})
    assert no_file.status_code == 422 and no_file.json()["code"] == "file_required"


async def test_a_file_is_stored_privately_and_served_only_to_its_conversation(database: str, api: httpx.AsyncClient,
                                                                              widget: dict) -> None:
    org = widget["org"]
    sent = await api.post("/api/widget/attachments", headers=widget["headers"],
                          files={"file": ("me.png", PNG, "application/octet-stream")}, data={"text": "my receipt"})
    assert sent.status_code == 201, sent.text
    posted = sent.json()
    assert set(posted) == {"conversationId", "messageId", "attachmentId"}
    attachment_id = posted["attachmentId"]
    files = [f for f in (await _stored())[2] if f.parent.name == org.id]
    assert len(files) == 1 and files[0].read_bytes() == PNG
    assert get_settings().data_dir in files[0].parents and stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
    assert "uploaded_files" not in str(files[0])

    own = await api.get(f"/api/widget/attachments/{attachment_id}", headers=widget["headers"])
    assert own.status_code == 200 and own.content == PNG
    assert own.headers["content-type"] == "image/png" and own.headers["x-content-type-options"] == "nosniff"
    assert own.headers["content-disposition"].startswith("inline") and "sandbox" in own.headers["content-security-policy"]

    listed = (await api.get("/api/widget/messages", headers=widget["headers"])).json()["data"]
    assert listed[0]["text"] == "my receipt" and listed[0]["attachments"][0]["filename"] == "me.png"
    signed = listed[0]["attachments"][0]["url"]
    assert "signature=" in signed and listed[0]["attachments"][0]["isImage"] is True
    link = await api.get(signed.replace(get_settings().public_url, ""))  # no token: the signed link suffices
    assert link.status_code == 200 and link.content == PNG

    bia, bia_token = await make_visitor(org.id, name="Bia")
    async with db.session() as session:
        await visitor.send_message(session, bia, "my own chat")
    other_visitor = await api.get(f"/api/widget/attachments/{attachment_id}", headers={"X-Contact-Token": bia_token})
    assert other_visitor.status_code == 404 and other_visitor.json()["code"] == "attachment_not_found"
    path = f"/api/widget/attachments/{attachment_id}"
    query = signed.split("?", 1)[1]
    forged = query[:-2] + ("AA" if not query.endswith("AA") else "BB")
    assert (await api.get(f"{path}?{forged}")).status_code == 404
    assert (await api.get(path)).status_code == 404  # neither a token nor a link
    past = datetime.now(UTC) - timedelta(hours=3)
    assert (await api.get(f"{path}?{attachments.signed_query(attachment_id, now=past)}")).status_code == 404
    other_id = await _another_attachment(api, widget)
    stolen = query  # a link for one file does not open another
    assert (await api.get(f"/api/widget/attachments/{other_id}?{stolen}")).status_code == 404

    operator = await api.get(f"/api/v1/conversations/{posted['conversationId']}/attachments/{attachment_id}",
                             headers=org.headers)
    assert operator.status_code == 200 and operator.content == PNG
    wrong_pair = await api.get(f"/api/v1/conversations/{posted['conversationId']}/attachments/att_{'0' * 26}",
                               headers=org.headers)
    assert wrong_pair.status_code == 404


async def _another_attachment(api: httpx.AsyncClient, widget: dict) -> str:
    response = await api.post("/api/widget/attachments", headers=widget["headers"],
                              files={"file": ("doc.pdf", PDF, "application/pdf")})
    assert response.status_code == 201
    return response.json()["attachmentId"]


async def test_pdfs_download_instead_of_opening(database: str, api: httpx.AsyncClient, widget: dict) -> None:
    attachment_id = await _another_attachment(api, widget)
    served = await api.get(f"/api/widget/attachments/{attachment_id}", headers=widget["headers"])
    assert served.status_code == 200 and served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("attachment") and 'filename="doc.pdf"' in \
        served.headers["content-disposition"]


async def test_operators_send_files_through_the_api(database: str, api: httpx.AsyncClient, widget: dict) -> None:
    org = widget["org"]
    async with db.session() as session:
        posted = await visitor.send_message(session, widget["visitor"], "send me the invoice")
    sent = await api.post(f"/api/v1/conversations/{posted.conversation_id}/attachments", headers=org.headers,
                          files={"file": ("invoice.pdf", PDF, "application/pdf")}, data={"text": "Here it is"})
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert (body["sender"], body["text"], body["authorName"]) == ("operator", "Here it is", "API")
    url = body["attachments"][0]["url"]
    assert url.endswith(f"/api/v1/conversations/{posted.conversation_id}/attachments/{body['attachments'][0]['id']}")
    seen = (await api.get("/api/widget/messages", headers=widget["headers"])).json()["data"]
    link = seen[-1]["attachments"][0]["url"]
    assert "signature=" in link and (await api.get(link.replace(get_settings().public_url, ""))).content == PDF
    refused = await api.post(f"/api/v1/conversations/{posted.conversation_id}/attachments", headers=org.headers,
                             files={"file": ("fake.png", PDF, "image/png")})
    assert refused.status_code == 415 and refused.json()["code"] == "attachment_type_mismatch"


async def test_the_inbox_sends_files_with_the_session_cookie_from_our_pages_only(database: str,
                                                                                api: httpx.AsyncClient,
                                                                                widget: dict) -> None:
    from livchat.services.accounts import auth

    org = widget["org"]
    async with db.session() as session:
        posted = await visitor.send_message(session, widget["visitor"], "a photo please")
        _, token = await auth.create_session(session, org.operator.user_id)
        await session.commit()
    path = f"/api/inbox/conversations/{posted.conversation_id}/attachments"
    signed_in = {"Cookie": f"{auth.SESSION_COOKIE}={token}"}
    file = {"file": ("shot.png", PNG, "image/png")}
    before = await _stored()
    cross_site = await api.post(path, headers={**signed_in, "Sec-Fetch-Site": "cross-site"}, files=file)
    assert cross_site.status_code == 403 and cross_site.json()["code"] == "cross_site_request"
    signed_out = await api.post(path, headers={"Sec-Fetch-Site": "same-origin"}, files=file)
    assert signed_out.status_code == 401
    assert await _stored() == before
    sent = await api.post(path, headers={**signed_in, "Sec-Fetch-Site": "same-origin"}, files=file,
                          data={"text": "here"})
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert (body["sender"], body["authorName"], body["text"]) == ("operator", org.operator_name, "here")
    link = body["attachments"][0]["url"]
    assert "signature=" in link and (await api.get(link.replace(get_settings().public_url, ""))).content == PNG
    refused = await api.post(path, headers={**signed_in, "Sec-Fetch-Site": "same-origin"},
                             files={"file": ("fake.png", PDF, "image/png")})
    assert refused.status_code == 415
