"""Phone numbers in, E.164 digits out (`5511912345678`, no `+`), which is what WuzAPI takes.

The rule, in order:
1. A number written with `+` (or `00`) is international: it must be valid as written.
2. Bare digits are first read as international (country code included, as WuzAPI and most
   APIs expect: `5511912345678`, `14155552671`).
3. If that is not a valid number, they are read as a Brazilian national number
   (`11 91234-5678`, `(11) 91234-5678`), the product's home market.
Anything that is still not a valid number is `InvalidInput("invalid_phone")`.
"""

from __future__ import annotations

import re

import phonenumbers

from livchat.services.errors import InvalidInput

DEFAULT_REGION = "BR"
_ALLOWED = re.compile(r"^[\d\s()+.\-]{4,32}$")


def normalize_phone(raw: str, default_region: str = DEFAULT_REGION) -> str:
    value = (raw or "").strip()
    if not _ALLOWED.match(value):
        raise InvalidInput("invalid_phone")
    if value.startswith("00"):
        value = "+" + value[2:]
    digits = re.sub(r"\D", "", value)
    candidates = ["+" + digits] if value.startswith("+") else ["+" + digits, value]
    for candidate in candidates:
        region = None if candidate.startswith("+") else default_region
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    raise InvalidInput("invalid_phone")


def jid_phone(jid: str) -> str | None:
    """Digits of a user JID (`5511…:12@s.whatsapp.net` → `5511…`); None for groups, LIDs, …"""
    user, _, server = (jid or "").partition("@")
    user = user.split(":", 1)[0]
    if server != "s.whatsapp.net" or not user.isdigit():
        return None
    return user


def bare_jid(jid: str) -> str:
    """A JID without its device part: `5511…:12@s.whatsapp.net` → `5511…@s.whatsapp.net`."""
    user, sep, server = (jid or "").partition("@")
    return f"{user.split(':', 1)[0]}{sep}{server}" if sep else jid
