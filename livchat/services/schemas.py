"""The base of every wire shape (services/<domain>/schemas.py): camelCase JSON, built from
attributes, RFC 3339 UTC timestamps ending in `Z`.

One model per object, used as the API's `response_model`, as the `data` of webhooks and by the
Reflex states, so the three never drift apart:

    class InstanceOut(CamelModel):
        created_at: Timestamp          # a datetime here, "2026-01-15T12:00:00Z" on the wire

    InstanceOut.model_validate(row).wire()   # {"createdAt": "2026-01-15T12:00:00Z", ...}
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel


def rfc3339(value: datetime | None) -> str | None:
    """`2026-01-15T12:00:00.123456Z` (as precise as the value)."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def rfc3339_ms(value: datetime | None) -> str | None:
    """`2026-01-15T12:00:00.123Z`: the webhook envelope's and the delivery log's precision."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None


# A datetime in Python, an RFC 3339 string in JSON (and in the OpenAPI document).
Timestamp = Annotated[datetime, PlainSerializer(rfc3339, return_type=str, when_used="json")]
TimestampMs = Annotated[datetime, PlainSerializer(rfc3339_ms, return_type=str, when_used="json")]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    """Pydantic reads `0` or `1700000000` as a Unix time (1970-01-01...): a date on our wire is
    `YYYY-MM-DD` and nothing else."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("expected a date as YYYY-MM-DD")


# A calendar day given by a client (query strings, bodies): only `YYYY-MM-DD`.
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)

    def wire(self, **options: Any) -> dict[str, Any]:
        """The JSON object as it goes out (camelCase, timestamps as strings)."""
        return self.model_dump(mode="json", by_alias=True, **options)
