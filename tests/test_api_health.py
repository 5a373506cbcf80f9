from __future__ import annotations

import httpx
import pytest

from livchat import __version__
from livchat.api.middleware import security_headers_for


async def test_health_reports_database(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "db": True, "version": __version__}


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH"])
async def test_unknown_api_paths_are_problem_json_404(api: httpx.AsyncClient, method: str) -> None:
    response = await api.request(method, "/api/nope/deeper")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert set(body) >= {"type", "title", "status", "detail", "code"}


async def test_a_known_path_with_another_method_is_405_with_allow(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/health")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json()["code"] == "method_not_allowed"
    head = await api.head("/api/health")  # load balancers probe with HEAD
    assert head.status_code == 200 and head.content == b""


async def test_security_headers_and_request_id(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "strict-transport-security" not in response.headers  # PUBLIC_URL is http://localhost
    assert response.headers.get_list("x-request-id") == ["abc-123"]
    generated = (await api.get("/api/health")).headers["x-request-id"]
    assert generated and generated != "abc-123"


def test_only_the_widget_may_be_framed_by_other_sites() -> None:
    def ancestors(path: str) -> str:
        return dict(security_headers_for(path))[b"content-security-policy"].decode()

    assert ancestors("/widget") == "frame-ancestors *"
    assert ancestors("/widget/abc") == "frame-ancestors *"
    assert ancestors("/widgets-admin") == "frame-ancestors 'self'"
    assert ancestors("/dashboard") == "frame-ancestors 'self'"
    assert ancestors("/") == "frame-ancestors 'self'"
    assert (b"x-frame-options", b"SAMEORIGIN") not in security_headers_for("/widget")
    assert (b"strict-transport-security", b"max-age=31536000; includeSubDomains") in security_headers_for("/", True)


def test_a_typo_in_plan_limits_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from livchat.api.app import create_api
    from livchat.core.settings import reset_settings_cache

    monkeypatch.setenv("LIVCHAT_PLAN_LIMITS", '{"scale": {"sends_per_secnd": 100}}')
    reset_settings_cache()
    try:
        with pytest.raises(ValueError, match="LIVCHAT_PLAN_LIMITS"):
            create_api()
    finally:
        monkeypatch.delenv("LIVCHAT_PLAN_LIMITS")
        reset_settings_cache()
