"""Vapi's REST API (https://api.vapi.ai, `Authorization: Bearer <private key>`), over httpx, and
nothing else: the assistants, the phone numbers and one call, as plain dataclasses.

    GET /assistant          -> [{id, name, ...}]
    GET /phone-number       -> [{id, number, name, assistantId, ...}]
    GET /call/{id}          -> {id, type, status, startedAt, endedAt, endedReason, cost,
                                artifact: {transcript, recordingUrl}, transcript, recordingUrl,
                                analysis: {summary}, assistantId, ...}

Errors: `VapiUnauthorized` (401/403: the key is wrong), `VapiNotFound` (404), `VapiUnavailable`
(timeouts, connection errors, 5xx, anything unreadable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

DEFAULT_TIMEOUT_SECONDS = 15.0
MAX_LISTED = 100  # Vapi's `limit` for the lists (its default is 100)


class VapiError(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class VapiUnauthorized(VapiError):
    """Vapi refused the key (401/403)."""


class VapiNotFound(VapiError):
    """No such object in the key's Vapi organization (404)."""


class VapiUnavailable(VapiError):
    """Vapi could not be reached in time, failed (5xx) or answered something unreadable."""


@dataclass(frozen=True)
class VapiConfig:
    private_key: str
    base_url: str = "https://api.vapi.ai"
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


@dataclass(frozen=True)
class Assistant:
    id: str
    name: str


@dataclass(frozen=True)
class PhoneNumber:
    id: str
    number: str
    name: str
    assistant_id: str


@dataclass(frozen=True)
class Call:
    id: str
    type: str
    status: str
    assistant_id: str = ""
    created_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    ended_reason: str = ""
    cost: float | None = None
    transcript: str = ""
    recording_url: str = ""
    summary: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def duration_seconds(self) -> int | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0, round((self.ended_at - self.started_at).total_seconds()))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(message, list):
        message = "; ".join(str(m) for m in message)
    return str(message or body)[:200]


async def _get(config: VapiConfig, path: str, params: dict[str, Any] | None = None,
               client: httpx.AsyncClient | None = None) -> Any:
    url = f"{config.base_url.rstrip('/')}{path}"
    headers = {"Authorization": f"Bearer {config.private_key}", "Accept": "application/json"}
    try:
        if client is None:
            async with httpx.AsyncClient(timeout=config.timeout_seconds) as own:
                response = await own.get(url, params=params, headers=headers)
        else:
            response = await client.get(url, params=params, headers=headers, timeout=config.timeout_seconds)
    except httpx.TimeoutException as exc:
        raise VapiUnavailable(f"Vapi did not answer within {config.timeout_seconds:g} s") from exc
    except httpx.HTTPError as exc:
        raise VapiUnavailable(f"Vapi unreachable: {type(exc).__name__}") from exc
    if response.status_code in (401, 403):
        raise VapiUnauthorized(f"Vapi refused the key: {_detail(response)}", response.status_code)
    if response.status_code == 404:
        raise VapiNotFound(f"Vapi: not found: {_detail(response)}", 404)
    if response.status_code >= 400:
        raise VapiUnavailable(f"Vapi answered {response.status_code}: {_detail(response)}", response.status_code)
    try:
        return response.json()
    except ValueError as exc:
        raise VapiUnavailable("Vapi answered something that is not JSON", response.status_code) from exc


def _rows(body: Any) -> list[dict[str, Any]]:
    """A list answer (Vapi returns a bare array; a paginated `{results: [...]}` is read too)."""
    if isinstance(body, dict):
        body = body.get("results")
    if not isinstance(body, list):
        raise VapiUnavailable("Vapi answered a list in an unknown shape")
    return [row for row in body if isinstance(row, dict) and isinstance(row.get("id"), str)]


async def list_assistants(config: VapiConfig, client: httpx.AsyncClient | None = None) -> list[Assistant]:
    body = await _get(config, "/assistant", {"limit": MAX_LISTED}, client)
    return [Assistant(id=row["id"], name=_text(row.get("name"))) for row in _rows(body)]


async def list_phone_numbers(config: VapiConfig, client: httpx.AsyncClient | None = None) -> list[PhoneNumber]:
    body = await _get(config, "/phone-number", {"limit": MAX_LISTED}, client)
    return [PhoneNumber(id=row["id"], number=_text(row.get("number")) or _text(row.get("sipUri")),
                        name=_text(row.get("name")), assistant_id=_text(row.get("assistantId")))
            for row in _rows(body)]


def call_of(body: dict[str, Any]) -> Call:
    """A call object as GET /call/{id} returns it (the artifact's fields win over the deprecated
    top-level `transcript` / `recordingUrl`)."""
    artifact: dict[str, Any] = body["artifact"] if isinstance(body.get("artifact"), dict) else {}
    analysis: dict[str, Any] = body["analysis"] if isinstance(body.get("analysis"), dict) else {}
    cost = body.get("cost")
    return Call(
        id=_text(body.get("id")), type=_text(body.get("type")), status=_text(body.get("status")),
        assistant_id=_text(body.get("assistantId")), created_at=_time(body.get("createdAt")),
        started_at=_time(body.get("startedAt")), ended_at=_time(body.get("endedAt")),
        ended_reason=_text(body.get("endedReason")),
        cost=float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None,
        transcript=_text(artifact.get("transcript")) or _text(body.get("transcript")),
        recording_url=_text(artifact.get("recordingUrl")) or _text(body.get("recordingUrl")),
        summary=_text(analysis.get("summary")) or _text(body.get("summary")),
        raw=body,
    )


async def get_call(config: VapiConfig, call_id: str, client: httpx.AsyncClient | None = None) -> Call:
    body = await _get(config, f"/call/{quote(call_id, safe='')}", None, client)
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        raise VapiUnavailable("Vapi answered a call in an unknown shape")
    return call_of(body)
