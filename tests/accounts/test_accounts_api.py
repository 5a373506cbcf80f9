"""The API-key dependency, GET /api/v1/me and the session cookie routes."""

from __future__ import annotations

from livchat.core.db import db
from livchat.models import ApiKey
from livchat.services import api_keys, auth

PASSWORD = "correct horse battery"


async def _org_with_key(email: str = "ana@example.com"):
    async with db.session() as session:
        signed = await auth.sign_up(session, email, PASSWORD, organization_name=email.split("@")[0])
        created = await api_keys.create_api_key(session, signed.organization.id, "ci")
        await session.commit()
    return signed, created


async def test_api_key_resolves_to_its_organization(api):
    signed, created = await _org_with_key()
    response = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {created.secret}"})
    assert response.status_code == 200
    assert response.json()["organizationId"] == signed.organization.id
    assert response.json()["keyPrefix"] == created.secret[:12]
    async with db.session() as session:
        assert (await session.get(ApiKey, created.key.id)).last_used_at is not None


async def test_missing_wrong_and_revoked_keys_get_401_problem(api):
    signed, created = await _org_with_key()
    for headers in ({}, {"Authorization": "Bearer lc_live_unknown"}, {"Authorization": f"Basic {created.secret}"}):
        response = await api.get("/api/v1/me", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "unauthorized"
        assert response.headers["www-authenticate"].startswith("Bearer")

    async with db.session() as session:
        await api_keys.revoke_api_key(session, signed.organization.id, created.key.id)
        await session.commit()
    response = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {created.secret}"})
    assert response.status_code == 401  # at once: no cache in between


async def test_ticket_sets_an_httponly_lax_cookie_and_sign_out_ends_it(api):
    signed, _ = await _org_with_key()
    async with db.session() as session:
        ticket = await auth.issue_sign_in_ticket(session, signed.user.id)
        await session.commit()
    response = await api.get(f"/api/auth/session?ticket={ticket}&next=//evil.example/x")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"  # no open redirect
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{auth.SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = response.cookies[auth.SESSION_COOKIE]
    async with db.session() as session:
        assert await auth.resolve_session(session, token) is not None

    again = await api.get(f"/api/auth/session?ticket={ticket}")
    assert again.status_code == 303 and again.headers["location"] == "/sign-in"
    assert "set-cookie" not in again.headers

    cross_site = await api.post("/api/auth/sign-out", headers={"Cookie": f"{auth.SESSION_COOKIE}={token}",
                                                               "Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403 and cross_site.json()["code"] == "cross_site_request"
    async with db.session() as session:
        assert await auth.resolve_session(session, token) is not None
    assert (await api.get("/api/auth/sign-out")).status_code in (404, 405)  # a link cannot sign anyone out

    out = await api.post("/api/auth/sign-out", headers={"Cookie": f"{auth.SESSION_COOKIE}={token}",
                                                        "Sec-Fetch-Site": "same-origin"})
    assert out.status_code == 204
    assert f'{auth.SESSION_COOKIE}=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    async with db.session() as session:
        assert await auth.resolve_session(session, token) is None
