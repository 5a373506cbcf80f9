"""Clerk: session JWTs minted here with a local RSA key; webhooks signed here with a local secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import time

import jwt
import pytest
import reflex as rx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import select

from livchat.core.db import db
from livchat.core.settings import reset_settings_cache
from livchat.integrations import clerk
from livchat.models import AuthToken, Membership, Organization, User, UserSession
from livchat.models.enums import Role
from livchat.services.accounts import auth, users
from tests.factories import PASSWORD

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
DROP = object()


def _claims(**overrides) -> dict:
    now = int(time.time())
    claims = {"sub": "user_2abc", "sid": "sess_1", "iss": ISSUER, "azp": AZP, "iat": now, "nbf": now - 5,
              "exp": now + 60, "org_id": "org_2xyz", "org_role": "org:admin", "sts": "active"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not DROP}


def _token(key=SIGNING_KEY, **overrides) -> str:
    return jwt.encode(_claims(**overrides), key, algorithm="RS256")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unsigned(alg: str, secret: bytes | None = None) -> str:
    """A token PyJWT would refuse to make: HS256 keyed with our public key, or `alg: none`."""
    signing_input = f"{_b64(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}.{_b64(json.dumps(_claims()).encode())}"
    signature = _b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()) if secret else ""
    return f"{signing_input}.{signature}"


async def _verify(token: str, parties: list[str] | None = None) -> clerk.ClerkSession:
    return await clerk.verify_session_token(token, jwt_key=JWT_KEY, publishable_key=PUBLISHABLE_KEY,
                                            authorized_parties=parties or [AZP])


async def test_valid_session_token_is_accepted_networkless():
    session = await _verify(_token())
    assert (session.user_id, session.session_id, session.organization_id, session.organization_role) == (
        "user_2abc", "sess_1", "org_2xyz", "org:admin")


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (lambda: _token(exp=int(time.time()) - 120), "token-expired"),
        (lambda: _token(nbf=int(time.time()) + 600), "token-not-active-yet"),
        (lambda: _token(iss="https://clerk.evil.test"), "token-invalid-issuer"),
        (lambda: _token(azp="https://evil.test"), "token-invalid-authorized-parties"),
        (lambda: _token(azp=DROP), "token-invalid-authorized-parties"),
        (lambda: _token(key=OTHER_KEY), "token-invalid-signature"),
        (lambda: _unsigned("HS256", JWT_KEY.encode()), "token-invalid"),
        (lambda: _unsigned("none"), "token-invalid"),
        (lambda: _token(exp=DROP), "token-missing-claims"),
        (lambda: _token(iat=DROP), "token-missing-claims"),
        (lambda: _token(sub=DROP), "token-missing-claims"),
        (lambda: _token(sts="pending"), "session-pending"),
    ],
    ids=["expired", "nbf-future", "wrong-issuer", "wrong-azp", "no-azp", "wrong-key", "hs256-with-public-key",
         "alg-none", "no-exp", "no-iat", "no-sub", "pending-session"],
)
async def test_bad_session_tokens_are_refused(token, reason):
    with pytest.raises(clerk.ClerkTokenError) as caught:
        await _verify(token())
    assert caught.value.reason == reason


@pytest.mark.parametrize("prefix", ["mt_", "m2m_", "ak_", "oat_"])
async def test_machine_tokens_are_refused_before_anything_goes_to_the_network(prefix):
    # No JWT key, a secret key: the SDK would call Clerk's API to verify these. We never let it.
    with pytest.raises(clerk.ClerkTokenError) as caught:
        await clerk.verify_session_token(prefix + "abc123", jwt_key="", publishable_key=PUBLISHABLE_KEY,
                                         secret_key="sk_test_unused", authorized_parties=[AZP])
    assert caught.value.reason == "token-not-a-session"


async def test_an_empty_party_list_is_refused_not_skipped():
    with pytest.raises(clerk.ClerkTokenError):
        await clerk.verify_session_token(_token(), jwt_key=JWT_KEY, publishable_key=PUBLISHABLE_KEY,
                                         authorized_parties=[])


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


_message_ids = itertools.count(1)


def _signed(event: dict, *, secret: str = WEBHOOK_SECRET, at: int | None = None,
            msg_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    timestamp = at if at is not None else int(time.time())
    msg_id = msg_id or f"msg_{next(_message_ids)}_{time.time_ns()}"
    return body, {"svix-id": msg_id, "svix-timestamp": str(timestamp),
                  "svix-signature": clerk.sign_webhook(secret, msg_id, timestamp, body),
                  "content-type": "application/json"}


def _user(clerk_id: str, email: str, *, verified: bool = True, updated_at: int = 1000, **extra) -> dict:
    return {"id": clerk_id, "primary_email_address_id": "idn_1", "updated_at": updated_at,
            "email_addresses": [{"id": "idn_1", "email_address": email,
                                 "verification": {"status": "verified" if verified else "unverified"}}], **extra}


USER_CREATED = {"type": "user.created", "data": {
    "id": "user_2abc", "first_name": "Ana", "last_name": "Lima", "image_url": "https://img.test/a.png",
    "primary_email_address_id": "idn_1", "updated_at": 1000,
    "email_addresses": [{"id": "idn_0", "email_address": "old@example.com"},
                        {"id": "idn_1", "email_address": "Ana@Example.com", "verification": {"status": "verified"}}]}}
ORG_CREATED = {"type": "organization.created", "data": {"id": "org_2xyz", "name": "Acme", "created_by": "user_2abc"}}


def _membership(kind: str, user_id: str, role: str = "org:member", **extra) -> dict:
    return {"type": f"organizationMembership.{kind}", "data": {
        "id": f"orgmem_{user_id}", "role": role, "organization": {"id": "org_2xyz"},
        "public_user_data": {"user_id": user_id}, **extra}}


async def _post(api, event: dict, **kwargs):
    body, headers = _signed(event, **kwargs)
    return await api.post("/api/webhooks/clerk", content=body, headers=headers)


async def test_webhooks_create_user_organization_and_membership(api, clerk_env):
    assert (await _post(api, USER_CREATED)).json() == {"received": True, "handled": True, "reason": None}
    assert (await _post(api, ORG_CREATED)).status_code == 200
    second = await _post(api, {"type": "user.created", "data": _user("user_2def", "bo@example.com")})
    assert second.status_code == 200
    joined = await _post(api, _membership("created", "user_2def"))
    assert joined.json()["handled"] is True

    async with db.session() as session:
        ana = (await session.exec(select(User).where(User.clerk_user_id == "user_2abc"))).one()
        assert (ana.email, ana.name, ana.password_hash) == ("ana@example.com", "Ana Lima", None)
        org = (await session.exec(select(Organization).where(Organization.clerk_org_id == "org_2xyz"))).one()
        roles = {m.user_id: m.role for m in await session.exec(select(Membership).where(Membership.organization_id == org.id))}
        bo = (await session.exec(select(User).where(User.clerk_user_id == "user_2def"))).one()
        assert roles == {ana.id: Role.OWNER, bo.id: Role.MEMBER}

    await _post(api, {"type": "organization.updated", "data": {"id": "org_2xyz", "name": "Acme Inc"}})
    await _post(api, _membership("deleted", "user_2def"))
    await _post(api, {"type": "user.deleted", "data": {"id": "user_2def", "deleted": True}})
    async with db.session() as session:
        assert (await session.get(Organization, org.id)).name == "Acme Inc"
        assert (await session.exec(select(User).where(User.clerk_user_id == "user_2def"))).first() is None
        assert len(list(await session.exec(select(Membership).where(Membership.organization_id == org.id)))) == 1


async def test_an_event_that_arrives_before_its_user_or_organization_is_retried_not_lost(api, clerk_env):
    early = _signed(_membership("created", "user_2def"))
    response = await api.post("/api/webhooks/clerk", content=early[0], headers=early[1])
    assert response.status_code == 409 and response.json()["code"] == "not_ready"  # svix delivers it again
    assert (await _post(api, ORG_CREATED)).status_code == 409  # its creator is not here yet either
    async with db.session() as session:
        assert list(await session.exec(select(Membership))) == [] and list(await session.exec(select(Organization))) == []

    for event in (USER_CREATED, ORG_CREATED, {"type": "user.created", "data": _user("user_2def", "bo@example.com")}):
        assert (await _post(api, event)).json()["handled"] is True
    retried = await api.post("/api/webhooks/clerk", content=early[0], headers=early[1])  # svix's retry
    assert retried.status_code == 200 and retried.json()["handled"] is True
    async with db.session() as session:
        assert len(list(await session.exec(select(Membership)))) == 2


async def test_a_redelivered_message_is_applied_once(api, clerk_env):
    body, headers = _signed({"type": "user.created", "data": _user("user_2def", "bo@example.com")})
    assert (await api.post("/api/webhooks/clerk", content=body, headers=headers)).json()["handled"] is True
    await _post(api, {"type": "user.deleted", "data": {"id": "user_2def", "deleted": True}})
    again = await api.post("/api/webhooks/clerk", content=body, headers=headers)  # same svix-id, later
    assert again.status_code == 200 and again.json() == {"received": True, "handled": False, "reason": "duplicate"}
    async with db.session() as session:
        assert await users.get_user_by_email(session, "bo@example.com") is None  # not brought back


async def test_an_older_update_arriving_late_is_ignored(api, clerk_env):
    await _post(api, {"type": "user.created", "data": _user("user_2def", "bo@example.com", updated_at=100,
                                                            first_name="First")})
    await _post(api, {"type": "user.updated", "data": _user("user_2def", "bo@example.com", updated_at=300,
                                                            first_name="Newest")})
    late = await _post(api, {"type": "user.updated", "data": _user("user_2def", "bo@example.com", updated_at=200,
                                                                   first_name="Older")})
    assert late.json() == {"received": True, "handled": False, "reason": "stale"}
    async with db.session() as session:
        assert (await users.get_user_by_email(session, "bo@example.com")).name == "Newest"


async def test_a_verified_clerk_address_takes_over_the_local_account_and_ends_its_access(api, clerk_env):
    async with db.session() as session:
        local = await auth.sign_up(session, "ana@example.com", PASSWORD)
        _, token = await auth.create_session(session, local.user.id)
        await auth.request_password_reset(session, "ana@example.com")
        await session.commit()
    assert (await _post(api, USER_CREATED)).json()["handled"] is True
    async with db.session() as session:
        user = await session.get(User, local.user.id)
        assert user.clerk_user_id == "user_2abc" and user.password_hash is None
        assert await auth.resolve_session(session, token) is None  # whoever held it is signed out
        assert all(t.used_at is not None for t in await session.exec(select(AuthToken)))  # reset links dead


async def test_an_unverified_clerk_address_never_takes_over_a_local_account(api, clerk_env):
    async with db.session() as session:
        local = await auth.sign_up(session, "ana@example.com", PASSWORD)
        await session.commit()
    response = await _post(api, {"type": "user.created", "data": _user("user_evil", "ana@example.com", verified=False)})
    assert response.status_code == 200 and response.json()["reason"] == "email_conflict"  # not retried forever
    async with db.session() as session:
        user = await session.get(User, local.user.id)
        assert user.clerk_user_id is None and user.password_hash == local.user.password_hash
        assert (await session.exec(select(User).where(User.clerk_user_id == "user_evil"))).first() is None


async def test_an_address_already_linked_elsewhere_is_answered_not_500(api, clerk_env):
    await _post(api, USER_CREATED)
    other = await _post(api, {"type": "user.created", "data": _user("user_3ghi", "ana@example.com")})
    assert other.status_code == 200 and other.json()["reason"] == "email_conflict"
    await _post(api, {"type": "user.created", "data": _user("user_2def", "bo@example.com")})
    moved = await _post(api, {"type": "user.updated", "data": _user("user_2def", "ana@example.com", updated_at=2000,
                                                                    first_name="Bo")})
    assert moved.status_code == 200
    async with db.session() as session:
        bo = (await session.exec(select(User).where(User.clerk_user_id == "user_2def"))).one()
        assert (bo.email, bo.name) == ("bo@example.com", "Bo")  # the address stays; the rest applies


async def test_removing_the_last_owner_in_clerk_keeps_the_organization_owned(api, clerk_env):
    await _post(api, USER_CREATED)
    await _post(api, ORG_CREATED)
    alone = await _post(api, _membership("deleted", "user_2abc"))
    assert alone.status_code == 200 and alone.json()["reason"] == "last_owner"
    await _post(api, {"type": "user.created", "data": _user("user_2def", "bo@example.com")})
    await _post(api, _membership("created", "user_2def", role="org:admin"))
    assert (await _post(api, _membership("deleted", "user_2abc"))).json()["handled"] is True
    async with db.session() as session:
        roles = [(m.user.email, m.membership.role) for m in await _members(session)]
    assert roles == [("bo@example.com", Role.OWNER)]  # the admin inherited the ownership


async def _members(session):  # type: ignore[no-untyped-def]
    from livchat.services.accounts import organizations

    org = (await session.exec(select(Organization).where(Organization.clerk_org_id == "org_2xyz"))).one()
    return await organizations.list_members(session, org.id)


async def test_badly_signed_webhooks_are_refused_and_change_nothing(api, clerk_env):
    other_secret = "whsec_" + base64.b64encode(b"another-secret-another-secret-xx").decode()
    for tamper in ("wrong-secret", "stale", "changed-body", "no-headers"):
        body, headers = _signed(USER_CREATED, secret=other_secret if tamper == "wrong-secret" else WEBHOOK_SECRET,
                                at=int(time.time()) - 6 * 60 if tamper == "stale" else None)
        if tamper == "changed-body":
            body = body.replace(b"Ana", b"Eve")
        if tamper == "no-headers":
            headers = {"content-type": "application/json"}
        response = await api.post("/api/webhooks/clerk", content=body, headers=headers)
        assert response.status_code == 401, tamper
        assert response.json()["code"] == "invalid_signature"
    async with db.session() as session:
        assert list(await session.exec(select(User))) == []


async def test_webhook_endpoint_is_off_without_a_secret(api):
    body, headers = _signed(USER_CREATED)
    assert (await api.post("/api/webhooks/clerk", content=body, headers=headers)).status_code == 404


# --- the dashboard's server-side check in Clerk mode ------------------------------------------


@pytest.fixture
def clerk_mode(clerk_configured):
    clerk_configured({"CLERK_PUBLISHABLE_KEY": PUBLISHABLE_KEY, "CLERK_SECRET_KEY": "sk_test_unused_offline",
                      "CLERK_JWT_KEY": JWT_KEY, "CLERK_WEBHOOK_SECRET": WEBHOOK_SECRET, "PUBLIC_URL": AZP})


async def _exchange(api, clerk_token: str, cookie: str = ""):
    return await api.get("/api/auth/clerk", headers={"Cookie": f"__session={clerk_token}{cookie}"})


async def test_clerk_session_is_traded_for_our_session_in_clerks_organization(api, clerk_mode, browser_tab):
    from livchat.state.auth import current_context
    from livchat.state.shell import ShellState

    await _post(api, USER_CREATED)
    await _post(api, ORG_CREATED)
    response = await _exchange(api, _token())
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    assert "HttpOnly" in response.headers["set-cookie"]
    ctx = await current_context(browser_tab(ShellState, f"{auth.SESSION_COOKIE}={response.cookies[auth.SESSION_COOKIE]}"))
    assert (ctx.user.clerk_user_id, ctx.organization.clerk_org_id, ctx.role) == ("user_2abc", "org_2xyz", Role.OWNER)
    assert ctx.user_session.clerk_session_id == "sess_1"


async def test_clerk_ending_its_session_or_banning_the_user_ends_ours(api, clerk_mode):
    await _post(api, USER_CREATED)
    first = (await _exchange(api, _token(sid="sess_1"))).cookies[auth.SESSION_COOKIE]
    api.cookies.clear()
    second = (await _exchange(api, _token(sid="sess_2"))).cookies[auth.SESSION_COOKIE]
    api.cookies.clear()
    for kind in ("session.ended", "session.revoked", "session.removed"):
        assert (await _post(api, {"type": kind, "data": {"id": "sess_1", "user_id": "user_2abc"}})).status_code == 200
    async with db.session() as session:
        assert await auth.resolve_session(session, first) is None
        assert await auth.resolve_session(session, second) is not None  # another of Clerk's sessions
    banned = {**USER_CREATED["data"], "banned": True, "updated_at": 5000}
    await _post(api, {"type": "user.updated", "data": banned})
    async with db.session() as session:
        assert await auth.resolve_session(session, second) is None


async def test_the_allowed_token_parties_are_a_setting(api, clerk_mode, clerk_configured):
    await _post(api, USER_CREATED)
    clerk_configured({"CLERK_AUTHORIZED_PARTIES": "https://app.example.com, https://admin.example.com"})
    assert (await _exchange(api, _token(azp="https://admin.example.com"))).headers["location"] == "/dashboard"
    api.cookies.clear()
    refused = await _exchange(api, _token(azp=AZP))  # PUBLIC_URL is no longer in the list
    assert refused.headers["location"] == "/sign-in?error=clerk_sign_in_failed"


@pytest.mark.parametrize("case", ["wrong-key", "expired", "wrong-issuer", "unknown-user", "machine-token"])
async def test_bad_clerk_sessions_open_nothing_and_say_why_on_sign_in(api, clerk_mode, case):
    await _post(api, USER_CREATED)
    token = {"wrong-key": _token(key=OTHER_KEY), "expired": _token(exp=int(time.time()) - 120),
             "wrong-issuer": _token(iss="https://clerk.evil.test"), "unknown-user": _token(sub="user_unknown"),
             "machine-token": "mt_abcdef"}[case]
    response = await _exchange(api, token)
    expected = "clerk_account_pending" if case == "unknown-user" else "clerk_sign_in_failed"
    assert response.status_code == 303 and response.headers["location"] == f"/sign-in?error={expected}"
    assert "set-cookie" not in response.headers


async def test_clerk_exchange_is_off_without_clerk(api):
    assert (await _exchange(api, _token())).status_code == 404


async def test_a_clerk_sign_in_ends_the_browsers_previous_session(api, clerk_mode):
    await _post(api, USER_CREATED)
    old = (await _exchange(api, _token(sid="sess_1"))).cookies[auth.SESSION_COOKIE]
    api.cookies.clear()
    await _exchange(api, _token(sid="sess_2"), f"; {auth.SESSION_COOKIE}={old}")
    async with db.session() as session:
        assert await auth.resolve_session(session, old) is None


# --- local-account handlers, pages and components in Clerk mode ---------------------------------


async def test_local_account_handlers_refuse_over_the_websocket(database, clerk_mode, browser_tab):
    from livchat.state.account_forms import PasswordResetState, SignInState, SignUpState
    from tests.accounts.accounts_support import run_handler

    async with db.session() as session:  # an account from before Clerk was switched on
        user = await users.create_user(session, "ana@example.com", PASSWORD)
        await session.commit()
    sign_in = browser_tab(SignInState, "", "/sign-in")
    assert await run_handler(await SignInState.sign_in.fn(sign_in, {"email": "ana@example.com", "password": PASSWORD})) == []
    sign_up = browser_tab(SignUpState, "", "/sign-up")
    await SignUpState.sign_up.fn(sign_up, {"email": "bo@example.com", "password": PASSWORD})
    reset = browser_tab(PasswordResetState, "", "/forgot-password")
    await run_handler(PasswordResetState.request_link.fn(reset, {"email": "ana@example.com"}))
    save = browser_tab(PasswordResetState, "", "/reset-password?token=whatever")
    await PasswordResetState.save_password.fn(save, {"password": "a brand new password"})
    for tab in (sign_in, sign_up, reset, save):
        assert tab.error == "accounts.errors.local_accounts_disabled"
    assert reset.sent is False
    async with db.session() as session:
        assert [u.email for u in await session.exec(select(User))] == [user.email]
        assert list(await session.exec(select(AuthToken))) == []
        assert list(await session.exec(select(UserSession))) == []


def test_clerk_mode_registers_no_password_pages(clerk_mode):
    from reflex_base.registry import RegistrationContext

    from livchat.pages import auth as auth_pages

    with RegistrationContext.get().fork():  # a second app, beside the one the tests imported
        app = rx.App()
        auth_pages.register(app)
    assert {"forgot-password", "reset-password"}.isdisjoint(app._unevaluated_pages)
    assert {"sign-up", "invite", "signed-out"} <= set(app._unevaluated_pages)


def test_clerk_components_speak_portuguese_and_sign_out_of_clerk():
    from livchat.components import clerk as clerk_components

    sign_in = clerk_components.clerk_sign_in(PUBLISHABLE_KEY)
    provider = sign_in.render()
    assert any(p.startswith("localization:") and "ptBR" in p and "pt-BR" in p for p in provider["props"])
    imports = sign_in._get_all_imports()
    assert [i.tag for i in imports[clerk_components.CLERK_LOCALIZATIONS]] == ["ptBR"]
    signed_out = clerk_components.clerk_sign_out(PUBLISHABLE_KEY)
    assert signed_out.tag == "ClerkProvider"
    assert "window.Clerk.signOut()" in str(signed_out.children[0].event_triggers["on_mount"])


async def test_signing_out_with_clerk_goes_through_the_page_that_ends_clerks_session(database, clerk_mode, browser_tab):
    from livchat.state.shell import SIGNED_OUT_PAGE, ShellState

    async with db.session() as session:
        user = await users.create_user(session, "ana@example.com", None)
        _, token = await auth.create_session(session, user.id, clerk_session_id="sess_1")
        await session.commit()
    from tests.accounts.accounts_support import event_text

    event = await ShellState.sign_out.fn(browser_tab(ShellState, f"{auth.SESSION_COOKIE}={token}"))
    assert event_text(event).endswith(f"window.location.assign('{SIGNED_OUT_PAGE}'))")
    async with db.session() as session:
        assert await auth.resolve_session(session, token) is None
