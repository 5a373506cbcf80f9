"""`GET /embed.js` and `/widget-bridge.js`: the built files, with the headers a script tag on any
site needs, an ETag that answers 304, gzip when asked, and ≤ 2 KB gzipped."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from livchat.api import embed
from livchat.api.app import create_api
from livchat.api.middleware import SecurityHeadersMiddleware

BUDGET = 2048


@pytest.fixture
async def client(embed_build: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The API with the served app's middleware; no database needed for static scripts."""
    transport = httpx.ASGITransport(app=SecurityHeadersMiddleware(create_api()))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def raw_get(client: httpx.AsyncClient, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent (httpx would otherwise undo the gzip)."""
    async with client.stream("GET", path, headers=headers) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


@pytest.mark.parametrize("path", ["/embed.js", "/widget-bridge.js"])
async def test_the_built_script_is_served_with_caching_and_cross_site_headers(
        client: httpx.AsyncClient, embed_build: Path, path: str) -> None:
    response, body = await raw_get(client, path, **{"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert body == (embed_build / path.lstrip("/")).read_bytes()
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=3600, stale-while-revalidate=604800"
    assert response.headers["etag"].startswith('"') and response.headers["etag"].endswith('"')
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"  # the security middleware still applies
    assert "access-control-allow-origin" not in response.headers  # a <script> tag needs no CORS


async def test_embed_js_is_at_most_2_kb_gzipped_as_served(client: httpx.AsyncClient) -> None:
    plain, body = await raw_get(client, "/embed.js", **{"Accept-Encoding": "identity"})
    compressed, gzipped = await raw_get(client, "/embed.js", **{"Accept-Encoding": "gzip, deflate, br"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert gzip.decompress(gzipped) == body
    assert len(gzipped) <= BUDGET, f"embed.js is {len(gzipped)} bytes gzipped"
    assert len(gzip.compress(body, compresslevel=9)) <= BUDGET
    assert compressed.headers["etag"] != plain.headers["etag"]  # one tag per representation
    assert int(compressed.headers["content-length"]) == len(gzipped)


async def test_a_matching_etag_answers_304_without_a_body(client: httpx.AsyncClient) -> None:
    first = await client.get("/embed.js", headers={"Accept-Encoding": "gzip"})
    etag = first.headers["etag"]
    for if_none_match in (etag, f"W/{etag}", f'"old", {etag}', "*"):
        again, body = await raw_get(client, "/embed.js", **{"Accept-Encoding": "gzip", "If-None-Match": if_none_match})
        assert again.status_code == 304, if_none_match
        assert body == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"].startswith("public, max-age=")
    stale = await client.get("/embed.js", headers={"Accept-Encoding": "gzip", "If-None-Match": '"an-old-build"'})
    assert stale.status_code == 200 and stale.content == first.content
    # The plain representation's tag does not validate the gzipped one.
    plain = await client.get("/embed.js", headers={"Accept-Encoding": "identity"})
    crossed = await client.get("/embed.js", headers={"Accept-Encoding": "gzip", "If-None-Match": plain.headers["etag"]})
    assert crossed.status_code == 200


@pytest.mark.parametrize(("accept_encoding", "gzipped"), [
    ("gzip", True), ("br;q=1.0, gzip;q=0.5", True), ("GZIP", True),
    ("gzip;q=0", False), ("identity", False), ("", False), ("gzip;q=nonsense", False),
])
async def test_gzip_only_when_the_client_accepts_it(client: httpx.AsyncClient, accept_encoding: str,
                                                    gzipped: bool) -> None:
    response, _ = await raw_get(client, "/embed.js", **{"Accept-Encoding": accept_encoding})
    assert response.status_code == 200
    assert (response.headers.get("content-encoding") == "gzip") is gzipped


async def test_head_answers_the_headers(client: httpx.AsyncClient) -> None:
    response = await client.head("/embed.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["etag"]


async def test_a_rebuild_is_served_with_a_new_etag_and_a_missing_build_is_a_503(
        client: httpx.AsyncClient, embed_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "dist"
    shutil.copytree(embed_build, dist)
    monkeypatch.setattr(embed, "DIST", dist)  # a build directory of this test's own
    before = await client.get("/embed.js", headers={"Accept-Encoding": "identity"})
    (dist / "embed.js").write_bytes(b"/* rebuilt */\n" + (embed_build / "embed.js").read_bytes())
    after = await client.get("/embed.js", headers={"Accept-Encoding": "identity"})
    assert after.content.startswith(b"/* rebuilt */")
    assert after.headers["etag"] != before.headers["etag"]
    version = after.headers["etag"].strip('"')
    assert embed.versioned_path("/embed.js") == f"/embed.js?v={version}"

    (dist / "embed.js").unlink()
    missing = await client.get("/embed.js")
    assert missing.status_code == 503
    assert missing.headers["content-type"] == "text/javascript; charset=utf-8"
    assert missing.headers["cache-control"] == "no-store"
    assert b"make embed" in missing.content
    assert embed.versioned_path("/embed.js") == "/embed.js"
