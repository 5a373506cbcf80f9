"""The OpenAPI 3.1 document of /api/v1 and the /docs page that renders it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from livchat.services.whatsapp.events import WEBHOOK_EVENT_TYPES

PROBLEM = {"$ref": "#/components/schemas/Problem"}
RATE_HEADERS = {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}


@pytest.fixture
async def document(api: httpx.AsyncClient) -> dict[str, Any]:
    response = await api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in document["paths"].items() for method, op in ops.items()]


async def test_openapi_document_is_3_1_with_bearer_auth(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["security"] == [{"bearerAuth": []}]
    assert "/api/v1/instances" in document["paths"]
    assert all(path.startswith(("/api/v1", "/api/widget")) for path in document["paths"])


async def test_every_error_answer_is_the_one_problem_schema(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    for method, path, op in _operations(document):
        responses = op["responses"]
        authenticated = op.get("security") != []  # the widget's public routes take no credential
        expected = {"429", "500"} | ({"401"} if authenticated else set()) | ({"404"} if "{" in path else set())
        assert expected <= set(responses), (method, path)
        for status, response in responses.items():
            if status[0] in "45":
                assert response["content"] == {"application/problem+json": {"schema": PROBLEM}}, (method, path, status)
                assert response["description"] not in ("Validation Error", "Successful Response"), (method, path)
    send = document["paths"]["/api/v1/instances/{instance_id}/messages"]["post"]["responses"]
    assert {"409", "422", "429"} <= set(send) and "402" in document["paths"]["/api/v1/instances"]["post"]["responses"]


async def test_rate_limit_headers_are_documented_on_every_route(document: dict[str, Any]) -> None:
    headers = document["components"]["headers"]
    assert RATE_HEADERS | {"Retry-After"} <= set(headers)
    for method, path, op in _operations(document):
        limited = op["responses"]["429"]["headers"]
        assert set(limited) == RATE_HEADERS | {"Retry-After"}, (method, path)
        for status, response in op["responses"].items():
            if status.startswith("2"):
                assert RATE_HEADERS <= set(response["headers"]), (method, path, status)


async def test_idempotency_key_is_a_parameter_of_the_create_and_send_posts(document: dict[str, Any]) -> None:
    def has_key(op: dict[str, Any]) -> bool:
        return any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in op.get("parameters", []))

    with_key = {(method, path) for method, path, op in _operations(document) if has_key(op)}
    assert with_key == {("post", "/api/v1/instances"), ("post", "/api/v1/instances/{instance_id}/messages"),
                        ("post", "/api/v1/conversations/{conversation_id}/messages")}
    for method, path in with_key:
        conflict = document["paths"][path][method]["responses"]["409"]
        assert "Retry-After" in conflict["headers"]


async def test_models_have_examples_and_usage_has_its_own(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    usage = document["paths"]["/api/v1/usage"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert usage == {"$ref": "#/components/schemas/UsageOut"}
    assert {"from", "to", "plan", "limits", "today", "data"} <= set(schemas["UsageOut"]["properties"])
    day = schemas["UsageDay"]["properties"]
    assert {"messagesSent", "messagesReceived", "mediaBytes", "webhooksDelivered", "webhooksFailed"} <= set(day)
    # Request bodies and the responses of the routes carry examples.
    for name in ("InstanceCreate", "PairPhone", "SendMessage", "InstanceOut", "InstancePage", "StatusOut", "ConnectOut",
                 "QrOut", "PairingOut", "SentOut", "MessageOut", "MessagePage", "UsageOut", "Problem",
                 "MessageEvent", "InstanceEvent", "WebhookIn", "WebhookOut", "DeliveryOut", "DeliveryPage",
                 "KnowledgeFileOut", "KnowledgeFilePage", "KnowledgeUrlIn", "SearchResults", "SearchHitOut"):
        assert schemas[name].get("examples"), name


async def test_the_knowledge_upload_is_documented_as_multipart_with_its_refusals(document: dict[str, Any]) -> None:
    upload = document["paths"]["/api/v1/knowledge/files"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary"
    assert {"202", "413", "415", "422"} <= set(upload["responses"])
    assert "unreadable_file" in upload["responses"]["422"]["description"]
    search = document["paths"]["/api/v1/knowledge/search"]["get"]
    limit = next(p for p in search["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 20 and limit["schema"]["default"] == 5


async def test_the_support_desk_and_the_widget_client_api_are_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for path, methods in {
        "/api/v1/organization": {"get"}, "/api/v1/conversations": {"get"},
        "/api/v1/conversations/{conversation_id}": {"get"},
        "/api/v1/conversations/{conversation_id}/messages": {"get", "post"},
        "/api/v1/conversations/{conversation_id}/escalate": {"post"},
        "/api/v1/conversations/{conversation_id}/resolve": {"post"},
        "/api/v1/conversations/{conversation_id}/reopen": {"post"},
        "/api/v1/conversations/{conversation_id}/attachments": {"post"},
        "/api/v1/conversations/{conversation_id}/attachments/{attachment_id}": {"get"},
        "/api/widget/settings": {"get"}, "/api/widget/sessions": {"post"}, "/api/widget/messages": {"get", "post"},
        "/api/widget/attachments": {"post"}, "/api/widget/attachments/{attachment_id}": {"get"},
    }.items():
        assert methods <= set(paths[path]), path
    scheme = document["components"]["securitySchemes"]["contactToken"]
    assert scheme == {"type": "apiKey", "in": "header", "name": "X-Contact-Token",
                      "description": scheme["description"]}
    assert paths["/api/widget/messages"]["post"]["security"] == [{"contactToken": []}]
    assert paths["/api/widget/attachments/{attachment_id}"]["get"]["security"] == [{"contactToken": []}, {}]
    assert paths["/api/widget/settings"]["get"]["security"] == [] == paths["/api/widget/sessions"]["post"]["security"]
    assert not any(p["name"] == "X-Contact-Token" for ops in paths.values() for op in ops.values()
                   for p in op.get("parameters", []))
    upload = paths["/api/widget/attachments"]["post"]["responses"]
    assert {"413", "415", "429"} <= set(upload)
    schemas = document["components"]["schemas"]
    for name in ("ConversationOut", "ConversationPage", "ConversationMessageOut", "ConversationMessagePage", "OrganizationOut",
                 "PublicSettings", "SessionCreated", "MessagePosted", "VisitorMessages"):
        assert schemas[name].get("examples"), name
    assert {"id", "channel", "status", "contact", "instanceId", "unreadCount", "lastMessageAt",
            "createdAt"} <= set(schemas["ConversationOut"]["properties"])
    assert {"id", "sender", "text", "attachments", "sources", "createdAt"} <= set(schemas["ConversationMessageOut"]["properties"])


async def test_the_webhooks_section_describes_every_event(document: dict[str, Any]) -> None:
    hooks = document["webhooks"]
    assert set(hooks) == set(WEBHOOK_EVENT_TYPES)
    for event_type, item in hooks.items():
        post = item["post"]
        schema = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert schema == ("MessageEvent" if event_type.startswith("message.") else "InstanceEvent")
        assert {p["name"] for p in post["parameters"]} == {"webhook-id", "webhook-timestamp", "webhook-signature",
                                                           "x-hmac-signature"}
    event = document["components"]["schemas"]["MessageEvent"]["properties"]
    assert set(event) == {"id", "type", "instanceId", "timestamp", "data"}


async def test_no_stray_schemas(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    text = json.dumps({k: v for k, v in document.items() if k != "components"})
    referenced = set()
    pending = [text]
    while pending:
        chunk = pending.pop()
        for name, schema in schemas.items():
            if name not in referenced and f'"#/components/schemas/{name}"' in chunk:
                referenced.add(name)
                pending.append(json.dumps(schema))
    assert referenced == set(schemas)


async def test_docs_page_is_served_without_any_third_party_call(api: httpx.AsyncClient) -> None:
    page = await api.get("/docs")
    assert page.status_code == 200
    html = page.text
    assert "https://cdn" not in html and "unpkg" not in html and "jsdelivr" not in html
    assert "validatorUrl: null" in html  # Swagger UI would post the document to validator.swagger.io
    assert "curl" in html and "standardwebhooks" in html and "crypto.createHmac" in html
    bundle = await api.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    assert (await api.get("/docs/assets/swagger-ui.css")).status_code == 200
    for unused in ("redoc.standalone.js", "favicon.png", "../__init__.py"):  # only what the page loads
        assert (await api.get(f"/docs/assets/{unused}")).status_code == 404
