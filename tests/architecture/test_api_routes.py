"""Every API route is built by `api_router()`, so every JSON body goes through the same strict
parsing (a lone UTF-16 surrogate is a 422, never a 500 from the database)."""

from __future__ import annotations

from fastapi.routing import APIRoute

from livchat.api.app import create_api
from livchat.api.json_body import StrictJsonRoute


def test_every_api_route_parses_json_strictly() -> None:
    routes = [r for r in create_api().routes if isinstance(r, APIRoute)]
    loose = [r.path for r in routes if not isinstance(r, StrictJsonRoute)]
    assert routes and loose == [], f"build these routers with livchat.api.json_body.api_router(): {loose}"
