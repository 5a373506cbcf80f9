"""A fake Stripe API for tests: a real HTTP server on 127.0.0.1 speaking Stripe's wire protocol
(form-encoded bodies with bracketed keys, Bearer secret key, JSON objects with `object`), so the
official `stripe` library, pointed at it with STRIPE_API_BASE, talks to it as to api.stripe.com.

    with FakeStripe() as fake:                         # or the `fake_stripe` fixture
        ... the app creates a Checkout Session ...
        subscription = fake.complete_checkout(fake.checkout_sessions[-1]["id"])
        body, header = fake.signed(fake.event("customer.subscription.created", subscription), WEBHOOK_SECRET)

Implemented: `POST /v1/customers`, `POST /v1/checkout/sessions`, `POST /v1/billing_portal/sessions`,
`GET|POST /v1/subscriptions/{id}` (item quantities, `proration_behavior` recorded), `GET /v1/invoices`.
What a customer does in Stripe's own pages (paying at Checkout, a card declined) is done by the
helpers `complete_checkout`, `fail_payment`; `event` builds the event Stripe would send and
`signed` signs it with the library's own scheme (`stripe.WebhookSignature`, `t=...,v1=...`).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any
from urllib.parse import parse_qsl

import pytest
import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from livchat.sandbox.testing import serve_in_thread

SECRET_KEY = "sk_test_fake_livchat"
PRICE_STARTER = "price_starter_brl"
PRICE_EXTRA = "price_extra_instance_brl"
PRICE_SCALE = "price_scale_brl"
AMOUNTS = {PRICE_STARTER: 445_00, PRICE_EXTRA: 89_00, PRICE_SCALE: 0}


def parse_form(body: bytes) -> dict[str, Any]:
    """`a[b][0][c]=1` → {"a": {"b": [{"c": "1"}]}}, as Stripe reads its form encoding."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for part, following in itertools.pairwise(parts):
            child_is_list = following.isdigit()
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append([] if child_is_list else {})
                node = node[index]
            else:
                node = node.setdefault(part, [] if child_is_list else {})
        last = parts[-1]
        if isinstance(node, list):
            index = int(last)
            while len(node) <= index:
                node.append(None)
            node[index] = value
        else:
            node[last] = value
    return root


class FakeStripe:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._stack = ExitStack()
        self.base_url = ""
        self.reset()

    def reset(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.customers: dict[str, dict[str, Any]] = {}
        self.checkout_sessions: list[dict[str, Any]] = []
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.invoices: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    # --- server -------------------------------------------------------------------------------

    def __enter__(self) -> FakeStripe:
        app = Starlette(routes=[
            Route("/v1/customers", self._customers, methods=["POST"]),
            Route("/v1/checkout/sessions", self._checkout, methods=["POST"]),
            Route("/v1/billing_portal/sessions", self._portal, methods=["POST"]),
            Route("/v1/subscriptions/{id}", self._subscription, methods=["GET", "POST"]),
            Route("/v1/invoices", self._invoices, methods=["GET"]),
        ])
        self.base_url = self._stack.enter_context(serve_in_thread(app))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    async def _read(self, request: Request) -> dict[str, Any] | JSONResponse:
        if request.headers.get("authorization") != f"Bearer {SECRET_KEY}":
            return JSONResponse({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}},
                                status_code=401)
        params = parse_form(await request.body()) if request.method == "POST" else dict(request.query_params)
        self.requests.append({"method": request.method, "path": request.url.path, "params": params,
                              "idempotency_key": request.headers.get("idempotency-key")})
        return params

    async def _customers(self, request: Request) -> JSONResponse:
        params = await self._read(request)
        if isinstance(params, JSONResponse):
            return params
        customer = {"id": self.new_id("cus"), "object": "customer", "email": params.get("email"),
                    "name": params.get("name"), "metadata": params.get("metadata") or {}}
        self.customers[customer["id"]] = customer
        return JSONResponse(customer)

    async def _checkout(self, request: Request) -> JSONResponse:
        params = await self._read(request)
        if isinstance(params, JSONResponse):
            return params
        if params.get("mode") != "subscription" or not params.get("line_items"):
            return JSONResponse({"error": {"type": "invalid_request_error", "message": "line_items required"}},
                                status_code=400)
        session_id = self.new_id("cs")
        session = {"id": session_id, "object": "checkout.session", "mode": "subscription",
                   "customer": params.get("customer"), "client_reference_id": params.get("client_reference_id"),
                   "line_items": params["line_items"], "subscription_data": params.get("subscription_data") or {},
                   "success_url": params.get("success_url"), "url": f"https://checkout.stripe.test/c/{session_id}",
                   "status": "open", "subscription": None}
        self.checkout_sessions.append(session)
        return JSONResponse(session)

    async def _portal(self, request: Request) -> JSONResponse:
        params = await self._read(request)
        if isinstance(params, JSONResponse):
            return params
        session_id = self.new_id("bps")
        return JSONResponse({"id": session_id, "object": "billing_portal.session", "customer": params.get("customer"),
                             "return_url": params.get("return_url"),
                             "url": f"https://billing.stripe.test/p/{session_id}"})

    async def _subscription(self, request: Request) -> JSONResponse:
        params = await self._read(request)
        if isinstance(params, JSONResponse):
            return params
        subscription = self.subscriptions.get(request.path_params["id"])
        if subscription is None:
            return JSONResponse({"error": {"type": "invalid_request_error", "message": "No such subscription"}},
                                status_code=404)
        if request.method == "POST":
            self.updates.append(params)
            for change in params.get("items") or []:
                items = subscription["items"]["data"]
                item = next((i for i in items if i["id"] == change.get("id")), None)
                if item is None:
                    item = self._item(change["price"], 0)
                    items.append(item)
                item["quantity"] = int(change.get("quantity") or 0)
        return JSONResponse(subscription)

    async def _invoices(self, request: Request) -> JSONResponse:
        params = await self._read(request)
        if isinstance(params, JSONResponse):
            return params
        rows = [i for i in reversed(self.invoices) if i["customer"] == params.get("customer")]
        return JSONResponse({"object": "list", "data": rows[:int(params.get("limit") or 10)], "has_more": False,
                             "url": "/v1/invoices"})

    # --- what happens in Stripe's own pages, and the events it sends ---------------------------

    def _item(self, price: str, quantity: int) -> dict[str, Any]:
        now = int(time.time())
        return {"id": self.new_id("si"), "object": "subscription_item", "price": {"id": price, "object": "price"},
                "quantity": quantity, "current_period_start": now, "current_period_end": now + 30 * 86400}

    def complete_checkout(self, session_id: str) -> dict[str, Any]:
        """The customer paid at Checkout: the subscription exists (active) and its first invoice is paid."""
        session = next(s for s in self.checkout_sessions if s["id"] == session_id)
        subscription = {
            "id": self.new_id("sub"), "object": "subscription", "customer": session["customer"], "status": "active",
            "metadata": (session["subscription_data"] or {}).get("metadata") or {}, "cancel_at_period_end": False,
            "items": {"object": "list", "data": [self._item(line["price"], int(line["quantity"]))
                                                 for line in session["line_items"]]},
        }
        self.subscriptions[subscription["id"]] = subscription
        session.update(status="complete", subscription=subscription["id"])
        self.invoice(subscription, "paid")
        return subscription

    def invoice(self, subscription: dict[str, Any], status: str) -> dict[str, Any]:
        total = sum(AMOUNTS.get(i["price"]["id"], 0) * i["quantity"] for i in subscription["items"]["data"])
        invoice = {"id": self.new_id("in"), "object": "invoice", "customer": subscription["customer"],
                   "subscription": subscription["id"], "status": status, "total": total, "currency": "brl",
                   "number": f"LC-{len(self.invoices) + 1:04d}", "created": int(time.time()),
                   "hosted_invoice_url": f"https://invoice.stripe.test/{len(self.invoices) + 1}"}
        self.invoices.append(invoice)
        return invoice

    def fail_payment(self, subscription_id: str) -> dict[str, Any]:
        """The renewal charge was declined: an open invoice, the subscription past due."""
        subscription = self.subscriptions[subscription_id]
        subscription["status"] = "past_due"
        return self.invoice(subscription, "open")

    def event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {"id": self.new_id("evt"), "object": "event", "type": kind, "created": int(time.time()),
                "livemode": False, "api_version": "2025-01-27.acacia", "data": {"object": json.loads(json.dumps(obj))}}

    @staticmethod
    def signed(event: dict[str, Any], secret: str, timestamp: int | None = None) -> tuple[bytes, str]:
        """The body and the Stripe-Signature header Stripe would send, by the library's own scheme."""
        payload = json.dumps(event)
        return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


@pytest.fixture(scope="session")
def _fake_stripe_session() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
def fake_stripe(_fake_stripe_session: FakeStripe) -> Iterator[FakeStripe]:
    _fake_stripe_session.reset()
    yield _fake_stripe_session
