"""What the plans cost, in one place: the pricing page and its calculator read it today, billing
(Stripe prices, invoices) will read it tomorrow. Amounts are integer centavos of BRL.

| plan    | price                                        | instances          |
|---------|----------------------------------------------|--------------------|
| free    | R$ 0                                         | 1 (50 messages/day) |
| starter | R$ 445/month, 5 instances included           | + R$ 89/month each extra |
| scale   | on request                                   | from SCALE_FROM    |

The instance counts match the plan limits (`livchat.services.usage.limits.PLANS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from livchat.models.enums import Plan

CURRENCY = "BRL"
STARTER_MONTHLY_CENTS = 445_00
STARTER_INCLUDED_INSTANCES = 5
EXTRA_INSTANCE_MONTHLY_CENTS = 89_00
# From this many instances a quote is Scale's (on request): a custom contract beats the arithmetic.
SCALE_FROM = 21
MAX_QUOTED_INSTANCES = 1000


@dataclass(frozen=True)
class Quote:
    instances: int
    plan: str
    monthly_cents: int | None  # None: on request (Scale)
    extra_instances: int

    @property
    def on_request(self) -> bool:
        return self.monthly_cents is None


def quote(instances: int) -> Quote:
    """The monthly price of `instances` WhatsApp numbers on a paid plan: Starter with its five
    included, R$ 89 for each one more; Scale (on request) from SCALE_FROM. Out-of-range counts
    are clamped to 1..MAX_QUOTED_INSTANCES (a calculator's input, not an order)."""
    count = min(max(int(instances), 1), MAX_QUOTED_INSTANCES)
    if count >= SCALE_FROM:
        return Quote(count, Plan.SCALE, None, 0)
    extra = max(0, count - STARTER_INCLUDED_INSTANCES)
    return Quote(count, Plan.STARTER, STARTER_MONTHLY_CENTS + extra * EXTRA_INSTANCE_MONTHLY_CENTS, extra)


def format_price(cents: int, language: str) -> str:
    """`R$ 623,00` in pt-BR, `R$623.00` in English (as Intl.NumberFormat writes BRL in each)."""
    units, rest = divmod(abs(int(cents)), 100)
    sign = "-" if cents < 0 else ""
    if language == "pt-BR":
        return f"{sign}R$\u00a0{units:,}".replace(",", ".") + f",{rest:02d}"
    return f"{sign}R${units:,}.{rest:02d}"
