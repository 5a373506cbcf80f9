"""The pricing calculator: how many WhatsApp numbers → what it costs a month. The arithmetic and
the formatting are the billing prices' own (`livchat.services.billing.prices`)."""

from __future__ import annotations

import reflex as rx

from livchat.services.billing import prices
from livchat.state.inputs import browser_input

DEFAULT_INSTANCES = 7


class PricingState(rx.State):
    instances: int = DEFAULT_INSTANCES
    instances_text: str = str(DEFAULT_INSTANCES)  # what the field shows while the visitor types

    @rx.var
    def quote(self) -> dict[str, str]:
        """The monthly price in both languages' formats (the page shows the viewer's)."""
        q = prices.quote(self.instances)
        extra = prices.EXTRA_INSTANCE_MONTHLY_CENTS
        return {
            "plan": str(q.plan),
            "on_request": "yes" if q.on_request else "",
            "extra": str(q.extra_instances),
            "total_en": "" if q.monthly_cents is None else prices.format_price(q.monthly_cents, "en"),
            "total_pt": "" if q.monthly_cents is None else prices.format_price(q.monthly_cents, "pt-BR"),
            "extra_en": prices.format_price(q.extra_instances * extra, "en"),
            "extra_pt": prices.format_price(q.extra_instances * extra, "pt-BR"),
        }

    @rx.event
    @browser_input
    def set_instances(self, value: str) -> None:
        self.instances_text = value[:6]
        digits = "".join(c for c in value if c.isdigit())[:6]
        if digits:
            self.instances = min(max(int(digits), 1), prices.MAX_QUOTED_INSTANCES)

    @rx.event
    def step(self, by: int) -> None:
        if by in (-1, 1):
            self.instances = min(max(self.instances + by, 1), prices.MAX_QUOTED_INSTANCES)
            self.instances_text = str(self.instances)
