"""Clerk: session JWTs minted here with a local RSA key; webhooks signed here with a local secret."""

from __future__ import annotations

import base64
import json
import os
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import select

from livchat.core.db import db
from livchat.core.settings import reset_settings_cache
from livchat.integrations import clerk
from livchat.models import Membership, Organization, User
from livchat.models.enums import Role

FRONTEND_HOST = "clerk.livchat.test"
PUBLISHABLE_KEY = "pk_test_" + base64.b64encode(f"{FRONTEND_HOST}$".encode()).decode().rstrip("=")
ISSUER = f"https://{FRONTEND_HOST}"
AZP = "http://localhost:3000"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def _rsa_pair() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return key, public_pem


SIGNING_KEY, JWT_KEY = _rsa_pair()
OTHER_KEY, _ = _rsa_pair()


def _token(key=SIGNING_KEY, **overrides) -> str:
    now = int(time.time())
    claims = {"sub": "user_2abc", "sid": "sess_1", "iss": ISSUER, "azp": AZP, "iat": now, "nbf": now - 5,
              "exp": now + 60, "org_id": "org_2xyz", "org_role": "org:admin"}
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="RS256")


async def _verify(token: str) -> clerk.ClerkSession:
    return await clerk.verify_session_token(token, jwt_key=JWT_KEY, publishable_key=PUBLISHABLE_KEY,
                                            authorized_parties=[AZP])


async def test_valid_session_token_is_accepted_networkless():
    session = await _verify(_token())
    assert (session.user_id, session.organization_id, session.organization_role) == ("user_2abc", "org_2xyz", "org:admin")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(time.time()) - 120}, "token-expired"),
        ({"iss": "https://clerk.evil.test"}, "token-invalid-issuer"),
        ({"azp": "https://evil.test"}, "token-invalid-authorized-parties"),
        ({"key": OTHER_KEY}, "token-invalid-signature"),
    ],
    ids=["expired", "wrong-issuer", "wrong-azp", "wrong-key"],
)
async def test_bad_session_tokens_are_refused(overrides, reason):
    with pytest.raises(clerk.ClerkTokenError) as caught:
        await _verify(_token(**overrides))
    assert caught.value.reason == reason


def test_issuer_comes_from_the_publishable_key():
    assert clerk.issuer_from_publishable_key(PUBLISHABLE_KEY) == ISSUER


# --- webhooks ---------------------------------------------------------------------------------


@pytest.fixture
def clerk_env():
    os.environ["CLERK_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    reset_settings_cache()
    yield
    os.environ.pop("CLERK_WEBHOOK_SECRET", None)
    reset_settings_cache()


def _signed(event: dict, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    timestamp = at if at is not None else int(time.time())
    msg_id = f"msg_{abs(hash(body))}"
    return body, {"svix-id": msg_id, "svix-timestamp": str(timestamp),
                  "svix-signature": clerk.sign_webhook(secret, msg_id, timestamp, body),
                  "content-type": "application/json"}


USER_CREATED = {"type": "user.created", "data": {
    "id": "user_2abc", "first_name": "Ana", "last_name": "Lima", "image_url": "https://img.test/a.png",
    "primary_email_address_id": "idn_1",
    "email_addresses": [{"id": "idn_0", "email_address": "old@example.com"},
                        {"id": "idn_1", "email_address": "Ana@Example.com"}]}}
ORG_CREATED = {"type": "organization.created", "data": {"id": "org_2xyz", "name": "Acme", "created_by": "user_2abc"}}


async def _post(api, event: dict, **kwargs):
    body, headers = _signed(event, **kwargs)
    return await api.post("/api/webhooks/clerk", content=body, headers=headers)


async def test_webhooks_create_user_organization_and_membership(api, clerk_env):
    assert (await _post(api, USER_CREATED)).json() == {"received": True, "handled": True}
    assert (await _post(api, ORG_CREATED)).status_code == 200
    second = await _post(api, {"type": "user.created", "data": {
        "id": "user_2def", "primary_email_address_id": "e", "email_addresses": [{"id": "e", "email_address": "bo@example.com"}]}})
    assert second.status_code == 200
    joined = await _post(api, {"type": "organizationMembership.created", "data": {
        "id": "orgmem_1", "role": "org:member", "organization": {"id": "org_2xyz"},
        "public_user_data": {"user_id": "user_2def"}}})
    assert joined.json()["handled"] is True

    async with db.session() as session:
        ana = (await session.exec(select(User).where(User.clerk_user_id == "user_2abc"))).one()
        assert (ana.email, ana.name, ana.password_hash) == ("ana@example.com", "Ana Lima", None)
        org = (await session.exec(select(Organization).where(Organization.clerk_org_id == "org_2xyz"))).one()
        roles = {m.user_id: m.role for m in await session.exec(select(Membership).where(Membership.organization_id == org.id))}
        bo = (await session.exec(select(User).where(User.clerk_user_id == "user_2def"))).one()
        assert roles == {ana.id: Role.OWNER, bo.id: Role.MEMBER}

    await _post(api, {"type": "organization.updated", "data": {"id": "org_2xyz", "name": "Acme Inc"}})
    await _post(api, {"type": "organizationMembership.deleted", "data": {
        "id": "orgmem_1", "organization": {"id": "org_2xyz"}, "public_user_data": {"user_id": "user_2def"}}})
    await _post(api, {"type": "user.deleted", "data": {"id": "user_2def", "deleted": True}})
    async with db.session() as session:
        assert (await session.get(Organization, org.id)).name == "Acme Inc"
        assert (await session.exec(select(User).where(User.clerk_user_id == "user_2def"))).first() is None
        assert len(list(await session.exec(select(Membership).where(Membership.organization_id == org.id)))) == 1


@pytest.mark.parametrize("tamper", ["wrong-secret", "stale", "changed-body", "no-headers"])
async def test_badly_signed_webhooks_are_refused_and_change_nothing(api, clerk_env, tamper):
    other_secret = "whsec_" + base64.b64encode(b"another-secret-another-secret-xx").decode()
    body, headers = _signed(USER_CREATED, secret=other_secret if tamper == "wrong-secret" else WEBHOOK_SECRET,
                            at=int(time.time()) - 6 * 60 if tamper == "stale" else None)
    if tamper == "changed-body":
        body = body.replace(b"Ana", b"Eve")
    if tamper == "no-headers":
        headers = {"content-type": "application/json"}
    response = await api.post("/api/webhooks/clerk", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    async with db.session() as session:
        assert list(await session.exec(select(User))) == []


async def test_webhook_endpoint_is_off_without_a_secret(api):
    body, headers = _signed(USER_CREATED)
    assert (await api.post("/api/webhooks/clerk", content=body, headers=headers)).status_code == 404


# --- the dashboard's server-side check in Clerk mode ------------------------------------------


@pytest.fixture
def clerk_mode():
    saved = dict(os.environ)
    os.environ.update({"CLERK_PUBLISHABLE_KEY": PUBLISHABLE_KEY, "CLERK_SECRET_KEY": "sk_test_unused_offline",
                       "CLERK_JWT_KEY": JWT_KEY, "CLERK_WEBHOOK_SECRET": WEBHOOK_SECRET, "PUBLIC_URL": AZP})
    reset_settings_cache()
    yield
    os.environ.clear()
    os.environ.update(saved)
    reset_settings_cache()


async def _exchange(api, clerk_token: str):
    return await api.get("/api/auth/clerk", headers={"Cookie": f"__session={clerk_token}"})


async def test_clerk_session_is_traded_for_our_session_in_clerks_organization(api, clerk_mode, browser_tab):
    from livchat.services import auth
    from livchat.state.auth import current_context
    from livchat.state.shell import ShellState

    await _post(api, USER_CREATED)
    await _post(api, ORG_CREATED)
    response = await _exchange(api, _token())
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    assert "HttpOnly" in response.headers["set-cookie"]
    ctx = await current_context(browser_tab(ShellState, f"{auth.SESSION_COOKIE}={response.cookies[auth.SESSION_COOKIE]}"))
    assert (ctx.user.clerk_user_id, ctx.organization.clerk_org_id, ctx.role) == ("user_2abc", "org_2xyz", Role.OWNER)


@pytest.mark.parametrize("case", ["wrong-key", "expired", "wrong-issuer", "unknown-user"])
async def test_bad_clerk_sessions_open_nothing(api, clerk_mode, case):
    await _post(api, USER_CREATED)
    token = {"wrong-key": _token(key=OTHER_KEY), "expired": _token(exp=int(time.time()) - 120),
             "wrong-issuer": _token(iss="https://clerk.evil.test"), "unknown-user": _token(sub="user_unknown")}[case]
    response = await _exchange(api, token)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    assert "set-cookie" not in response.headers


async def test_clerk_exchange_is_off_without_clerk(api):
    assert (await _exchange(api, _token())).status_code == 404
