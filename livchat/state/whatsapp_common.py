"""Helpers shared by the WhatsApp dashboard states: error keys."""

from __future__ import annotations

from livchat.i18n import EN
from livchat.services.errors import ServiceError

UNEXPECTED = "dashboard_whatsapp.errors.unexpected"
# Errors whose (English, technical) detail is worth showing under the translated message.
WITH_DETAIL = ("dashboard_whatsapp.errors.validation_error", "dashboard_whatsapp.errors.unsafe_webhook_url")


def problem_key(exc: ServiceError) -> str:
    """The translated message for a service error: its precise code first, then its class."""
    return code_key(exc.detail, *[code for c in type(exc).__mro__ if isinstance(code := getattr(c, "code", None), str)])


def code_key(*codes: str) -> str:
    """The catalogue key of the first of `codes` that has one (UNEXPECTED when none has)."""
    for key in (f"{domain}.errors.{code}" for code in codes
                for domain in ("whatsapp", "dashboard_whatsapp", "accounts")):
        if key in EN:
            return key
    return UNEXPECTED

