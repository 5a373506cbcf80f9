"""The OpenAPI 3.1 document of /api/v1: FastAPI's, completed with what every route shares.

Every 4xx/5xx answer is the one `Problem` schema (application/problem+json); every route lists
401, 429 (with RateLimit-* and Retry-After) and 500, routes with an id 404, routes with input 422,
and their 2xx answers the RateLimit-* headers; the `webhooks` section describes what an endpoint
receives. Schemas nothing refers to are dropped.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

from livchat import __version__
from livchat.api.problems import PROBLEM_JSON
from livchat.services.whatsapp.events import WEBHOOK_EVENT_TYPES
from livchat.services.whatsapp.schemas import (
    MESSAGE_EVENTS,
    InstanceEvent,
    MessageEvent,
)

PREFIX = "/api/v1"
WIDGET_PREFIX = "/api/widget"  # the widget client API: in the same document, with its own credential
CONTACT_SCHEME = "contactToken"
CONTACT_HEADER = "X-Contact-Token"
CONTACT_OPTIONAL = "x-contact-token-optional"  # openapi_extra of a route a signed link also opens
REF = "#/components/schemas/"


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the field, e.g. `to` or `query.limit`.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details; `code` is the stable machine string to branch on."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "type": "https://livchat.ai/problems/invalid-phone", "title": "Unprocessable Entity", "status": 422,
        "detail": "Enter a valid phone number with its country code, e.g. +55 11 91234-5678.",
        "code": "invalid_phone"}]})

    type: str = Field(description="A URI naming the problem type.")
    title: str
    status: int
    detail: str
    code: str = Field(description="`invalid_phone`, `not_found`, `unauthorized`, `rate_limited`, `quota_exceeded`, …")
    errors: list[FieldError] | None = Field(default=None, description="`validation_error` only: each field's problem.")


_RATE_HEADERS = {
    "RateLimit-Limit": "Requests allowed in the current window (the most constrained limit of this route).",
    "RateLimit-Remaining": "Requests left in that window.",
    "RateLimit-Reset": "Seconds until the window has room again.",
}
_RETRY_AFTER = "Seconds to wait before trying again."
_DEFAULT_DESCRIPTIONS = {
    400: "`bad_request`: a body that cannot be decoded (not UTF-8)",
    401: "`unauthorized`: no API key, or an unknown or revoked one (widget routes: `invalid_contact_token`, "
         "`contact_session_expired`)",
    404: "`not_found`: no such resource in your organization",
    422: "`validation_error` (see `errors`), or a precise code such as `invalid_phone`",
    429: "`rate_limited`: the organization's API requests per minute",
    500: "`internal_error`",
    503: "`service_busy`: the database is saturated for a moment; retry after Retry-After seconds",
}
_SIGNATURE_HEADERS = [
    ("webhook-id", "The event id (evt_…), the same on every retry."),
    ("webhook-timestamp", "Unix seconds when this attempt was signed; refuse it if older than 5 minutes."),
    ("webhook-signature", "`v1,<base64 HMAC-SHA256 of \"id.timestamp.body\">`, keyed with your `whsec_` secret's "
                          "decoded bytes; during the 24 h after a rotation, several space-separated."),
    ("x-hmac-signature", "Hex HMAC-SHA256 of the raw body with the same key (for clients written for WuzAPI)."),
]


def build(routes: list[Any], server_url: str) -> dict[str, Any]:
    document = get_openapi(
        title="LivChat API",
        version=__version__,
        openapi_version="3.1.0",
        summary="WhatsApp instances, messages, signed webhooks, usage, and the support desk's conversations and "
                "widget client API.",
        description=(
            "Authenticate with `Authorization: Bearer <API key>`. Errors are RFC 9457 problem details "
            "with a stable `code`. Lists are cursor-paginated (`limit` ≤ 100, `cursor` = the previous "
            "`nextCursor`). POSTs that create or send accept an `Idempotency-Key` header (24 h). Every "
            "route answers RateLimit-* headers; a 429 adds Retry-After. The widget client API (`/api/widget`) "
            "takes no API key: a contact session (`POST /api/widget/sessions`) is its credential, sent as "
            "`X-Contact-Token`, and reaches only its own conversation."
        ),
        routes=routes,
        servers=[{"url": server_url}],
    )
    # Other routers (inbound hooks, sandbox, accounts) are not part of the public contract.
    document["paths"] = {path: ops for path, ops in document.get("paths", {}).items()
                         if path.startswith((PREFIX, WIDGET_PREFIX))}
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in (Problem, MessageEvent, InstanceEvent):
        _add_schema(schemas, model)
    components["headers"] = {name: {"description": text, "schema": {"type": "integer"}}
                             for name, text in {**_RATE_HEADERS, "Retry-After": _RETRY_AFTER}.items()}
    components["securitySchemes"] = {
        "bearerAuth": {"type": "http", "scheme": "bearer",
                       "description": "An API key (`lc_live_…`) from the dashboard."},
        CONTACT_SCHEME: {"type": "apiKey", "in": "header", "name": CONTACT_HEADER,
                         "description": "The `contactToken` of POST /api/widget/sessions (widget client API)."},
    }
    document["security"] = [{"bearerAuth": []}]
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if path.startswith(WIDGET_PREFIX):
                _widget_security(operation)
            _complete(path, operation)
    document["webhooks"] = _webhooks()
    _drop_unreferenced(document)
    return document


def _add_schema(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    schema = model.model_json_schema(by_alias=True, ref_template=REF + "{model}", mode="serialization")
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": REF + "Problem"}}}


def _headers(*names: str) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _widget_security(operation: dict[str, Any]) -> None:
    """Widget client routes take no API key: the contact token (a header parameter in FastAPI's
    document) becomes their security, optional where a signed link may stand in; the public
    ones (settings, sessions, logo) have none."""
    parameters = operation.get("parameters", [])
    token = next((p for p in parameters if p.get("in") == "header" and p.get("name") == CONTACT_HEADER), None)
    if token is None:
        operation["security"] = []
        return
    operation["parameters"] = [p for p in parameters if p is not token]
    if not operation["parameters"]:
        del operation["parameters"]
    optional = operation.pop(CONTACT_OPTIONAL, False)
    operation["security"] = [{CONTACT_SCHEME: []}, {}] if optional else [{CONTACT_SCHEME: []}]


def _complete(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    defaults = [401, 429, 500, 503] if operation.get("security") != [] else [429, 500, 503]
    if "{" in path:
        defaults.append(404)
    if operation.get("parameters") or operation.get("requestBody"):
        defaults.append(422)
    body_types = operation.get("requestBody", {}).get("content", {})
    if "application/json" in body_types:
        defaults.append(400)
    if "multipart/form-data" in body_types:
        responses.setdefault("400", {"description": "`invalid_multipart`: the multipart/form-data body could not "
                                                    "be read"})
    for default in defaults:
        responses.setdefault(str(default), {"description": _DEFAULT_DESCRIPTIONS[default]})
    idempotent = any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
    if idempotent:
        conflict = responses.setdefault("409", {"description": "`idempotency_in_progress`"})
        conflict["headers"] = _headers("Retry-After")
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            if response.get("description") in ("Validation Error", "Successful Response", None):
                response["description"] = _DEFAULT_DESCRIPTIONS.get(int(status), "Error")
            response["content"] = _problem_content()
        elif status.startswith("2"):
            response["headers"] = {**response.get("headers", {}), **_headers(*_RATE_HEADERS)}
    responses["429"]["headers"] = _headers(*_RATE_HEADERS, "Retry-After")
    operation["responses"] = dict(sorted(responses.items()))


def _webhooks() -> dict[str, Any]:
    """One entry per event type: the POST a customer's endpoint receives."""
    parameters = [{"name": name, "in": "header", "required": True, "schema": {"type": "string"}, "description": text}
                  for name, text in _SIGNATURE_HEADERS]
    hooks: dict[str, Any] = {}
    for event_type in WEBHOOK_EVENT_TYPES:
        model = MessageEvent if event_type in MESSAGE_EVENTS else InstanceEvent
        hooks[event_type] = {"post": {
            "summary": f"`{event_type}`",
            "description": ("Sent to the instance's webhook URL, signed (Standard Webhooks). Answer 2xx within "
                            "10 s; anything else is retried with backoff (24 h on paid plans, 3 attempts on free)."),
            "parameters": copy.deepcopy(parameters),
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": REF + model.__name__}}}},
            "responses": {"2XX": {"description": "Received."}},
            "security": [],
        }}
    return hooks


def _drop_unreferenced(document: dict[str, Any]) -> None:
    """Keep only schemas reachable from paths and webhooks (FastAPI adds HTTPValidationError…)."""
    schemas = document["components"]["schemas"]
    reachable: set[str] = set()
    pending = [json.dumps({"paths": document["paths"], "webhooks": document["webhooks"]})]
    while pending:
        text = pending.pop()
        for name in schemas:
            if name not in reachable and f'"{REF}{name}"' in text:
                reachable.add(name)
                pending.append(json.dumps(schemas[name]))
    document["components"]["schemas"] = {name: schemas[name] for name in sorted(reachable)}
