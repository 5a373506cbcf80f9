"""The API-key dependency, GET /api/v1/me, the session cookie routes, proxies and CORS."""

from __future__ import annotations

import runpy
from pathlib import Path

from sqlmodel import select

from livchat.core.db import db
from livchat.core.settings import get_settings
from livchat.models import ApiKey, UserSession
from livchat.services.accounts import api_keys, auth
from tests.factories import PASSWORD, actor_of

ROOT = Path(__file__).resolve().parents[2]
OUR_PAGE = {"Sec-Fetch-Site": "same-origin"}


async def _org_with_key(email: str = "ana@example.com"):
    async with db.session() as session:
        signed = await auth.sign_up(session, email, PASSWORD, organization_name=email.split("@")[0])
        created = await api_keys.create_api_key(session, actor_of(signed.organization.id), "ci")
        await session.commit()
    return signed, created


async def _ticket(user_id: str) -> str:
    async with db.session() as session:
        ticket = await auth.issue_sign_in_ticket(session, user_id)
        await session.commit()
    return ticket


async def test_api_key_resolves_to_its_organization_within_the_rate_limit(api):
    signed, created = await _org_with_key()
    response = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {created.secret}"})
    assert response.status_code == 200
    assert response.json()["organizationId"] == signed.organization.id
    assert response.json()["keyPrefix"] == created.secret[:12]
    assert int(response.headers["ratelimit-remaining"]) >= 0  # the same per-minute limit as every v1 route
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
        await api_keys.revoke_api_key(session, actor_of(signed.organization.id), created.key.id)
        await session.commit()
    response = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {created.secret}"})
    assert response.status_code == 401  # at once: no cache in between


async def test_ticket_posted_from_our_page_sets_an_httponly_lax_cookie_and_sign_out_ends_it(api):
    signed, _ = await _org_with_key()
    ticket = await _ticket(signed.user.id)
    response = await api.post("/api/auth/session", data={"ticket": ticket, "next": "//evil.example/x"},
                              headers=OUR_PAGE)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"  # no open redirect
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{auth.SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = response.cookies[auth.SESSION_COOKIE]
    async with db.session() as session:
        assert await auth.resolve_session(session, token) is not None

    again = await api.post("/api/auth/session", data={"ticket": ticket}, headers=OUR_PAGE)
    assert again.status_code == 303 and again.headers["location"] == "/sign-in?error=sign_in_link_expired"
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


async def test_another_site_cannot_sign_a_visitor_into_its_account(api):
    """Login CSRF: the attacker's own (valid) ticket, sent by the victim's browser from elsewhere."""
    signed, _ = await _org_with_key("attacker@example.com")
    ticket = await _ticket(signed.user.id)
    for headers in ({"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
                    {"Sec-Fetch-Site": "same-site"},
                    {"Origin": "https://evil.example"},  # a browser without Fetch Metadata
                    {}):  # nothing says it comes from one of our pages
        response = await api.post("/api/auth/session", data={"ticket": ticket}, headers=headers)
        assert response.status_code == 403, headers
        assert response.json()["code"] == "cross_site_request" and "set-cookie" not in response.headers
    # A link (GET) is no way in at all.
    assert (await api.get(f"/api/auth/session?ticket={ticket}")).status_code == 405
    # Browsers that send only Origin get in from our own origin; the ticket was not spent above.
    for twin in ("http://127.0.0.1:3001", "http://localhost:3001"):  # another port is another origin
        refused = await api.post("/api/auth/session", data={"ticket": ticket}, headers={"Origin": twin})
        assert refused.status_code == 403, twin
    # 127.0.0.1 is PUBLIC_URL's (localhost) loopback twin: a page served there is ours too.
    ours = await api.post("/api/auth/session", data={"ticket": ticket}, headers={"Origin": "http://127.0.0.1:3000"})
    assert ours.status_code == 303 and auth.SESSION_COOKIE in ours.cookies


async def test_a_new_sign_in_ends_the_browsers_previous_session(api):
    signed, _ = await _org_with_key()
    first = await api.post("/api/auth/session", data={"ticket": await _ticket(signed.user.id)}, headers=OUR_PAGE)
    old_token = first.cookies[auth.SESSION_COOKIE]
    api.cookies.clear()
    second = await api.post("/api/auth/session", data={"ticket": await _ticket(signed.user.id)},
                            headers={**OUR_PAGE, "Cookie": f"{auth.SESSION_COOKIE}={old_token}"})
    async with db.session() as session:
        assert await auth.resolve_session(session, old_token) is None
        assert await auth.resolve_session(session, second.cookies[auth.SESSION_COOKIE]) is not None


async def test_client_address_comes_from_x_forwarded_for_only_behind_trusted_proxies(api, clerk_configured):
    signed, _ = await _org_with_key()
    spoofed = {**OUR_PAGE, "X-Forwarded-For": "6.6.6.6, 203.0.113.7"}
    await api.post("/api/auth/session", data={"ticket": await _ticket(signed.user.id)}, headers=spoofed)
    clerk_configured({"TRUSTED_PROXY_HOPS": "1"})
    api.cookies.clear()
    await api.post("/api/auth/session", data={"ticket": await _ticket(signed.user.id)}, headers=spoofed)
    async with db.session() as session:
        seen = [s.ip_address for s in await session.exec(select(UserSession).order_by(UserSession.created_at))]
    # No proxy configured: the header is the client's own claim, the peer counts. One proxy: the
    # address it saw (the last entry), never the client-supplied ones before it.
    assert seen == ["127.0.0.1", "203.0.113.7"]


def test_reflex_takes_its_allowed_origin_and_proxy_hops_from_the_settings(clerk_configured):
    clerk_configured({"PUBLIC_URL": "https://chat.example.com/app", "TRUSTED_PROXY_HOPS": "2"})
    config = runpy.run_path(str(ROOT / "rxconfig.py"))["config"]
    assert list(config.cors_allowed_origins) == ["https://chat.example.com"]  # not Reflex's default `*`
    assert config.trusted_proxy_hops == 2


def test_a_loopback_public_url_also_accepts_its_twin_and_nothing_else(clerk_configured):
    """A newcomer may type 127.0.0.1 where PUBLIC_URL says localhost (or the reverse): same port."""
    clerk_configured({"PUBLIC_URL": "http://localhost:3100"})
    config = runpy.run_path(str(ROOT / "rxconfig.py"))["config"]
    assert list(config.cors_allowed_origins) == ["http://localhost:3100", "http://127.0.0.1:3100"]
    clerk_configured({"PUBLIC_URL": "http://127.0.0.1:3000/"})
    assert get_settings().browser_origins == ["http://127.0.0.1:3000", "http://localhost:3000"]
    clerk_configured({"PUBLIC_URL": "http://chat.localhost.example:3000"})
    assert get_settings().browser_origins == ["http://chat.localhost.example:3000"]
