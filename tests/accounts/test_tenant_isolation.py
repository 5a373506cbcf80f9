"""Tenant isolation that grows by itself.

Every FastAPI route and every Reflex event handler of ours is found by enumeration and called as
organization B with organization A's ids wherever an id can go in: path, query and body fields
of a route; arguments, form fields and the page URL's route parameters of a handler. Each id-like
input needs an id factory (tests/factories.py) that makes a fresh row of A, or an explicit
PUBLIC declaration; a new input nobody registered fails here. After each call nothing of A's may
have changed, and nothing of A's (ids, names, emails) may be in B's answer or B's tab state.

Positive controls keep the probe honest: the same call as A must reach A's row (a 2xx for a
route; for a handler, a database statement bound to the id), so a probe that stops early (a
missing precondition, a filler the handler rejects) fails instead of passing silently. And a
deliberately leaky route and leaky state are caught by the same machinery.

Roles, within one organization: every route and every role-gated handler is called by a member,
an admin and an owner, and must answer as the role table (livchat/services/actors.py) says for the
permission tests/permissions.py declares — refused (a 403 `insufficient_role` problem, or the
translated error in the tab) with nothing changed, or allowed. A route or handler declared nowhere
fails, as does a sloppy one that skips the check.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import httpx
import reflex as rx
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from starlette.routing import Mount

import livchat.state
from livchat.api import tenancy
from livchat.api.app import create_api
from livchat.api.deps import ApiKeyAuth, api_key_principal
from livchat.api.problems import PROBLEM_JSON
from livchat.api.v1.auth import ApiCaller, Caller, rate_limited_caller
from livchat.api.widget import VisitorAuth
from livchat.core.db import db, utcnow
from livchat.i18n import CATALOGUES
from livchat.models import ApiKey, ConversationAttachment, Organization, metadata
from livchat.models.enums import Role
from livchat.services import actors
from livchat.services.accounts import api_keys, auth, users
from livchat.services.actors import Actor
from tests import factories, permissions
from tests.accounts.accounts_support import event_text, run_handler, tab_with_cookie
from tests.factories import PASSWORD

# Mounted sub-applications with their own authentication, not organization data.
PUBLIC_MOUNTS = {"/sandbox/control", "/sandbox/wuzapi", "/docs/assets"}
NOT_IDS = {"path"}  # catch-all `{path:path}` parameters
# Handlers the probe does not call (by name on every state, or State.handler), and why.
NOT_PROBED = {
    "setvar": "dispatches to the state's own set_<var> handlers, each probed on its own",
    "OrgFeed.link": "takes no input: links the tab to the feed of current_context's organization; "
                    "linking needs a live Reflex event context",
    "InboxFeed.link": "takes no input: links the tab to the inbox feed of current_context's organization; "
                      "linking needs a live Reflex event context",
    "KnowledgeFeed.link": "takes no input: links the tab to the knowledge feed of current_context's organization; "
                          "linking needs a live Reflex event context",
}


def id_like(name: str) -> bool:
    """`instance_id`, `instanceId`, `instance_key`, `id`, `key`: anything that names a row."""
    return bool(re.search(r"(^|_)(id|key)$|[a-z](Id|Key)$", name))


def factory_name(name: str) -> str:
    """The factory registry speaks snake_case: `instanceId` -> `instance_id`."""
    return re.sub(r"(?<=[a-z])([A-Z])", r"_\1", name).lower()


# --- organizations A and B, snapshots ---------------------------------------------------------


async def _organization(label: str) -> dict[str, str]:
    email = f"{label}-{uuid4().hex[:8]}@example.com"
    async with db.session() as session:
        signed = await auth.sign_up(session, email, PASSWORD, organization_name=f"Org {email.split('@')[0]}")
        key = await api_keys.create_api_key(session, factories.actor_of(signed.organization.id), "probe")
        _, token = await auth.create_session(session, signed.user.id)
        await session.commit()
    return {"org": signed.organization.id, "key": key.secret, "cookie": f"{auth.SESSION_COOKIE}={token}",
            "name": signed.organization.name, "email": email, "user": signed.user.id}


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


async def secrets_of(org: dict[str, str]) -> set[str]:
    """What of A's must never show on B's side: every id of its rows, its name, its people's emails."""
    found = {org["org"], org["name"], org["email"], org["user"]}
    async with db.async_engine.connect() as conn:
        for table in metadata.sorted_tables:
            scope = [c for c in table.columns if c.name == "organization_id"]
            if not scope or "id" not in table.c:
                continue
            found |= {str(v) for v in (await conn.execute(sa_select(table.c.id).where(scope[0] == org["org"]))).scalars()}
    return found


def leaks(text: str, secrets: set[str]) -> list[str]:
    return sorted(s for s in secrets if s and s in text)


async def _make_ids(params: list[str], organization_id: str) -> dict[str, str]:
    async with db.session() as session:
        ids = {p: await factories.factory_for(factory_name(p))(session, organization_id) for p in params}
        await session.commit()
    return ids


# --- API: enumeration ---------------------------------------------------------------------------


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


def _path_ids(route: dict[str, Any]) -> list[str]:
    return [p.name for p in route["dependant"].path_params if p.name not in NOT_IDS]


def _query_ids(route: dict[str, Any]) -> list[str]:
    return [p.alias for p in route["dependant"].query_params if id_like(p.alias)]


def _body_fields(route: dict[str, Any]) -> list[str]:
    """Field names (as sent: aliases) of the JSON body, or the form fields."""
    names = []
    for param in route["dependant"].body_params:
        model = param.field_info.annotation
        fields = getattr(model, "model_fields", None)
        names += [f.alias or n for n, f in fields.items()] if fields else [param.alias]
    return names


def _body_ids(route: dict[str, Any]) -> list[str]:
    return [n for n in _body_fields(route) if id_like(n)]


def _is_public(route: dict[str, Any]) -> bool:
    return route.get("extra", {}).get(tenancy.TENANT_SCOPE) == "public" or route.get("path") in tenancy.PUBLIC_ROUTES


def takes_an_id(route: dict[str, Any]) -> bool:
    return "path" in route and bool(_path_ids(route) + _query_ids(route) + _body_ids(route)) and not _is_public(route)


def behind_api_key(route: dict[str, Any]) -> bool:
    return api_key_principal in _calls(route["dependant"])


def behind_member_cookie(route: dict[str, Any]) -> bool:
    """A dashboard route over plain HTTP: its credential is the browser session cookie."""
    return any(getattr(call, "member_auth", False) for call in _calls(route["dependant"]))


def behind_contact_token(route: dict[str, Any]) -> bool:
    """A widget client route: its credential is a contact session (X-Contact-Token)."""
    return any(getattr(call, "contact_auth", False) for call in _calls(route["dependant"]))


def probe_routes(app: FastAPI, behind: Any = behind_api_key) -> list[dict[str, Any]]:
    """Routes behind ApiKeyAuth (or `behind`'s credential) that take ids, each id with a factory
    (the others fail the test below)."""
    return [r for r in api_routes(app) if takes_an_id(r) and behind(r)
            and all(factories.factory_for(factory_name(p)) for p in _path_ids(r) + _query_ids(r) + _body_ids(r))]


def _bearer(org: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {org['key']}"}


def _cookie(org: dict[str, str]) -> dict[str, str]:
    """A signed-in member's browser on one of our pages."""
    return {"Cookie": org["cookie"], "Sec-Fetch-Site": "same-origin"}


def list_routes(app: FastAPI) -> list[dict[str, Any]]:
    """GET routes behind ApiKeyAuth that take no id: they answer with the caller's own rows."""
    return [r for r in api_routes(app) if "path" in r and "GET" in r["methods"] and behind_api_key(r)
            and not takes_an_id(r)]


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
        if not (behind_api_key(route) or behind_member_cookie(route) or behind_contact_token(route)):
            problems.append(f"{where}: takes an id but is not behind ApiKeyAuth (nor a session cookie or a contact "
                            "token); declare openapi_extra=tenancy.PUBLIC if it is not organization data")
        for name in _path_ids(route) + _query_ids(route) + _body_ids(route):
            if factories.factory_for(factory_name(name)) is None:
                problems.append(f"{where}: register @id_factory({factory_name(name)!r})")
    assert problems == []


class _BodyWithAnId(BaseModel):
    webhookId: str
    text: str


def test_the_route_enumeration_sees_query_and_body_ids():
    """The enumeration itself: an id in a query string or a JSON body counts as much as one in the path."""
    app = FastAPI()

    @app.get("/q")
    async def by_query(principal: ApiKeyAuth, key_id: str, limit: int = 10) -> None: ...

    @app.post("/b")
    async def by_body(principal: ApiKeyAuth, body: _BodyWithAnId) -> None: ...

    found = {r["path"]: r for r in api_routes(app)}
    assert _query_ids(found["/q"]) == ["key_id"] and takes_an_id(found["/q"])
    assert _body_ids(found["/b"]) == ["webhookId"] and factory_name("webhookId") == "webhook_id"


# --- API: probes ----------------------------------------------------------------------------------


async def api_isolation_failures(app: FastAPI, behind: Any = behind_api_key,
                                 credentials: Any = _bearer) -> tuple[list[str], list[str]]:
    """Probe every id-taking API-key route of `app` (or those behind another credential) as another
    organization: (failures, probed)."""
    a, b = await _organization("a"), await _organization("b")
    failures, probed = [], []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for route in probe_routes(app, behind):
            for method in route["methods"]:
                ids = await _make_ids(_path_ids(route) + _query_ids(route) + _body_ids(route), a["org"])
                path = route["path"].format(**{p: ids[p] for p in _path_ids(route)})
                query = {p: ids[p] for p in _query_ids(route)}
                body = None
                if route["dependant"].body_params:
                    body = {**route["extra"].get(tenancy.PROBE_BODY, {}), **{p: ids[p] for p in _body_ids(route)}}
                secrets = await secrets_of(a)
                before = await snapshot(a["org"])
                response = await client.request(method, path, params=query, json=body, headers=credentials(b))
                if response.status_code != 404:
                    failures.append(f"{method} {path} as another organization: {response.status_code} {response.text[:200]}")
                if await snapshot(a["org"]) != before:
                    failures.append(f"{method} {path} changed another organization's data")
                if leaked := leaks(response.text, secrets - set(ids.values())):
                    failures.append(f"{method} {path} answered another organization with its data: {leaked}")
                # The probe is real: the owner's own key does reach the row.
                own = await client.request(method, path, params=query, json=body, headers=credentials(a))
                if own.status_code == 404:
                    failures.append(f"{method} {path}: the id factory made a row its own organization cannot reach")
                probed.append(f"{method} {route['path']}")
    return failures, probed


async def test_another_organizations_ids_answer_404_and_change_nothing(database):
    failures, probed = await api_isolation_failures(create_api())
    assert failures == []
    assert probed, "enumeration found no route: the test would prove nothing"
    print("probed API routes:", probed)


async def test_dashboard_routes_with_another_organizations_ids_answer_404_and_change_nothing(database):
    failures, probed = await api_isolation_failures(create_api(), behind_member_cookie, _cookie)
    assert failures == []
    assert "POST /api/inbox/conversations/{conversation_id}/attachments" in probed


async def list_route_failures(app: FastAPI) -> tuple[list[str], list[str]]:
    """Every list route as B, with A holding one row of every kind: none of A's may show."""
    a, b = await _organization("a"), await _organization("b")
    await _make_ids(sorted(factories.ID_FACTORIES), a["org"])
    secrets = await secrets_of(a)
    failures, shown_to_owner = [], []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for route in list_routes(app):
            theirs = await client.get(route["path"], headers={"Authorization": f"Bearer {b['key']}"})
            if leaked := leaks(theirs.text, secrets):
                failures.append(f"GET {route['path']} as another organization shows {leaked}")
            own = await client.get(route["path"], headers={"Authorization": f"Bearer {a['key']}"})
            if leaks(own.text, secrets - {a["org"], a["name"]}):
                shown_to_owner.append(route["path"])
    return failures, shown_to_owner


async def test_list_routes_show_another_organization_none_of_its_rows(database):
    failures, shown_to_owner = await list_route_failures(create_api())
    assert failures == []
    # Positive control: the owner's own lists do show its rows, so "none" above means something.
    assert "/api/v1/instances" in shown_to_owner


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

    @leaky.get("/api/v1/leaky-key")
    async def leaky_lookup(principal: ApiKeyAuth, key_id: str) -> dict[str, str]:
        async with db.session() as session:
            key = await session.get(ApiKey, key_id)  # the id in the query string, same bug
            return {"organization": key.organization_id}

    @leaky.get("/api/v1/leaky-everything")
    async def leaky_list(principal: ApiKeyAuth) -> dict[str, list[str]]:
        async with db.session() as session:
            return {"keys": list((await session.exec(sa_select(ApiKey.id))).scalars())}  # every organization's

    for route in reversed(leaky.routes):
        app.router.routes.insert(0, route)
    failures, probed = await api_isolation_failures(app)
    assert {"DELETE /api/v1/leaky-keys/{key_id}", "GET /api/v1/leaky-key"} <= set(probed)
    assert any("leaky-keys" in f and "as another organization: 200" in f for f in failures)
    assert any("leaky-keys" in f and "changed another organization's data" in f for f in failures)
    assert any("leaky-key?" not in f and "/api/v1/leaky-key" in f and "with its data" in f for f in failures)
    list_failures, _ = await list_route_failures(app)
    assert any("/api/v1/leaky-everything" in f for f in list_failures)


# --- API: the widget client routes, as another organization's visitor -----------------------------


async def _visitor_of(organization_id: str) -> str:
    """A contact token of the organization, with a conversation of its own."""
    from livchat.services.widget import sessions, visitor

    async with db.session() as session:
        created = await sessions.create_session(session, organization_id, "Other Visitor", "other@example.com", {})
        await visitor.send_message(session, created.visitor, "my own question")
    return created.token


def contact_probe_routes(app: FastAPI) -> list[dict[str, Any]]:
    return [r for r in api_routes(app) if "path" in r and behind_contact_token(r)]


async def contact_isolation_failures(app: FastAPI) -> tuple[list[str], list[str]]:
    """Every widget route behind a contact token, called with organization B's visitor: A's ids
    (wherever an id goes) answer 404 and change nothing, and no answer shows anything of A's
    (A holding a row of every kind). The positive control: A's own visitor reaches the row."""
    a, b = await _organization("a"), await _organization("b")
    b_token = await _visitor_of(b["org"])
    failures, probed = [], []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for route in contact_probe_routes(app):
            for method in route["methods"]:
                await _make_ids(sorted(factories.ID_FACTORIES), a["org"])
                params = _path_ids(route) + _query_ids(route) + _body_ids(route)
                ids = await _make_ids(params, a["org"])
                path = route["path"].format(**{p: ids[p] for p in _path_ids(route)})
                query = {p: ids[p] for p in _query_ids(route)}
                body = None
                if route["dependant"].body_params:
                    body = {**route["extra"].get(tenancy.PROBE_BODY, {"text": "probe", "typing": True}),
                            **{p: ids[p] for p in _body_ids(route)}}
                upload = {}
                if "multipart/form-data" in str(route["extra"].get("requestBody", "")):
                    upload = {"files": {"file": ("probe.png", factories._PNG, "image/png")}, "data": {"text": "hi"}}
                secrets = await secrets_of(a)
                before = await snapshot(a["org"])
                response = await client.request(method, path, params=query, json=body,
                                                headers={"X-Contact-Token": b_token}, **upload)
                if params and response.status_code != 404:
                    failures.append(f"{method} {path} as another organization's visitor: {response.status_code} "
                                    f"{response.text[:200]}")
                if not params and response.status_code >= 400:
                    failures.append(f"{method} {path} refused a visitor of its own: {response.status_code}")
                if await snapshot(a["org"]) != before:
                    failures.append(f"{method} {path} as another organization's visitor changed its data")
                if leaked := leaks(response.text, secrets - set(ids.values())):
                    failures.append(f"{method} {path} showed another organization's visitor its data: {leaked}")
                if params:
                    own_token = factories.CONTACT_TOKENS[ids[params[-1]]]
                    own = await client.request(method, path, params=query, json=body,
                                               headers={"X-Contact-Token": own_token}, **upload)
                    if own.status_code == 404:
                        failures.append(f"{method} {path}: its own visitor cannot reach the row the factory made")
                probed.append(f"{method} {route['path']}")
    return failures, probed


async def test_a_visitor_reaches_nothing_of_another_organization(database):
    failures, probed = await contact_isolation_failures(create_api())
    assert failures == []
    assert {"GET /api/widget/attachments/{attachment_id}", "GET /api/widget/messages",
            "POST /api/widget/messages"} <= set(probed)
    print("probed widget routes:", probed)


async def test_the_visitor_probe_catches_a_widget_route_that_forgets_the_contact(database):
    app = create_api()
    leaky = APIRouter()

    @leaky.get("/api/widget/leaky-attachments/{attachment_id}")
    async def leaky_attachment(contact: VisitorAuth, attachment_id: str) -> dict[str, str]:
        async with db.session() as session:
            row = await session.get(ConversationAttachment, attachment_id)  # no contact filter: the bug
            return {"conversation": row.conversation_id if row else ""}

    for route in reversed(leaky.routes):
        app.router.routes.insert(0, route)
    failures, probed = await contact_isolation_failures(app)
    assert "GET /api/widget/leaky-attachments/{attachment_id}" in probed
    assert any("leaky-attachments" in f and "as another organization's visitor: 200" in f for f in failures)
    assert any("leaky-attachments" in f and "showed another organization's visitor its data" in f for f in failures)


# --- Reflex: the widget page, as another organization's visitor ----------------------------------


def _widget_argument(param: str, annotation: Any, a_conversation: str) -> Any:
    """What a tampered widget tab could send: A's conversation id wherever a string goes."""
    if annotation in (dict, "dict"):
        return {"name": "Probe", "email": "probe@example.com", "text": a_conversation, "status": 201,
                "code": "", "token": "", "languages": "en"}
    if annotation in (bool, "bool"):
        return True
    return a_conversation


async def widget_isolation_failures() -> tuple[list[str], list[str]]:
    """Every WidgetState handler in a tab holding B's visitor token — on B's own page, and on A's page
    (`?organizationId=` of A) — with A's conversation id as every argument: A's rows do not change
    and nothing of A's shows. The positive control: A's own visitor sees A's conversation."""
    from livchat.state.widget import WidgetState
    from tests.widget.widget_support import widget_tab

    a, b = await _organization("a"), await _organization("b")
    a_conversation = (await _make_ids(["conversation_id"], a["org"]))["conversation_id"]
    b_token = await _visitor_of(b["org"])
    secrets = await secrets_of(a)
    failures, probed = [], []
    for page_org in (b["org"], a["org"]):
        for cls, name, params in handlers([WidgetState]):
            tab = widget_tab(page_org)
            await tab.run("load")
            await tab.run("boot", {"token": b_token, "languages": "en"})
            signature = inspect.signature(cls.event_handlers[name].fn)
            args = [_widget_argument(p, signature.parameters[p].annotation, a_conversation) for p in params]
            before = await snapshot(a["org"])
            events = await tab.run(name, *args)
            where = f"{cls.__name__}.{name} (page of {'A' if page_org == a['org'] else 'B'})"
            after = await snapshot(a["org"])
            # On A's page anyone may start a chat (a new contact of A, as POST /api/widget/sessions):
            # rows added, none changed.
            if after != before and not (name == "start" and page_org == a["org"] and set(before) <= set(after)):
                failures.append(f"{where} changed another organization's data")
            # A's page shows A's widget to anyone: its id (in the URL) and its name are public there.
            public = {a_conversation} | ({a["org"], a["name"]} if page_org == a["org"] else set())
            if leaked := leaks(held_by(tab.state) + event_text(events), secrets - public):
                failures.append(f"{where} gave another organization's visitor its data: {leaked}")
            probed.append(f"{cls.__name__}.{name}")
    own = widget_tab(a["org"])
    await own.run("load")
    await own.run("boot", {"token": factories.CONTACT_TOKENS[a_conversation], "languages": "en"})
    if not own.messages:
        failures.append("A's own visitor does not see A's conversation: the probe proves nothing")
    return failures, probed


async def test_a_widget_tab_reaches_nothing_of_another_organization(database):
    from livchat.state.widget import WidgetState

    failures, probed = await widget_isolation_failures()
    assert failures == []
    assert set(probed) == {f"WidgetState.{name}" for _, name, _ in handlers([WidgetState])}
    assert {"WidgetState.send", "WidgetState.refresh", "WidgetState.attach"} <= set(probed)


# --- Reflex: enumeration --------------------------------------------------------------------------


def reflex_states() -> list[type[rx.State]]:
    for info in pkgutil.walk_packages(livchat.state.__path__, "livchat.state."):
        importlib.import_module(info.name)
    importlib.import_module("livchat.livchat")  # pages import the states they use

    def walk(cls: type[rx.State]):  # type: ignore[no-untyped-def]
        for sub in cls.get_substates():
            yield sub
            yield from walk(sub)

    return [cls for cls in walk(rx.State) if cls.__module__.startswith("livchat.")
            and f"{cls.__module__}.{cls.__name__}" not in factories.PUBLIC_STATES]


def route_params() -> list[str]:
    """Route parameters of the app's dynamic pages (`/dashboard/instances/[instance_key]`)."""
    from livchat.livchat import app

    return sorted({name for route in app._unevaluated_pages for name in re.findall(r"\[+(?:\.\.\.)?(\w+)\]+", route)})


def handlers(states: list[type[rx.State]]) -> list[tuple[type[rx.State], str, list[str]]]:
    return [(cls, name, [p for p in inspect.signature(handler.fn).parameters if p != "self"])
            for cls in states for name, handler in cls.event_handlers.items()
            if name not in NOT_PROBED and f"{cls.__name__}.{name}" not in NOT_PROBED]


def _declared_public(cls: type[rx.State], name: str, param: str) -> bool:
    return f"{cls.__name__}.{name}({param})" in factories.PUBLIC_INPUTS


def test_every_id_like_input_of_a_handler_or_page_has_a_factory_or_is_declared_public():
    missing = [f"{cls.__name__}.{name}({p}): register @id_factory({factory_name(p)!r}) or declare it in "
               "factories.PUBLIC_INPUTS" for cls, name, params in handlers(reflex_states())
               for p in params if id_like(p) and factories.factory_for(factory_name(p)) is None
               and not _declared_public(cls, name, p)]
    missing += [f"page route parameter [{p}]: register @id_factory({p!r})" for p in route_params()
                if id_like(p) and factories.factory_for(p) is None]
    assert missing == []
    assert route_params() and handlers(reflex_states()), "enumeration found nothing: the test would prove nothing"


# --- Reflex: probes -------------------------------------------------------------------------------


class RecordingDict(dict):  # type: ignore[type-arg]
    """A dict that notes which keys the handler asked for (form fields, route parameters). Reflex
    may hand it over wrapped in a proxy, hence the plain `dict` calls on the unwrapped object."""

    def __init__(self, values: dict[str, Any], fill: Any = None) -> None:
        super().__init__(values)
        self.read: set[str] = set()
        self._fill = fill

    def _lookup(self, key: str, default: Any) -> Any:
        plain = getattr(self, "__wrapped__", self)
        plain.read.add(key)
        if not dict.__contains__(plain, key) and plain._fill is not None:
            return plain._fill(key)
        return dict.get(plain, key, default)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self._lookup(key, default)

    def __getitem__(self, key: str) -> Any:
        missing = object()
        value = self._lookup(key, missing)
        if value is missing:
            raise KeyError(key)
        return value


def _form_value(name: str) -> str:
    return {"name": "Probe", "email": f"probe-{uuid4().hex[:8]}@example.com", "password": PASSWORD,
            "organization": "Probe Org", "role": "member", "phone": "+55 11 91234-5678",
            "to": "+55 11 91234-5678", "text": "hi", "url": "https://example.com/hook"}.get(name, "x")


def _argument(param: str) -> Any:
    return {"role": "owner", "status": "failed", "event_type": "message.received", "language": "pt-BR"}.get(param, "x")


def held_by(tab: rx.State) -> str:
    """Every var of every state of a tab (frontend and backend), the router (the tab's own URL) aside."""
    held = []

    def walk(state: rx.State) -> None:
        owned = {n: getattr(state, n) for n, f in type(state).__fields__.items()
                 if f._owner is type(state) and not n.startswith(("rx_router", "router_data"))}
        held.append(repr(owned))
        for sub in state.substates.values():
            walk(sub)

    walk(tab._get_root_state())
    return "\n".join(held)


@contextmanager
def bound_parameters() -> Iterator[list[str]]:
    """Every value bound to a statement the database runs meanwhile (did a handler reach a row?)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        values = parameters.values() if isinstance(parameters, dict) else (parameters or ())
        seen.extend(str(v) for v in values)

    engine = db.async_engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@dataclass
class Call:
    """One handler call in a fresh tab: its page loaded first, as a browser would."""

    cls: type[rx.State]
    name: str
    params: list[str]
    ids: dict[str, str]
    route: RecordingDict = field(default_factory=lambda: RecordingDict({}))
    form: RecordingDict = field(default_factory=lambda: RecordingDict({}))
    tab: rx.State | None = None

    async def run(self, cookie: str, route_ids: dict[str, str], form_ids: dict[str, str]) -> tuple[list[Any], list[str]]:
        self.route = RecordingDict(route_ids)
        self.form = RecordingDict(form_ids, fill=_form_value)
        self.tab = tab_with_cookie(self.cls, cookie, "/dashboard", params=self.route)
        if "load" in self.cls.event_handlers and self.name != "load":
            await run_handler(await _call(self.cls.event_handlers["load"].fn, self.tab))
            self.route.read.clear()  # what the handler itself reads is what counts
        args = [self.form if p == "form_data" else self.ids.get(p, _argument(p)) for p in self.params]
        with bound_parameters() as bound:
            events = await run_handler(await _call(self.cls.event_handlers[self.name].fn, self.tab, *args))
        return events, bound


async def _call(fn: Any, *args: Any) -> Any:
    result = fn(*args)
    return await result if inspect.isawaitable(result) else result


async def reflex_isolation_failures(
    states: list[type[rx.State]], page_params: list[str]
) -> tuple[list[str], list[str], list[str]]:
    """Probe every handler of `states` as B with A's ids: (failures, probed, reached as A)."""
    failures, probed, reached = [], [], []
    for cls, name, params in handlers(states):
        where = f"{cls.__name__}.{name}"
        form_ids: dict[str, str] = {}
        for round_ in range(2):  # a second round when the first shows the handler reads id-like form fields
            a, b = await _organization("a"), await _organization("b")
            arg_ids = [p for p in params if id_like(p) and not _declared_public(cls, name, p)]
            made = await _make_ids(arg_ids + page_params + sorted(form_ids), a["org"])
            route_ids = {p: made[p] for p in page_params}
            form_values = {k: made[k] for k in form_ids}
            secrets = await secrets_of(a)
            inputs = {p: made[p] for p in arg_ids}
            probe = Call(cls, name, params, inputs)
            before = await snapshot(a["org"])
            events, _ = await probe.run(b["cookie"], route_ids, form_values)
            if await snapshot(a["org"]) != before:
                failures.append(f"{where} changed another organization's data")
            if leaked := leaks(held_by(probe.tab) + event_text(events), secrets):
                failures.append(f"{where} gave another organization its data: {leaked}")
            ids_read = {k for k in probe.form.read if id_like(k)}
            unregistered = sorted(k for k in ids_read if factories.factory_for(factory_name(k)) is None)
            if unregistered:
                failures.append(f"{where} reads id-like form fields {unregistered}: register factories for them")
            # Positive control, for whatever id the handler actually took in: as A, it reaches the row.
            taken = set(inputs.values()) | {route_ids[p] for p in probe.route.read if p in route_ids} | \
                {form_values[k] for k in probe.form.read if k in form_values}
            if taken:
                if await _reaches_the_row(cls, name, params, a, inputs, route_ids, form_values, taken):
                    reached.append(where)
                else:
                    failures.append(f"{where}: as its own organization the call never reached the row (no "
                                    f"statement used {sorted(taken)}, and an unknown id changes nothing in "
                                    "its outcome): the probe proves nothing")
            probed.append(where)
            new_form_ids = {k for k in ids_read if k not in form_ids and factories.factory_for(factory_name(k))}
            if round_ == 1 or not new_form_ids:
                break
            form_ids = dict.fromkeys(new_form_ids, "")
    return failures, probed, reached


def _unknown(row_id: str) -> str:
    """An id of the same kind that names no row."""
    prefix, _, rest = row_id.rpartition("_")
    return f"{prefix}_{'0' * len(rest)}" if prefix else "0" * len(row_id)


async def _reaches_the_row(cls: type[rx.State], name: str, params: list[str], a: dict[str, str],
                           inputs: dict[str, str], route_ids: dict[str, str], form_values: dict[str, str],
                           taken: set[str]) -> bool:
    """As A, does the call get to the row its ids name? Either a statement is bound to one of them
    (looked up in SQL), or the outcome (tab state, returned events, A's rows) differs from the same
    call with unknown ids (looked up some other way, say among the organization's rows in Python)."""
    unknown = {real: _unknown(real) for real in {*inputs.values(), *route_ids.values(), *form_values.values()}}

    async def outcome(swap: dict[str, str]) -> tuple[str, bool, list[str]]:
        call = Call(cls, name, params, {k: swap.get(v, v) for k, v in inputs.items()})
        before = await snapshot(a["org"])
        events, bound = await call.run(a["cookie"], {k: swap.get(v, v) for k, v in route_ids.items()},
                                       {k: swap.get(v, v) for k, v in form_values.items()})
        seen = held_by(call.tab) + event_text(events)
        for real, fake in unknown.items():
            seen = seen.replace(fake, real)
        return seen, await snapshot(a["org"]) != before, bound

    with_unknown = await outcome(unknown)  # first: the real call may delete the row
    with_real = await outcome({})
    return not taken.isdisjoint(with_real[2]) or with_real[:2] != with_unknown[:2]


async def test_reflex_handlers_with_another_organizations_ids_change_and_show_nothing(database):
    failures, probed, reached = await reflex_isolation_failures(reflex_states(), route_params())
    assert failures == []
    # Every handler was called, and the id-taking ones reached A's rows as A (so B's calls counted).
    assert {"InstancesState.delete", "InstanceDetailState.redeliver", "InstanceDetailState.load",
            "ApiKeysState.revoke", "MembersState.remove", "ShellState.switch_organization"} <= set(reached)
    assert len(set(probed)) == len(handlers(reflex_states()))
    print("probed handlers:", sorted(set(probed)))


# --- the probe itself, against a state that forgets the organization -------------------------------


class LeakyKeysState(rx.State):
    """Three ways of taking A's key id, each looked up without the organization (the bug under test)."""

    seen: str = ""

    @rx.event
    async def reveal(self, key_id: str) -> None:
        async with db.session() as session:
            key = await session.get(ApiKey, key_id)
        self.seen = key.organization_id if key else ""

    @rx.event
    async def revoke_from_form(self, form_data: dict) -> None:
        async with db.session() as session:
            key = await session.get(ApiKey, str(form_data.get("key_id") or ""))
            if key is not None:
                key.revoked_at = utcnow()
                session.add(key)
                await session.commit()

    @rx.event
    async def open_from_url(self):  # type: ignore[no-untyped-def]
        async with db.session() as session:
            key = await session.get(ApiKey, str(self.router._page.params.get("key_id") or ""))
        return rx.set_clipboard(key.id) if key else None

    @rx.event
    async def stops_early(self, key_id: str) -> None:
        if self.seen == "ready":  # never: a precondition the probe does not meet
            async with db.session() as session:
                await session.get(ApiKey, key_id)


async def test_the_probe_catches_a_state_that_forgets_the_organization(database):
    failures, probed, _ = await reflex_isolation_failures([LeakyKeysState], ["key_id"])
    assert sorted(set(probed)) == ["LeakyKeysState.open_from_url", "LeakyKeysState.reveal",
                              "LeakyKeysState.revoke_from_form", "LeakyKeysState.stops_early"]
    text = "\n".join(failures)
    assert "LeakyKeysState.reveal gave another organization its data" in text  # a handler argument
    assert "LeakyKeysState.revoke_from_form changed another organization's data" in text  # a form field
    assert "LeakyKeysState.open_from_url gave another organization its data" in text  # the page URL
    assert "LeakyKeysState.stops_early: as its own organization the call never reached the row" in text


# --- roles: every route and handler as a member, an admin and an owner of one organization ----------

ROLES = (Role.MEMBER, Role.ADMIN, Role.OWNER)
REFUSED_CODE = "insufficient_role"  # PermissionDenied's: a 403 in the API, the translated error on the dashboard
REFUSED_TEXT = f"accounts.errors.{REFUSED_CODE}"


async def _organization_with_roles() -> dict[str, Any]:
    """An organization (its owner signed up) with an admin and a member, each signed in."""
    org = await _organization("roles")
    people = {Role.OWNER: {"user": org["user"], "cookie": org["cookie"]}}
    async with db.session() as session:
        organization = await session.get(Organization, org["org"])
        for role in (Role.ADMIN, Role.MEMBER):
            user = await users.create_user(session, f"{role}-{uuid4().hex[:8]}@example.com", None)
            await users.add_member(session, organization, user, role)
            _, token = await auth.create_session(session, user.id)
            people[role] = {"user": user.id, "cookie": f"{auth.SESSION_COOKIE}={token}"}
        await session.commit()
    return {**org, "people": people}


async def organization_data(organization_id: str) -> list[tuple]:
    """The organization's rows but the signed-in people's sessions (each event marks them last seen)."""
    return [row for row in await snapshot(organization_id) if row[0] != "user_sessions"]


def _declared(name: str) -> str | None:
    """The permission `name` is declared with, None when declared not role-gated; KeyError when neither."""
    if name in permissions.PERMISSIONS:
        return permissions.PERMISSIONS[name]
    if name in permissions.NOT_ROLE_GATED:
        return None
    raise KeyError(name)


def _role_outcome(where: str, role: str, permission: str, refused: bool, changed: bool) -> list[str]:
    if actors.can(role, permission):
        return [f"{where} as {role}: refused, but the role table allows {permission}"] if refused else []
    problems = [] if refused else [f"{where} as {role}: not refused, but the role table denies {permission}"]
    return problems + ([f"{where} as {role}: refused, yet it changed the organization's data"] if changed else [])


async def route_role_failures(app: FastAPI, only: str = "") -> tuple[list[str], list[str]]:
    """Every API-key route (whose path starts with `only`), called by each role (the API key's
    actor swapped for a member's): (failures, tried)."""
    failures, tried = [], []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for route in api_routes(app):
            if "path" not in route or not behind_api_key(route) or not route["path"].startswith(only):
                continue
            for method in route["methods"]:
                where = f"{method} {route['path']}"
                try:
                    permission = _declared(where)
                except KeyError:
                    failures.append(f"{where}: declare the permission its service checks in tests/permissions.py")
                    continue
                if permission is None:
                    continue
                org = await _organization_with_roles()
                async with db.session() as session:
                    organization = await session.get(Organization, org["org"])
                    found = await api_keys.authenticate(session, org["key"])
                assert organization is not None and found is not None
                for role in ROLES:
                    params = _path_ids(route) + _query_ids(route) + _body_ids(route)
                    ids = await _make_ids(params, org["org"])
                    path = route["path"].format(**{p: ids[p] for p in _path_ids(route)})
                    body = None
                    if route["dependant"].body_params:
                        body = {**route["extra"].get(tenancy.PROBE_BODY, {}), **{p: ids[p] for p in _body_ids(route)}}
                    caller = ApiCaller(organization=organization, key=found[1],
                                       actor=Actor.for_member(org["org"], org["people"][role]["user"], role))
                    app.dependency_overrides[rate_limited_caller] = lambda caller=caller: caller
                    before = await organization_data(org["org"])
                    try:
                        response = await client.request(method, path, params={p: ids[p] for p in _query_ids(route)},
                                                        json=body)
                    finally:
                        app.dependency_overrides.pop(rate_limited_caller)
                    refused = response.status_code == 403
                    if refused and (response.headers.get("content-type") != PROBLEM_JSON
                                    or response.json().get("code") != REFUSED_CODE):
                        failures.append(f"{where} as {role}: a 403 that is not the {REFUSED_CODE} problem: "
                                        f"{response.text[:200]}")
                    failures += _role_outcome(where, role, permission, refused,
                                              await organization_data(org["org"]) != before)
                tried.append(where)
    return failures, tried


async def test_every_route_answers_each_role_as_the_role_table_says(database):
    failures, tried = await route_role_failures(create_api())
    assert failures == []
    assert {"POST /api/v1/instances", "PUT /api/v1/instances/{instance_id}/webhook",
            "POST /api/v1/instances/{instance_id}/messages"} <= set(tried)


async def handler_role_failures(states: list[type[rx.State]], page_params: list[str]) -> tuple[list[str], list[str]]:
    """Every role-gated handler of `states`, called by each role in a tab of its own: (failures, tried)."""
    failures, tried = [], []
    for cls, name, params in handlers(states):
        where = f"{cls.__name__}.{name}"
        try:
            permission = _declared(where)
        except KeyError:
            failures.append(f"{where}: declare the permission its service checks in tests/permissions.py, or "
                            "why it is not role-gated (NOT_ROLE_GATED)")
            continue
        if permission is None:
            continue
        org = await _organization_with_roles()
        for role in ROLES:
            arg_ids = [p for p in params if id_like(p) and not _declared_public(cls, name, p)]
            made = await _make_ids(arg_ids + page_params, org["org"])
            call = Call(cls, name, params, {p: made[p] for p in arg_ids})
            before = await organization_data(org["org"])
            events, _ = await call.run(org["people"][role]["cookie"], {p: made[p] for p in page_params}, {})
            shown = held_by(call.tab) + event_text(events)
            failures += _role_outcome(where, role, permission, REFUSED_TEXT in shown,
                                      await organization_data(org["org"]) != before)
        tried.append(where)
    return failures, tried


async def test_every_handler_answers_each_role_as_the_role_table_says(database):
    failures, tried = await handler_role_failures(reflex_states(), route_params())
    assert failures == []
    assert {"InstancesState.create", "InstanceDetailState.save_webhook", "ApiKeysState.revoke",
            "MembersState.change_role", "NoticesState.dismiss"} <= set(tried)
    assert REFUSED_TEXT in CATALOGUES["en"] and REFUSED_TEXT in CATALOGUES["pt-BR"]


def test_permissions_name_only_routes_and_handlers_that_exist_and_permissions_the_table_knows():
    existing = {f"{method} {r['path']}" for r in api_routes() if "path" in r and behind_api_key(r)
                for method in r["methods"]}
    existing |= {f"{cls.__name__}.{name}" for cls, name, _ in handlers(reflex_states())}
    declared = set(permissions.PERMISSIONS) | set(permissions.NOT_ROLE_GATED)
    assert declared - existing == set()
    assert set(permissions.PERMISSIONS) & set(permissions.NOT_ROLE_GATED) == set()
    known = set().union(*actors.PERMISSIONS.values())
    assert {p for p in permissions.PERMISSIONS.values() if p not in known} == set()


class SloppyKeysState(rx.State):
    """Revokes a key without asking the service's role check (the bug under test), and a handler
    nobody declared."""

    @rx.event
    async def revoke(self, key_id: str) -> None:
        async with db.session() as session:
            key = await session.get(ApiKey, key_id)
            if key is not None:
                key.revoked_at = utcnow()
                await session.commit()

    @rx.event
    async def undeclared(self) -> None: ...


async def test_the_role_probe_catches_a_missing_check_and_an_undeclared_route_or_handler(database, monkeypatch):
    monkeypatch.setitem(permissions.PERMISSIONS, "SloppyKeysState.revoke", "manage_keys")
    monkeypatch.setitem(permissions.PERMISSIONS, "DELETE /api/v1/sloppy-keys/{key_id}", "manage_keys")
    failures, _ = await handler_role_failures([SloppyKeysState], [])
    assert "SloppyKeysState.revoke as member: not refused, but the role table denies manage_keys" in failures
    assert any(f.startswith("SloppyKeysState.undeclared: declare") for f in failures)

    app = create_api()
    sloppy = APIRouter()

    @sloppy.delete("/api/v1/sloppy-keys/{key_id}")
    async def sloppy_revoke(caller: Caller, key_id: str) -> None:
        async with db.session() as session:
            mine = (ApiKey.id == key_id) & (ApiKey.organization_id == caller.organization.id)
            await session.exec(sa_update(ApiKey).where(mine).values(revoked_at=utcnow()))  # the role: never asked
            await session.commit()

    @sloppy.get("/api/v1/sloppy-undeclared")
    async def sloppy_undeclared(caller: Caller) -> None: ...

    for route in reversed(sloppy.routes):
        app.router.routes.insert(0, route)
    failures, _ = await route_role_failures(app, only="/api/v1/sloppy-")
    assert ("DELETE /api/v1/sloppy-keys/{key_id} as member: not refused, but the role table denies manage_keys"
            in failures)
    assert "GET /api/v1/sloppy-undeclared: declare the permission its service checks in tests/permissions.py" \
        in failures
