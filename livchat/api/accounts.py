"""Browser session cookie routes, Clerk webhooks, and `GET /api/v1/me` for API keys."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from livchat.api import tenancy
from livchat.api.deps import client_ip
from livchat.api.json_body import api_router
from livchat.api.problems import ApiError
from livchat.api.v1.auth import Caller
from livchat.core.db import db
from livchat.core.settings import get_settings
from livchat.integrations import clerk
from livchat.services.accounts import auth, clerk_sync
from livchat.services.accounts.schemas import MeOut

router = api_router()
CLERK_SESSION_COOKIE = "__session"  # Clerk's session JWT, set by Clerk's frontend on our domain


def _from_our_pages(request: Request) -> bool:
    """A browser request made by one of our own pages: Sec-Fetch-Site says so, or (browsers that
    do not send it) Origin is one of ours (PUBLIC_URL's, or its loopback twin: see
    Settings.browser_origins). Neither header: not a browser we can vouch for."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    return request.headers.get("origin", "").rstrip("/") in get_settings().browser_origins


def _to_sign_in(error: str) -> RedirectResponse:
    return RedirectResponse(f"/sign-in?{urlencode({'error': error})}", status_code=303)


@router.post("/api/auth/session", include_in_schema=False)
async def open_session(request: Request, ticket: str = Form(""), next: str = Form("/dashboard")) -> RedirectResponse:
    """Trade a one-time sign-in ticket for the HttpOnly session cookie.

    A POST that only our own pages may make: a ticket is a credential of whoever asked for it,
    and another site must not sign a visitor into the attacker's account (login CSRF)."""
    if not _from_our_pages(request):
        raise ApiError(403, "cross_site_request", "Signing in is only accepted from LivChat's own pages.")
    async with db.session() as session:
        token = await auth.redeem_sign_in_ticket(
            session, ticket, ip=client_ip(request), user_agent=request.headers.get("user-agent"),
            replaces=request.cookies.get(auth.SESSION_COOKIE),
        )
        await session.commit()
    if token is None:
        return _to_sign_in("sign_in_link_expired")
    return _with_session_cookie(RedirectResponse(auth.safe_next(next), status_code=303), token)


@router.get("/api/auth/clerk", include_in_schema=False)
async def clerk_session(request: Request, next: str = "/dashboard") -> RedirectResponse:
    """After Clerk's sign-in: verify Clerk's `__session` JWT here and open our own session for it,
    in Clerk's active organization when it has one. Our session remembers Clerk's session id, so
    Clerk ending that session (sign-out elsewhere, revocation) ends ours."""
    settings = get_settings()
    if not settings.clerk_enabled:
        raise ApiError(404, "not_found", "Clerk is not configured.")
    try:
        verified = await clerk.verify_session_token(
            request.cookies.get(CLERK_SESSION_COOKIE, ""), jwt_key=settings.clerk_jwt_key,
            publishable_key=settings.clerk_publishable_key, secret_key=settings.clerk_secret_key,
            authorized_parties=settings.clerk_azp,
        )
    except clerk.ClerkTokenError:
        return _to_sign_in("clerk_sign_in_failed")
    async with db.session() as session:
        found = await clerk_sync.signed_in_member(session, verified.user_id, verified.organization_id)
        if found is None:  # the user.created webhook has not reached us (yet)
            return _to_sign_in("clerk_account_pending")
        user, membership = found
        user_session, token = await auth.create_session(
            session, user.id, ip=client_ip(request), user_agent=request.headers.get("user-agent"),
            clerk_session_id=verified.session_id, replaces=request.cookies.get(auth.SESSION_COOKIE),
        )
        if membership is not None:
            await auth.select_organization(session, user_session, membership.organization.id)
        await session.commit()
    return _with_session_cookie(RedirectResponse(auth.safe_next(next), status_code=303), token)


def _with_session_cookie(response: RedirectResponse, token: str) -> RedirectResponse:
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().public_url.startswith("https://"),
    )
    return response


@router.post("/api/auth/sign-out", include_in_schema=False, status_code=204)
async def sign_out(request: Request) -> Response:
    """Revoke the cookie's session and clear the cookie. POST from our own pages only, so another
    site cannot sign our users out (a GET or a cross-site form could)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise ApiError(403, "cross_site_request", "Sign-out is only accepted from LivChat's own pages.")
    async with db.session() as session:
        await auth.revoke_session(session, request.cookies.get(auth.SESSION_COOKIE))
        await session.commit()
    response = Response(status_code=204)
    response.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.post("/api/webhooks/clerk", include_in_schema=False, openapi_extra=tenancy.PUBLIC)
async def clerk_webhook(request: Request) -> JSONResponse:
    """Clerk's events through svix. 2xx ends svix's retries: an event that needs a row we do not
    have yet answers 409 so svix delivers it again later (see livchat.services.accounts.clerk_sync)."""
    secret = get_settings().clerk_webhook_secret
    if not secret:
        raise ApiError(404, "not_found", "Clerk is not configured.")
    body = await request.body()
    try:
        clerk.verify_webhook(secret, request.headers, body)
        event = clerk.parse_event(body)
    except clerk.WebhookVerificationError as exc:
        raise ApiError(401, "invalid_signature", str(exc)) from exc
    async with db.session() as session:
        try:
            outcome = await clerk_sync.apply(session, event, request.headers["svix-id"])
            await session.commit()
        except clerk_sync.NotReady as exc:
            await session.rollback()
            raise ApiError(409, "not_ready", "This event names a user or organization not received yet; "
                                             "deliver it again later.") from exc
        except clerk_sync.Duplicate:
            await session.rollback()
            outcome = clerk_sync.Outcome(False, "duplicate")
    return JSONResponse({"received": True, "handled": outcome.handled, "reason": outcome.reason or None})


@router.get("/api/v1/me", tags=["account"], response_model=MeOut, summary="The organization an API key belongs to")
async def me(principal: Caller) -> MeOut:
    org, key = principal.organization, principal.key
    return MeOut(organization_id=org.id, organization_name=org.name, plan=org.plan, key_id=key.id,
                 key_prefix=key.prefix)


def install(app: FastAPI) -> None:
    app.include_router(router)
