"""Instants as the UI state keeps them: UTC, RFC 3339 (`2026-05-01T14:03:00Z`). The browser shows
them in the viewer's own zone and language (components/time.py)."""

from __future__ import annotations

from datetime import UTC, datetime


def when(value: datetime | str | None) -> str:
    """`value` (a datetime — naive ones are UTC, as the database keeps them — or an ISO string)
    as an RFC 3339 UTC string; "" for none, and a string that does not parse as it is."""
    if not value:
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return text
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
