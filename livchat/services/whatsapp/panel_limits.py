"""The test panel's per-IP limits (API.md), one definition for both surfaces: the REST twin
(`/api/public/*`) and the landing page's panel (its Reflex state). Both count in the same windows
(`public`, name, ip), so a visitor cannot double them by switching surface.

LIVCHAT_PANEL_LIMITS (JSON) overrides any of them, e.g. `{"pairphone": "2/hour", "code_seconds": 40}`:
a rate (`limits` notation) per name, and `code_seconds`, how long the panel keeps a QR or pairing
code alive before it shows it as expired (WhatsApp itself gives up after about 160 s).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse

from livchat.core.settings import get_settings
from livchat.services.usage.limits import RateLimited, RateLimitResult, get_rate_limits

RATES: dict[str, str] = {
    "session": "10/hour",
    "connect": "5/hour",
    "qr": "60/minute",
    "status": "120/minute",
    "pairphone": "10/hour",
    "message_day": "50/day",
    "message_second": "1/second",
}
CODE_SECONDS = 160  # a QR code (rotating) or a pairing code is followed this long


@dataclass(frozen=True)
class PanelLimits:
    rates: dict[str, RateLimitItem]
    code_seconds: int

    @property
    def daily_messages(self) -> int:
        return self.rates["message_day"].amount


def panel_limits() -> PanelLimits:
    return _configured(get_settings().panel_limits)


@lru_cache(maxsize=4)
def _configured(overrides: str) -> PanelLimits:
    """RATES and CODE_SECONDS with LIVCHAT_PANEL_LIMITS applied; a typo is an error, not a default."""
    rates, seconds = dict(RATES), CODE_SECONDS
    if overrides.strip():
        try:
            given = json.loads(overrides)
            seconds = int(given.pop("code_seconds", seconds))
            unknown = set(given) - set(RATES)
            if unknown or seconds <= 0:
                raise ValueError(f"unknown names {sorted(unknown)}" if unknown else "code_seconds must be > 0")
            rates.update({name: str(value) for name, value in given.items()})
            parsed = {name: parse(value) for name, value in rates.items()}
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"LIVCHAT_PANEL_LIMITS must be JSON like {{\"pairphone\": \"2/hour\"}} with names "
                             f"{sorted(RATES)} or code_seconds: {exc}") from None
    else:
        parsed = {name: parse(value) for name, value in rates.items()}
    return PanelLimits(parsed, seconds)


async def hit(name: str, ip: str | None) -> RateLimitResult:
    """Count one request of `name` for the visitor's address (the caller decides what a refusal does)."""
    return await get_rate_limits().hit(panel_limits().rates[name], "public", name, ip or "unknown")


async def take(name: str, ip: str | None) -> RateLimitResult:
    """`hit`, raising RateLimited (429 `rate_limited`, with the window's reset) when refused."""
    result = await hit(name, ip)
    if not result.allowed:
        raise RateLimited(result)
    return result
