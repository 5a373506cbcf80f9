"""Tenant isolation that grows by itself.

Every FastAPI route and every Reflex event handler of ours that takes an id is found by
enumeration, given a row of organization A (made by the id factory registered for that parameter
in `livchat.api.tenancy`) and called as organization B. It must answer 404 (API) and change
nothing of A's. A new route or handler nobody registered a factory for fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any
from uuid import uuid4

import httpx
import reflex as rx
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import select as sa_select
from starlette.routing import Mount

import livchat.state
from livchat.api import tenancy
from livchat.api.app import create_api
from livchat.api.deps import ApiKeyAuth, api_key_principal
from livchat.core.db import db, utcnow
from livchat.models import ApiKey, metadata
from livchat.services import api_keys, auth
from conftest import tab_with_cookie
from livchat.state.auth import current_context

PASSWORD = "correct horse battery"
# Mounted sub-applications with their own authentication, not organization data.
PUBLIC_MOUNTS = {"/sandbox/control", "/sandbox/wuzapi", "/docs/assets"}
NOT_IDS = {"path"}  # catch-all `{path:path}` parameters


# --- enumeration ------------------------------------------------------------------------------


def api_routes(app: FastAPI | None = None) -> list[dict[str, Any]]:
    """(path, methods, dependant, openapi_extra) of every route, included routers flattened."""
    found = []
    for route in (app or create_api()).routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        for ctx in contexts:
            if isinstance(ctx, Mount):
                found.append({"mount": ctx.path})
                continue
            original = getattr(ctx, "original_route", ctx)
            if not isinstance(original, APIRoute):
                continue
            found.append({"path": ctx.path, "methods": sorted(ctx.methods - {"HEAD", "OPTIONS"}),
                          "dependant": ctx.dependant, "extra": ctx.openapi_extra or {}, "name": original.name})
    return found


def _calls(dependant) -> set:  # type: ignore[no-untyped-def]
    calls = {dependant.call}
    for sub in dependant.dependencies:
        calls |= _calls(sub)
    return calls


def _id_params(route: dict[str, Any]) -> list[str]:
    return [p.name for p in route["dependant"].path_params if p.name not in NOT_IDS]


def takes_an_id(route: dict[str, Any]) -> bool:
    public = route.get("extra", {}).get(tenancy.TENANT_SCOPE) == "public" or route.get("path") in tenancy.PUBLIC_ROUTES
    return "path" in route and bool(_id_params(route)) and not public


def probe_routes(app: FastAPI) -> list[dict[str, Any]]:
    """Routes behind ApiKeyAuth that take ids, each id with a factory (the others fail the test above)."""
    return [r for r in api_routes(app) if takes_an_id(r) and api_key_principal in _calls(r["dependant"])
            and all(p in tenancy.ID_FACTORIES for p in _id_params(r))]


def reflex_states() -> list[type[rx.State]]:
    for info in pkgutil.walk_packages(livchat.state.__path__, "livchat.state."):
        importlib.import_module(info.name)
    importlib.import_module("livchat.livchat")  # pages import the states they use

    def walk(cls: type[rx.State]):  # type: ignore[no-untyped-def]
        for sub in cls.get_substates():
            yield sub
            yield from walk(sub)

    return [cls for cls in walk(rx.State) if cls.__module__.startswith("livchat.")
            and f"{cls.__module__}.{cls.__name__}" not in tenancy.PUBLIC_STATES]


def id_handlers() -> list[tuple[type[rx.State], str, list[str]]]:
    found = []
    for cls in reflex_states():
        for name, handler in cls.event_handlers.items():
            params = [p for p in inspect.signature(handler.fn).parameters if p != "self"]
            if any(p.endswith("_id") for p in params):
                found.append((cls, name, params))
    return found


# --- organizations A and B, snapshots ---------------------------------------------------------


async def _organization(email: str) -> dict[str, str]:
    async with db.session() as session:
        signed = await auth.sign_up(session, email, PASSWORD, organization_name=email.split("@")[0])
        key = await api_keys.create_api_key(session, signed.organization.id, "probe")
        _, token = await auth.create_session(session, signed.user.id)
        await session.commit()
    return {"org": signed.organization.id, "key": key.secret, "cookie": token}


async def snapshot(organization_id: str) -> list[tuple]:
    """Every row that belongs to (or points at) one organization, in a stable order."""
    rows: list[tuple] = []
    async with db.async_engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if c.name.endswith("organization_id")]
            if table.name == "organizations":
                columns = [table.c.id]
            for column in columns:
                result = await conn.execute(sa_select(table).where(column == organization_id))
                rows += sorted((table.name, *map(repr, row)) for row in result)
    return rows


async def _make_ids(params: list[str], organization_id: str) -> dict[str, str]:
    async with db.session() as session:
        ids = {p: await tenancy.ID_FACTORIES[p](session, organization_id) for p in params}
        await session.commit()
    return ids


# --- API --------------------------------------------------------------------------------------


def test_every_route_that_takes_an_id_is_tenant_scoped_or_declared_public():
    problems = []
    for route in api_routes():
        if "mount" in route:
            if route["mount"] not in PUBLIC_MOUNTS:
                problems.append(f"mount {route['mount']}: add it to PUBLIC_MOUNTS with a reason, or make it routes")
            continue
        if not takes_an_id(route):
            continue
        where = f"{route['methods']} {route['path']}"
        if api_key_principal not in _calls(route["dependant"]):
            problems.append(f"{where}: takes an id but is not behind ApiKeyAuth; declare openapi_extra=tenancy.PUBLIC "
                            "if it is not organization data")
        for param in _id_params(route):
            if param not in tenancy.ID_FACTORIES:
                problems.append(f"{where}: register @tenancy.id_factory({param!r})")
    assert problems == []


async def api_isolation_failures(app: FastAPI) -> tuple[list[str], list[str]]:
    """Probe every id-taking API-key route of `app` as another organization: (failures, probed)."""
    a, b = await _organization(f"a-{uuid4().hex[:6]}@example.com"), await _organization(f"b-{uuid4().hex[:6]}@example.com")
    failures, probed = [], []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for route in probe_routes(app):
            for method in route["methods"]:
                ids = await _make_ids(_id_params(route), a["org"])
                path = route["path"].format(**ids)
                body = route["extra"].get(tenancy.PROBE_BODY, {}) if route["dependant"].body_params else None
                before = await snapshot(a["org"])
                response = await client.request(method, path, json=body, headers={"Authorization": f"Bearer {b['key']}"})
                if response.status_code != 404:
                    failures.append(f"{method} {path} as another organization: {response.status_code} {response.text[:200]}")
                if await snapshot(a["org"]) != before:
                    failures.append(f"{method} {path} changed another organization's data")
                # The probe is real: the owner's own key does reach the row.
                own = await client.request(method, path, json=body, headers={"Authorization": f"Bearer {a['key']}"})
                if own.status_code == 404:
                    failures.append(f"{method} {path}: the id factory made a row its own organization cannot reach")
                probed.append(f"{method} {route['path']}")
    return failures, probed


async def test_another_organizations_ids_answer_404_and_change_nothing(database):
    failures, probed = await api_isolation_failures(create_api())
    assert failures == []
    print("probed API routes:", probed)


async def test_the_probe_catches_a_route_that_forgets_the_organization(database):
    app = create_api()
    leaky = APIRouter()

    @leaky.delete("/api/v1/leaky-keys/{key_id}")
    async def leaky_revoke(principal: ApiKeyAuth, key_id: str) -> dict[str, str]:
        async with db.session() as session:
            key = await session.get(ApiKey, key_id)  # no organization filter: the bug under test
            key.revoked_at = utcnow()
            session.add(key)
            await session.commit()
        return {"revoked": key_id}

    app.router.routes.insert(0, leaky.routes[0])
    failures, probed = await api_isolation_failures(app)
    assert "DELETE /api/v1/leaky-keys/{key_id}" in probed
    assert any("as another organization: 200" in f for f in failures)
    assert any("changed another organization's data" in f for f in failures)


# --- Reflex event handlers --------------------------------------------------------------------


def _tab(state_cls: type[rx.State], cookie_token: str) -> rx.State:
    return tab_with_cookie(state_cls, f"{auth.SESSION_COOKIE}={cookie_token}")


def _filler(param: str) -> Any:
    return {"role": "owner", "form_data": {}}.get(param, "x")


def test_reflex_handlers_that_take_an_id_have_factories():
    missing = [f"{cls.__name__}.{name}({p})" for cls, name, params in id_handlers()
               for p in params if p.endswith("_id") and p not in tenancy.ID_FACTORIES]
    assert missing == []
    assert id_handlers(), "enumeration found no handler: the test would prove nothing"


async def test_reflex_handlers_with_another_organizations_ids_change_nothing(database):
    a, b = await _organization("a@example.com"), await _organization("b@example.com")
    probed = []
    for cls, name, params in id_handlers():
        ids = await _make_ids([p for p in params if p.endswith("_id")], a["org"])
        args = [ids.get(p, _filler(p)) for p in params]
        state = _tab(cls, b["cookie"])
        before = await snapshot(a["org"])
        await cls.event_handlers[name].fn(state, *args)
        assert await snapshot(a["org"]) == before, f"{cls.__name__}.{name} changed another organization's data"
        assert (await current_context(_tab(cls, b["cookie"]))).organization.id == b["org"], (
            f"{cls.__name__}.{name} moved the session into another organization"
        )
        probed.append(f"{cls.__name__}.{name}")
    assert probed
    print("probed handlers:", probed)
