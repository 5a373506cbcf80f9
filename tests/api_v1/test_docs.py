from __future__ import annotations

import httpx


async def test_openapi_document_is_3_1_with_bearer_auth(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/api/v1/instances" in document["paths"]
    assert all(path.startswith("/api/v1") for path in document["paths"])


async def test_docs_page_is_served_without_any_cdn(api: httpx.AsyncClient) -> None:
    page = await api.get("/docs")
    assert page.status_code == 200
    html = page.text
    assert "https://cdn" not in html and "unpkg" not in html and "jsdelivr" not in html
    assert "curl" in html and "standardwebhooks" in html and "crypto.createHmac" in html
    asset = await api.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000
