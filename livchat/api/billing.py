"""Stripe's webhooks: `POST /api/hooks/stripe`, verified by the `stripe` library over the raw body."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from livchat.api import tenancy
from livchat.api.hooks import read_capped
from livchat.api.json_body import api_router
from livchat.api.problems import ApiError
from livchat.core.db import db
from livchat.core.settings import get_settings
from livchat.integrations import stripe_client
from livchat.services.billing import stripe_events

MAX_EVENT_BYTES = 512 * 1024  # Stripe's events are a few KB
router = api_router()


@router.post("/api/hooks/stripe", include_in_schema=False, openapi_extra=tenancy.PUBLIC)
async def stripe_webhook(request: Request) -> JSONResponse:
    """2xx ends Stripe's retries: an event already applied answers 200 with `duplicate`."""
    secret = get_settings().stripe_webhook_secret
    if not secret:
        raise ApiError(404, "not_found", "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET).")
    body = await read_capped(request, MAX_EVENT_BYTES)
    try:
        event = stripe_client.verify_event(body, request.headers.get("stripe-signature"), secret)
    except stripe_client.BadSignature as exc:
        raise ApiError(400, "invalid_signature", f"Missing, invalid or expired Stripe-Signature: {exc}") from exc
    async with db.session() as session:
        outcome = await stripe_events.handle(session, event)
    return JSONResponse({"received": True, "outcome": outcome})


def install(app: FastAPI) -> None:
    app.include_router(router)
