"""Billing tests: Stripe switched on against the local fake (tests/fakes/stripe_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.environment import environment
from tests.fakes import stripe_server
from tests.fakes.stripe_server import _fake_stripe_session, fake_stripe  # noqa: F401  (fixtures)

WEBHOOK_SECRET = "whsec_test_livchat"


@pytest.fixture
def stripe_on(fake_stripe: stripe_server.FakeStripe) -> Iterator[stripe_server.FakeStripe]:  # noqa: F811
    """Stripe mode for one test: the keys, prices and API base point at the fake."""
    values = {"STRIPE_SECRET_KEY": stripe_server.SECRET_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
              "STRIPE_API_BASE": fake_stripe.base_url, "STRIPE_PRICE_STARTER": stripe_server.PRICE_STARTER,
              "STRIPE_PRICE_EXTRA_INSTANCE": stripe_server.PRICE_EXTRA,
              "STRIPE_PRICE_SCALE": stripe_server.PRICE_SCALE}
    with environment(values):
        yield fake_stripe
