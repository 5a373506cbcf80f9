"""The plan prices (services/billing/prices.py): the calculator's arithmetic and each locale's
format, and that they agree with the plan limits the product enforces."""

from __future__ import annotations

import pytest

from livchat.models.enums import Plan
from livchat.services.billing import prices
from livchat.services.usage.limits import PLANS


@pytest.mark.parametrize(("instances", "plan", "cents", "extra"), [
    (1, Plan.STARTER, 445_00, 0), (5, Plan.STARTER, 445_00, 0), (6, Plan.STARTER, 534_00, 1),
    (7, Plan.STARTER, 623_00, 2), (20, Plan.STARTER, 1780_00, 15), (21, Plan.SCALE, None, 0),
    (0, Plan.STARTER, 445_00, 0), (10**9, Plan.SCALE, None, 0),
])
def test_quote(instances: int, plan: str, cents: int | None, extra: int) -> None:
    quote = prices.quote(instances)
    assert (quote.plan, quote.monthly_cents, quote.extra_instances) == (plan, cents, extra)
    assert quote.on_request is (cents is None)


def test_prices_are_written_as_each_language_writes_money() -> None:
    assert prices.format_price(623_00, "pt-BR") == "R$\u00a0623,00"
    assert prices.format_price(623_00, "en") == "R$623.00"
    assert prices.format_price(1_234_567_89, "pt-BR") == "R$\u00a01.234.567,89"
    assert prices.format_price(1_234_567_89, "en") == "R$1,234,567.89"
    assert prices.format_price(0, "pt-BR") == "R$\u00a00,00"


def test_prices_agree_with_the_enforced_plan_limits() -> None:
    assert prices.STARTER_INCLUDED_INSTANCES == PLANS[Plan.STARTER].instances
    assert prices.SCALE_FROM > PLANS[Plan.STARTER].instances
