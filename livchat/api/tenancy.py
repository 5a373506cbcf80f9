"""How the tenant-isolation test (tests/accounts/test_tenant_isolation.py) probes each route and handler.

An id-like input (a name ending in `_id`/`Id`/`_key`, or `id`/`key`) anywhere a caller can put
one needs an id factory here, an `async (session, organization_id) -> id` that makes a fresh row
in that organization. The test then makes a row of organization A and calls with it as B:
- FastAPI routes behind `ApiKeyAuth`: path parameters, query parameters and JSON body fields
  (`instanceId` uses the `instance_id` factory). Expected: 404, nothing of A's changed, nothing
  of A's in the answer; list routes (no id) show B none of A's rows. Routes outside any
  organization say so with `openapi_extra={TENANT_SCOPE: "public"}` (sandbox, signed inbound hooks).
  Routes with a JSON body give the test a valid body with `openapi_extra={PROBE_BODY: {...}}`
  (else it sends `{}` plus the ids), or load their row in a dependency so the 404 comes first.
- Reflex event handlers of every state: arguments, the form fields they read, and the route
  parameters of the app's dynamic pages (`[instance_key]`). Expected: nothing of A's changed,
  nothing of A's in B's tab state or returned events. An input that is not an organization's row
  is declared in PUBLIC_INPUTS (`"State.handler(param)": reason`); a whole state in PUBLIC_STATES.
A new input that is neither makes the test fail.

Register factories next to the router or state that uses the parameter:

    @tenancy.id_factory("instance_id")
    async def _instance_in(session, organization_id): ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

TENANT_SCOPE = "x-tenant-scope"
PROBE_BODY = "x-tenant-probe-body"

IdFactory = Callable[[AsyncSession, str], Awaitable[str]]
ID_FACTORIES: dict[str, IdFactory] = {}


ID_ALIASES: dict[str, str] = {}


def id_factory(param: str) -> Callable[[IdFactory], IdFactory]:
    def register(factory: IdFactory) -> IdFactory:
        ID_FACTORIES[param] = factory
        return factory

    return register


def same_rows(param: str, as_param: str) -> None:
    """`param` names the same kind of row as `as_param` (a page's route parameter, say)."""
    ID_ALIASES[param] = as_param


def factory_for(param: str) -> IdFactory | None:
    return ID_FACTORIES.get(param) or ID_FACTORIES.get(ID_ALIASES.get(param, ""))


PUBLIC = {TENANT_SCOPE: "public"}

# The same declaration kept here, with the reason, for routes and Reflex states whose modules
# cannot carry it (mounted or third-party code) or that were written before this registry.
PUBLIC_ROUTES: dict[str, str] = {
    "/api/hooks/wuzapi/{instance_id}": "inbound WuzAPI events, authenticated by the instance's own HMAC secret",
}
PUBLIC_STATES: dict[str, str] = {}
PUBLIC_INPUTS: dict[str, str] = {}
