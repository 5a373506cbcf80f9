"""Schemathesis over the whole `/api/v1` contract (and the public and widget routes in it), against
the served app with the in-process sandbox: generated requests, valid and not, for every
operation. Zero server errors, and every answer matches the documented schema, status code and
content type. Bounded: EXAMPLES cases per operation, with the example database off so a run is
the same run each time."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.faults.test_api_faults import _linked, _org

EXAMPLES = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# These end the instance the other operations are pointed at; they run on random ids instead.
ENDING = {("DELETE", "/api/v1/instances/{instance_id}"), ("POST", "/api/v1/instances/{instance_id}/logout")}


def _fuzz(schema: Any, base_url: str, headers: dict[str, str], instance_id: str) -> tuple[list[str], dict[str, int]]:
    failures: list[str] = []
    calls: dict[str, int] = {}
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            name = f"{operation.method.upper()} {operation.path}"
            try:
                _fuzzer(operation, name, http, base_url, headers, instance_id, failures, calls)()
            except Exception as exc:
                if not failures or not failures[-1].startswith(f"{name}:"):
                    failures.append(f"{name}: {str(exc)[:600]}")
    return failures, calls


def _fuzzer(operation: Any, name: str, http: httpx.Client, base_url: str, headers: dict[str, str], instance_id: str,
            failures: list[str], calls: dict[str, int]) -> Any:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        if "instance_id" in (case.path_parameters or {}) and (operation.method.upper(), operation.path) not in ENDING:
            case.path_parameters["instance_id"] = instance_id
        calls[name] = calls.get(name, 0) + 1
        kwargs = case.as_transport_kwargs(base_url=base_url, headers=headers)
        request = http.build_request(kwargs["method"], kwargs["url"], headers=kwargs.get("headers"),
                                     params=kwargs.get("params"), content=kwargs.get("data") or kwargs.get("content"),
                                     json=kwargs.get("json"), files=_httpx_files(kwargs.get("files")))
        request.read()  # multipart bodies stream: the checks read the request afterwards
        response = http.send(request)
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:
            failures.append(f"{name}: {str(exc)[:600]}")
            raise

    return run


def _httpx_files(files: Any) -> Any:
    """Schemathesis hands generated form fields as Python values (ints, None, dicts); on the wire
    a multipart part is bytes: send them as their JSON text, as a client would."""
    if not files:
        return files

    def part(value: Any) -> Any:
        if isinstance(value, tuple):
            return (value[0], part(value[1]), *value[2:])
        return value if isinstance(value, bytes | str) or hasattr(value, "read") else json.dumps(value)

    items = files.items() if isinstance(files, dict) else files
    return [(name, part(value)) for name, value in items]


async def test_the_api_contract_holds_under_generated_requests(live, session, forget_sandbox_users) -> None:  # type: ignore[no-untyped-def]
    headers = await _org(session)
    instance_id = await _linked(live, headers)
    raw = (await live.http.get("/api/v1/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(raw)
    failures, calls = await asyncio.to_thread(_fuzz, schema, live.url, headers, instance_id)
    assert failures == [], "\n\n".join(dict.fromkeys(failures))
    operations = [(method, path) for path, item in raw["paths"].items() for method in item]
    assert len(calls) == len(operations) and min(calls.values()) >= 3, calls  # every operation really tried


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    from livchat.services.usage.limits import reset_rate_limits

    reset_rate_limits()
