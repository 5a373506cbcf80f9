"""`/api/v1/knowledge…`, the contract of API.md "Knowledge base": shapes, statuses, problem+json,
the streamed upload's early 413, and a refused upload leaving nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from livchat.core.db import db
from livchat.services.accounts import api_keys, users
from livchat.services.actors import Actor
from livchat.services.knowledge import ingestion
from livchat.services.usage.limits import reset_rate_limits
from tests.knowledge.conftest import Environment
from tests.knowledge.knowledge_support import PNG, make_pdf, nothing_stored

FILE_FIELDS = {"id", "filename", "contentType", "sizeBytes", "sourceUrl", "status", "stage", "progress", "chunkCount",
               "error", "errorCode", "embedder", "createdAt", "updatedAt"}
GUIDE = "# Guia\n\n## Devolução\n\nDevolva em até 7 dias corridos.\n\n## Entrega\n\nEntregamos em 3 dias úteis.\n"


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    reset_rate_limits()


async def _org(name: str = "Acme") -> tuple[str, dict[str, str]]:
    async with db.session() as session:
        org = await users.create_organization(session, name)
        key = await api_keys.create_api_key(session, Actor.for_console(org.id), "knowledge")
        await session.commit()
    return org.id, {"Authorization": f"Bearer {key.secret}"}


async def _upload(api: httpx.AsyncClient, headers: dict[str, str], name: str, data: bytes,
                  content_type: str = "application/octet-stream") -> httpx.Response:
    return await api.post("/api/v1/knowledge/files", headers=headers, files={"file": (name, data, content_type)})


async def test_upload_follow_list_search_delete(api: httpx.AsyncClient) -> None:
    _, headers = await _org()
    accepted = await _upload(api, headers, "guia.md", GUIDE.encode(), "text/markdown")
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert set(body) == FILE_FIELDS
    assert (body["filename"], body["contentType"], body["sizeBytes"], body["status"], body["progress"]) == \
        ("guia.md", "text/markdown", len(GUIDE.encode()), "processing", 0)
    file_id = body["id"]
    assert (await api.get(f"/api/v1/knowledge/files/{file_id}", headers=headers)).json()["status"] == "processing"
    await ingestion.run_until_idle()
    ready = (await api.get(f"/api/v1/knowledge/files/{file_id}", headers=headers)).json()
    assert (ready["status"], ready["progress"], ready["chunkCount"], ready["error"]) == ("ready", 100, 2, None)
    assert ready["createdAt"].endswith("Z")

    second = (await _upload(api, headers, "b.txt", b"Horario: 9h as 18h.")).json()["id"]
    page = (await api.get("/api/v1/knowledge/files?limit=1", headers=headers)).json()
    assert [f["id"] for f in page["data"]] == [second] and page["nextCursor"]  # newest first
    rest = (await api.get(f"/api/v1/knowledge/files?limit=1&cursor={page['nextCursor']}", headers=headers)).json()
    assert [f["id"] for f in rest["data"]] == [file_id] and rest["nextCursor"] is None

    found = await api.get("/api/v1/knowledge/search", params={"q": "devolucao", "limit": 1}, headers=headers)
    assert found.status_code == 200
    hits = found.json()["data"]
    assert len(hits) == 1 and set(hits[0]) == {"fileId", "filename", "chunkId", "heading", "text", "score",
                                               "similarity"}
    assert (hits[0]["fileId"], hits[0]["filename"], hits[0]["heading"]) == (file_id, "guia.md", "Guia > Devolução")
    assert hits[0]["chunkId"].startswith(f"{file_id}:") and "7 dias" in hits[0]["text"]
    assert len((await api.get("/api/v1/knowledge/search?q=dias", headers=headers)).json()["data"]) == 2  # default 5

    deleted = await api.delete(f"/api/v1/knowledge/files/{file_id}", headers=headers)
    assert deleted.status_code == 204
    gone = await api.get(f"/api/v1/knowledge/files/{file_id}", headers=headers)
    assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"
    assert gone.json()["code"] == "not_found"
    assert (await api.get("/api/v1/knowledge/search?q=devolucao", headers=headers)).json()["data"] == []


@pytest.mark.parametrize(("name", "data", "status", "code", "detail"), [
    ("photo.png", PNG, 415, "unsupported_file_type", "Upload a PDF, Word (.docx), text, Markdown or HTML"),
    ("scan.pdf", make_pdf([None]), 422, "unreadable_file", "no text layer"),
    ("locked.pdf", make_pdf(["x"], user_password="pw"), 422, "unreadable_file", "password"),
    ("empty.txt", b"", 422, "unreadable_file", "empty"),
])
async def test_refused_uploads_are_problems_and_store_nothing(api: httpx.AsyncClient, name: str, data: bytes,
                                                              status: int, code: str, detail: str) -> None:
    organization_id, headers = await _org()
    refused = await _upload(api, headers, name, data)
    assert refused.status_code == status and refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["code"] == code and detail in problem["detail"] and problem["status"] == status
    assert await nothing_stored(organization_id)


async def test_an_oversized_upload_is_refused_while_it_streams(api: httpx.AsyncClient, env: Environment) -> None:
    env.set(LIVCHAT_KNOWLEDGE_MAX_FILE_MB="1")
    organization_id, headers = await _org()
    sent = 0
    boundary = "knowledge-test-boundary"

    async def body() -> AsyncIterator[bytes]:  # 100 MB, no Content-Length: only a running count can stop it
        nonlocal sent
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
               "Content-Type: text/plain\r\n\r\n").encode()
        for _ in range(1600):
            sent += 65536
            yield b"a" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await api.post("/api/v1/knowledge/files", content=body(),
                              headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413 and response.json()["code"] == "file_too_large"
    assert "1 MB" in response.json()["detail"]
    assert sent < 2 * 1024 * 1024, f"read {sent} bytes of a refused upload"
    declared = await api.post("/api/v1/knowledge/files", content=b"x" * 10,
                              headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}",
                                       "Content-Length": str(50 * 1024 * 1024)})
    assert declared.status_code == 413  # a declared length past the limit: refused before reading
    exact = await _upload(api, headers, "big.txt", b"a " * (600 * 1024))  # 1.2 MB in a normal request
    assert exact.status_code == 413
    assert await nothing_stored(organization_id)


async def test_a_malformed_upload_request_is_a_problem(api: httpx.AsyncClient) -> None:
    organization_id, headers = await _org()
    no_file = await api.post("/api/v1/knowledge/files", headers=headers, data={"other": "x"},
                             files={"notfile": ("a.txt", b"hello", "text/plain")})
    assert no_file.status_code == 422 and no_file.json()["code"] == "file_required"
    as_json = await api.post("/api/v1/knowledge/files", headers=headers, json={"file": "hello"})
    assert as_json.status_code == 422 and as_json.json()["code"] == "file_required"
    broken = await api.post("/api/v1/knowledge/files", content=b"--x\r\nnonsense",
                            headers={**headers, "Content-Type": "multipart/form-data"})  # no boundary
    assert broken.status_code == 400 and broken.json()["code"] == "invalid_multipart"
    anonymous = await _upload(api, {}, "a.txt", b"hello")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
    assert await nothing_stored(organization_id)


async def test_search_parameters_are_bounded(api: httpx.AsyncClient) -> None:
    _, headers = await _org()
    for query in ("", "?q=", "?q=x&limit=21", "?q=x&limit=0", f"?q={'x' * 1001}"):
        response = await api.get(f"/api/v1/knowledge/search{query}", headers=headers)
        assert response.status_code == 422 and response.json()["code"] == "validation_error", query
    blank = await api.get("/api/v1/knowledge/search", params={"q": "   "}, headers=headers)
    assert blank.status_code == 422 and blank.json()["code"] == "invalid_query"
    assert (await api.get("/api/v1/knowledge/search?q=anything", headers=headers)).json() == {"data": []}


async def test_import_a_url_over_the_api(api: httpx.AsyncClient, env: Environment) -> None:
    organization_id, headers = await _org()
    refused = await api.post("/api/v1/knowledge/urls", json={"url": "http://127.0.0.1:9/private"}, headers=headers)
    assert refused.status_code == 422 and refused.json()["code"] == "unsafe_url"
    assert "public" in refused.json()["detail"]
    bad = await api.post("/api/v1/knowledge/urls", json={"link": "x"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    assert await nothing_stored(organization_id)


async def test_another_organization_sees_nothing(api: httpx.AsyncClient) -> None:
    _, a = await _org("A")
    _, b = await _org("B")
    file_id = (await _upload(api, a, "a.md", b"# Cofre\n\nA senha do cofre e girassol.")).json()["id"]
    await ingestion.run_until_idle()
    for method, path in (("GET", f"/api/v1/knowledge/files/{file_id}"), ("DELETE", f"/api/v1/knowledge/files/{file_id}")):
        response = await api.request(method, path, headers=b)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert (await api.get("/api/v1/knowledge/files", headers=b)).json()["data"] == []
    theirs: dict[str, Any] = (await api.get("/api/v1/knowledge/search?q=girassol", headers=b)).json()
    assert theirs == {"data": []}
    assert (await api.get("/api/v1/knowledge/search?q=girassol", headers=a)).json()["data"][0]["fileId"] == file_id
