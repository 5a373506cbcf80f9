"""Stripe, through the official `stripe` library (async calls over httpx), and nothing else.

The base URL comes from STRIPE_API_BASE when set (the tests' local fake speaks Stripe's real
form-encoded API); webhooks are verified with the library's own `Webhook.construct_event`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import stripe

TIMEOUT_SECONDS = 20.0


class StripeUnavailable(Exception):
    """Stripe refused the call or could not be reached; the message is Stripe's."""


class BadSignature(Exception):
    """A webhook whose Stripe-Signature does not verify (or is too old: a replay)."""


@dataclass(frozen=True)
class StripeConfig:
    secret_key: str
    api_base: str = ""


@lru_cache(maxsize=4)
def _client(config: StripeConfig) -> stripe.StripeClient:
    """One client (and its connection pool) per configuration, reused by every call."""
    return stripe.StripeClient(
        config.secret_key,
        base_addresses={"api": config.api_base.rstrip("/")} if config.api_base else None,
        http_client=stripe.HTTPXClient(timeout=TIMEOUT_SECONDS),
        max_network_retries=2,  # the library sends an Idempotency-Key with each POST, so retries are safe
    )


def _plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


async def _call(coro: Any) -> dict[str, Any]:
    try:
        return _plain(await coro)
    except stripe.StripeError as exc:
        raise StripeUnavailable(exc.user_message or str(exc) or type(exc).__name__) from exc


async def create_customer(config: StripeConfig, *, email: str, name: str, organization_id: str) -> dict[str, Any]:
    return await _call(_client(config).v1.customers.create_async(
        {"email": email, "name": name, "metadata": {"organization_id": organization_id}}))


async def create_checkout(config: StripeConfig, *, customer: str, organization_id: str, line_items: list[dict],
                          success_url: str, cancel_url: str) -> dict[str, Any]:
    """A subscription Checkout Session; the organization travels in client_reference_id and in the
    subscription's metadata, so every later event names it."""
    return await _call(_client(config).v1.checkout.sessions.create_async({
        "mode": "subscription", "customer": customer, "client_reference_id": organization_id,
        "line_items": line_items, "success_url": success_url, "cancel_url": cancel_url,
        "subscription_data": {"metadata": {"organization_id": organization_id}},
    }))


async def create_portal(config: StripeConfig, *, customer: str, return_url: str) -> dict[str, Any]:
    return await _call(_client(config).v1.billing_portal.sessions.create_async(
        {"customer": customer, "return_url": return_url}))


async def retrieve_subscription(config: StripeConfig, subscription_id: str) -> dict[str, Any]:
    return await _call(_client(config).v1.subscriptions.retrieve_async(subscription_id))


async def update_items(config: StripeConfig, subscription_id: str, items: list[dict]) -> dict[str, Any]:
    """Change item quantities now, prorated on the next invoice."""
    return await _call(_client(config).v1.subscriptions.update_async(
        subscription_id, {"items": items, "proration_behavior": "create_prorations"}))


async def list_invoices(config: StripeConfig, customer: str, limit: int = 12) -> list[dict[str, Any]]:
    page = await _call(_client(config).v1.invoices.list_async({"customer": customer, "limit": limit}))
    return list(page.get("data") or [])


def verify_event(payload: bytes, signature_header: str | None, secret: str) -> dict[str, Any]:
    """The event of a webhook body whose signature verifies within Stripe's 5-minute tolerance."""
    try:
        stripe.Webhook.construct_event(payload.decode("utf-8"), signature_header, secret)
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
        raise BadSignature(str(exc)) from exc
    return json.loads(payload)
