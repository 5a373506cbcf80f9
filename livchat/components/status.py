"""A coloured badge with a translated status: the one shape for every status in the dashboard."""

from __future__ import annotations

import reflex as rx

from livchat.components.i18n import t
from livchat.i18n import EN

STATUS_COLORS = {"connected": "green", "connecting": "amber", "disconnected": "gray", "sent": "blue",
                 "delivered": "teal", "read": "green", "failed": "red", "received": "violet", "pending": "gray",
                 "active": "green", "failing": "red", "paused": "amber", "revoked": "gray", "none": "gray",
                 "unresolved": "amber", "escalated": "red", "resolved": "green", "processing": "blue",
                 "ready": "green",
                 # billing: subscriptions and invoices
                 "trialing": "blue", "past_due": "red", "canceled": "gray", "paid": "green", "open": "amber",
                 "draft": "gray", "void": "gray", "uncollectible": "red"}


def status_badge(status: rx.Var | str, prefix: str, **props) -> rx.Component:  # type: ignore[no-untyped-def]
    """`status` shown as `<prefix>.<status>` translated, in its colour (class `status-<status>`);
    a status with no translation under `prefix` shows as it is, in gray."""
    return rx.match(
        status,
        *[(name, rx.badge(t(f"{prefix}.{name}"), color_scheme=color, class_name=f"status-{name}", **props))
          for name, color in STATUS_COLORS.items() if f"{prefix}.{name}" in EN],
        rx.badge(status, color_scheme="gray", **props),
    )
