"""Rate limits of the widget (the REST client API and the /widget page alike): per IP on session
creation, per contact session and per IP on messages and attachments, generous ones on reads.
A refused check raises `RateLimited` (429 with Retry-After and RateLimit-*); a passed one
returns its result, whose headers a route adds to its answer.

| what                  | per contact session | per IP          |
|-----------------------|---------------------|-----------------|
| session creation      | —                   | 20 an hour      |
| messages              | 20 a minute         | 60 a minute     |
| attachments           | 20 an hour          | 60 an hour      |
| reads (poll, files)   | 300 a minute        | 1,200 a minute  |
| typing, seen          | 120 a minute        | —               |
"""

from __future__ import annotations

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute

from livchat.services.usage.limits import RateLimited, RateLimitResult, get_rate_limits

LIMITS: dict[str, RateLimitItem] = {
    "session_ip": RateLimitItemPerHour(20),
    "message_session": RateLimitItemPerMinute(20),
    "message_ip": RateLimitItemPerMinute(60),
    "attachment_session": RateLimitItemPerHour(20),
    "attachment_ip": RateLimitItemPerHour(60),
    "read_session": RateLimitItemPerMinute(300),
    "read_ip": RateLimitItemPerMinute(1200),
    "signal_session": RateLimitItemPerMinute(120),
}


async def take(name: str, key: str | None) -> RateLimitResult:
    result = await get_rate_limits().hit(LIMITS[name], "widget", name, key or "unknown")
    if not result.allowed:
        raise RateLimited(result)
    return result


async def take_all(*checks: tuple[str, str | None]) -> RateLimitResult:
    """Every check in order (the first refusal raises); the most constrained result passed."""
    results = [await take(name, key) for name, key in checks]
    return min(results, key=lambda r: r.remaining if r.remaining is not None else 1 << 62)


async def session_creation(ip: str | None) -> RateLimitResult:
    return await take_all(("session_ip", ip))


async def message(contact_session_id: str, ip: str | None) -> RateLimitResult:
    return await take_all(("message_session", contact_session_id), ("message_ip", ip))


async def attachment(contact_session_id: str, ip: str | None) -> RateLimitResult:
    return await take_all(("attachment_session", contact_session_id), ("attachment_ip", ip),
                          ("message_session", contact_session_id))


async def read(contact_session_id: str | None, ip: str | None) -> RateLimitResult:
    checks = [("read_ip", ip)]
    if contact_session_id:
        checks.insert(0, ("read_session", contact_session_id))
    return await take_all(*checks)


async def signal(contact_session_id: str) -> RateLimitResult:
    return await take_all(("signal_session", contact_session_id))
