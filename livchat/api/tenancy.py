"""How the tenant-isolation test (tests/accounts/test_tenant_isolation.py) probes each route.

Every FastAPI route with a path parameter is either
- authenticated by `ApiKeyAuth`: then each of its path parameters needs an id factory here, an
  `async (session, organization_id) -> id` that makes a fresh row in that organization, and the
  test asks for that row with ANOTHER organization's key, expecting 404 and no change; or
- declared outside any organization with `openapi_extra={TENANT_SCOPE: "public"}` (sandbox,
  signed inbound hooks, ...).
A new route that is neither makes the test fail. Routes with a JSON body give the test a valid
body with `openapi_extra={PROBE_BODY: {...}}` (else it sends `{}`), or load their row in a
dependency so the 404 comes before body validation.

Register factories next to the router that uses the parameter:

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


def id_factory(param: str) -> Callable[[IdFactory], IdFactory]:
    def register(factory: IdFactory) -> IdFactory:
        ID_FACTORIES[param] = factory
        return factory

    return register


PUBLIC = {TENANT_SCOPE: "public"}

# The same declaration kept here, with the reason, for routes and Reflex states whose modules
# cannot carry it (mounted or third-party code) or that were written before this registry.
PUBLIC_ROUTES: dict[str, str] = {
    "/api/hooks/wuzapi/{instance_id}": "inbound WuzAPI events, authenticated by the instance's own HMAC secret",
}
PUBLIC_STATES: dict[str, str] = {
    "livchat.state.sandbox_phone.SandboxPhoneState": "the simulated phone: sandbox sessions, no organization data",
}
