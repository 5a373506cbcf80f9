"""Markers the tenant-isolation test (tests/accounts/test_tenant_isolation.py) reads on routes.

- `openapi_extra=PUBLIC` (`{TENANT_SCOPE: "public"}`): the route is outside any organization
  (sandbox, signed inbound hooks, the anonymous test panel); PUBLIC_ROUTES lists mounted ones.
- `openapi_extra={PROBE_BODY: {...}}`: a valid JSON body the probe sends with another
  organization's ids (else it sends `{}` plus the ids).

The id factories that make a fresh row of an organization for each id-like input live with the
tests (tests/factories.py), not here.
"""

from __future__ import annotations

TENANT_SCOPE = "x-tenant-scope"
PROBE_BODY = "x-tenant-probe-body"
PUBLIC = {TENANT_SCOPE: "public"}

# Routes whose modules cannot carry the marker themselves (mounted or third-party code).
PUBLIC_ROUTES: dict[str, str] = {
    "/api/hooks/wuzapi/{instance_id}": "inbound WuzAPI events, authenticated by the instance's own HMAC secret",
}
