"""Wire shapes of webhook endpoints and their delivery log (API.md "Webhooks"): the API's
responses and the dashboard's instance page read the same models. Timestamps here have the
millisecond precision of the event envelopes they log."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from livchat.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from livchat.services.schemas import CamelModel, Example, TimestampMs


class InstanceWebhook(CamelModel):
    """An instance's endpoint, as the instance object carries it."""

    url: str
    events: list[str]
    active: bool
    secret_prefix: str
    paused_at: TimestampMs | None = None
    failing_since: TimestampMs | None = None

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> InstanceWebhook:
        return cls(url=endpoint.url, events=list(endpoint.events), active=endpoint.active and not endpoint.paused_at,
                   secret_prefix=endpoint.secret_prefix, paused_at=endpoint.paused_at,
                   failing_since=endpoint.failing_since)


class WebhookOut(InstanceWebhook):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"url": "https://example.com/hooks/whatsapp", "events": ["message.received"], "active": True,
         "secretPrefix": "whsec_AbCd", "secret": "whsec_AbCdEfGhIjKlMnOpQrStUvWxYz012345"}]})

    secret: str | None = Field(default=None, exclude_if=lambda secret: secret is None,
                               description="The full signing secret: only when just created or rotated.")

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, secret: str | None = None) -> WebhookOut:
        return cls(**InstanceWebhook.of(endpoint).model_dump(), secret=secret)


_DELIVERY_EXAMPLE: Example = {
    "id": "dlv_01JD8Z8S1K2M3N4P5Q6R7S8T9V", "eventId": "evt_01JD8Z7R2M3N4P5Q6R7S8T9V0W",
    "eventType": "message.received", "status": "delivered", "attempts": 1, "lastAttemptAt": "2026-01-15T12:07:00Z",
    "nextAttemptAt": None, "responseStatus": 200, "latencyMs": 42, "failureReason": None,
    "createdAt": "2026-01-15T12:07:00Z"}


class DeliveryOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DELIVERY_EXAMPLE]})

    id: str
    event_id: str
    event_type: str
    status: str = Field(description="pending | delivered | failed")
    attempts: int
    last_attempt_at: TimestampMs | None
    next_attempt_at: TimestampMs | None
    response_status: int | None
    latency_ms: int | None
    failure_reason: str | None = Field(
        default=None, description="Why it failed: endpoint_paused (the endpoint was paused, nothing was sent; "
                                  "redeliver it once the endpoint is saved again) | attempts_exhausted")
    created_at: TimestampMs | None = None

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> DeliveryOut:
        return cls.model_validate(delivery)


class AttemptOut(CamelModel):
    attempt: int
    response_status: int | None
    latency_ms: int | None
    response_snippet: str | None = None
    error: str | None = None
    created_at: TimestampMs | None = None

    @classmethod
    def of(cls, attempt: WebhookAttempt) -> AttemptOut:
        return cls.model_validate(attempt)


class DeliveryDetail(DeliveryOut):
    payload: str
    attempt_log: list[AttemptOut]


class DeliveryPage(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [_DELIVERY_EXAMPLE], "nextCursor": None}]})

    data: list[DeliveryOut]
    next_cursor: str | None
