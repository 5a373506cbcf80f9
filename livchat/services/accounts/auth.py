"""Local accounts: sign-up, sign-in with throttling, browser sessions, one-time tokens, password reset.

A browser session is a random token in an HttpOnly cookie; only its SHA-256 is stored. Signing in
from the Reflex UI goes through a one-time ticket: the websocket handler checks the password and
issues a short-lived ticket, and the browser POSTs it, from our own page, to an HTTP route that
sets the cookie (a websocket cannot set an HttpOnly cookie).

With Clerk configured, Clerk owns identities: every local-account entry point here refuses
(`require_local_accounts`), whoever calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from limits import parse, parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from sqlmodel import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import hash_token, new_token
from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.core.settings import get_settings
from livchat.i18n import DEFAULT_LANGUAGE
from livchat.models import AuthToken, Organization, User, UserSession
from livchat.models.enums import TokenPurpose
from livchat.services.accounts import invitations, organizations, users
from livchat.services.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceError,
)
from livchat.services.notifications import email
from livchat.services.notifications import email as outbox

SESSION_COOKIE = "livchat_session"
SESSION_LIFETIME = timedelta(days=30)
LAST_SEEN_RESOLUTION = timedelta(minutes=1)  # one write a minute per session, not one per event
TICKET_LIFETIME = timedelta(minutes=2)
RESET_LIFETIME = timedelta(hours=1)
SIGN_IN_TICKET = "sign_in_ticket"  # AuthToken.purpose alongside TokenPurpose's values

# Sign-in attempts:
# - per (account, IP), counted atomically before the password is checked: one client guessing one
#   password; forgiven by a success from that client;
# - per IP, the same way: one client trying many accounts (behind a proxy, set TRUSTED_PROXY_HOPS);
# - per account from every IP together, failures only: a staircase that backs off (minutes, then
#   an hour, then a day) against guessing from many addresses. A client that signed in to the
#   account from its address in the last 30 days is not held by it, so attackers failing from
#   elsewhere cannot lock the owner out.
SIGN_IN_PER_ACCOUNT_IP = parse("5/15 minutes")
SIGN_IN_PER_IP = parse("50/15 minutes")
SIGN_IN_PER_ACCOUNT = parse_many("10/5 minutes;30/hour;100/day")
TRUSTED_CLIENT_DAYS = 30
# Password reset requests, per email address and per IP (each one sends an email).
RESET_PER_EMAIL = parse("3/hour")
RESET_PER_IP = parse("20/hour")
# Sign-ups per IP: each costs an argon2 hash, and "this email has an account" must not be asked
# at will.
SIGN_UP_PER_IP = parse("20/hour")


def safe_next(value: str | None, default: str = "/dashboard") -> str:
    """Where to go after signing in: same-site paths only (`/x` yes; `//evil.com`, `https://…` no)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


class InvalidCredentials(ServiceError):
    code = "invalid_credentials"
    status = 401


class TooManyAttempts(ServiceError):
    code = "too_many_attempts"
    status = 429


def require_local_accounts() -> None:
    """Local sign-in, sign-up and password reset exist only without Clerk."""
    if get_settings().clerk_enabled:
        raise PermissionDenied("local_accounts_disabled")


@lru_cache
def _limiter() -> MovingWindowRateLimiter:
    redis_url = get_settings().redis_url
    uri = f"async+{redis_url}" if redis_url else "async+memory://"
    options = {"implementation": "redispy"} if redis_url else {}
    return MovingWindowRateLimiter(storage_from_string(uri, **options))


def reset_throttle() -> None:
    """Forget the limiter (tests, or after REDIS_URL changes)."""
    _limiter.cache_clear()


def _trusted_key(email_key: str, client: str) -> str:
    return f"livchat/sign-in-trusted/{email_key}/{client}"


async def _count_sign_in(email_key: str, ip: str | None) -> bool:
    """Count one attempt (test-and-increment, atomic in memory and in Redis) or TooManyAttempts.
    True when the client is trusted for this account (its failures do not count account-wide)."""
    limiter = _limiter()
    client = ip or "unknown"
    if not await limiter.hit(SIGN_IN_PER_ACCOUNT_IP, "sign-in-account-ip", email_key, client):
        raise TooManyAttempts()
    if ip and not await limiter.hit(SIGN_IN_PER_IP, "sign-in-ip", ip):
        raise TooManyAttempts()
    trusted = bool(await limiter.storage.get(_trusted_key(email_key, client)))
    if not trusted:
        for step in SIGN_IN_PER_ACCOUNT:
            if not await limiter.test(step, "sign-in-account", email_key):
                raise TooManyAttempts()
    return trusted


async def _count_failure(email_key: str) -> None:
    for step in SIGN_IN_PER_ACCOUNT:
        await _limiter().hit(step, "sign-in-account", email_key)


async def _forgive_sign_in(email_key: str, ip: str | None) -> None:
    limiter, client = _limiter(), ip or "unknown"
    await limiter.clear(SIGN_IN_PER_ACCOUNT_IP, "sign-in-account-ip", email_key, client)
    if not await limiter.storage.get(_trusted_key(email_key, client)):
        await limiter.storage.incr(_trusted_key(email_key, client), TRUSTED_CLIENT_DAYS * 86400)


@dataclass(frozen=True)
class SignedUp:
    user: User
    organization: Organization


async def sign_up(
    session: AsyncSession, email: str, password: str, name: str = "", organization_name: str = "",
    locale: str = DEFAULT_LANGUAGE,
) -> SignedUp:
    """A new user and their first organization, which they own."""
    require_local_accounts()
    user = await users.create_user(session, email, password, name=name, locale=locale)
    # Named after the person when they gave no name for it: cut to the 120 an organization may have.
    org_name = organization_name.strip() or (user.name or user.email.split("@")[0])[:120]
    org = await organizations.create_for(session, user, org_name)
    if get_settings().brevo_api_key:
        # Only when email really leaves: the local outbox is where people find the links they need
        # (reset, invitation); a welcome there would tell nothing the dashboard does not.
        await outbox.queue(session, outbox.compose_translated(  # `email` is the address here
            user.email, "welcome", user.locale, org.id, organization=org.name,
            link=f"{get_settings().public_url.rstrip('/')}/dashboard"))
    return SignedUp(user, org)


async def sign_up_invited(
    session: AsyncSession, token: str, email: str, password: str, name: str = "", locale: str = DEFAULT_LANGUAGE
) -> User:
    """A new user who joins the organization that invited them (and gets none of their own)."""
    require_local_accounts()
    user = await users.create_user(session, email, password, name=name, locale=locale)
    await invitations.accept(session, token, user)
    return user


async def check_password(session: AsyncSession, email: str, password: str, ip: str | None = None) -> User:
    """The user these credentials belong to, or InvalidCredentials / TooManyAttempts."""
    require_local_accounts()
    key = email.strip().lower()
    trusted = await _count_sign_in(key, ip)
    user = await users.get_user_by_email(session, key) if key else None
    if not users.verify_password(password, user.password_hash if user else None) or user is None:
        if not trusted:
            await _count_failure(key)
        raise InvalidCredentials()
    await _forgive_sign_in(key, ip)
    return user


# --- one-time tokens (sign-in tickets, password reset) ---------------------------------------


async def _issue_token(session: AsyncSession, user_id: str, purpose: str, lifetime: timedelta) -> str:
    token = new_token("", 32)
    session.add(
        AuthToken(
            id=new_id("atk"),
            user_id=user_id,
            purpose=purpose,
            token_hash=hash_token(token),
            expires_at=utcnow() + lifetime,
        )
    )
    await session.flush()
    return token


async def _consume_token(session: AsyncSession, token: str, purpose: str) -> AuthToken | None:
    """Mark a valid token used and return it; None when unknown, expired, used or for another purpose.

    The UPDATE ... WHERE used_at IS NULL makes two concurrent uses yield one winner.
    """
    now = utcnow()
    result = await session.exec(  # type: ignore[call-overload]
        update(AuthToken)
        .where(
            AuthToken.token_hash == hash_token(token),  # type: ignore[arg-type]
            AuthToken.purpose == purpose,  # type: ignore[arg-type]
            AuthToken.used_at.is_(None),  # type: ignore[union-attr]
            AuthToken.expires_at > now,  # type: ignore[arg-type,operator]
        )
        .values(used_at=now)
    )
    if result.rowcount != 1:
        return None
    return (await session.exec(select(AuthToken).where(AuthToken.token_hash == hash_token(token)))).first()


async def _spend_tokens(session: AsyncSession, user_id: str, *purposes: str) -> None:
    """Every still-valid token of the user for these purposes stops working."""
    await session.exec(  # type: ignore[call-overload]
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.purpose.in_(purposes),  # type: ignore[arg-type,attr-defined]
               AuthToken.used_at.is_(None))  # type: ignore[union-attr]
        .values(used_at=utcnow())
    )


async def issue_sign_in_ticket(session: AsyncSession, user_id: str) -> str:
    return await _issue_token(session, user_id, SIGN_IN_TICKET, TICKET_LIFETIME)


async def redeem_sign_in_ticket(
    session: AsyncSession, ticket: str, ip: str | None = None, user_agent: str | None = None,
    replaces: str | None = None,
) -> str | None:
    """A new session token for a valid ticket, or None. `replaces`: the browser's previous session
    token, which ends now (one browser, one session)."""
    used = await _consume_token(session, ticket, SIGN_IN_TICKET)
    if used is None:
        return None
    _, token = await create_session(session, used.user_id, ip=ip, user_agent=user_agent, replaces=replaces)
    return token


# --- browser sessions -------------------------------------------------------------------------


async def create_session(
    session: AsyncSession, user_id: str, ip: str | None = None, user_agent: str | None = None,
    *, clerk_session_id: str | None = None, replaces: str | None = None,
) -> tuple[UserSession, str]:
    await revoke_session(session, replaces)
    token = new_token("", 32)
    row = UserSession(
        id=new_id("ses"),
        user_id=user_id,
        token_hash=hash_token(token),
        ip_address=(ip or None) and ip[:64],
        user_agent=(user_agent or None) and user_agent[:500],
        clerk_session_id=clerk_session_id,
        expires_at=utcnow() + SESSION_LIFETIME,
        last_seen_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row, token


async def resolve_session(session: AsyncSession, token: str | None) -> tuple[UserSession, User] | None:
    """The live session and its user for a cookie token; None if unknown, expired or revoked.

    Marks it seen (at most once a minute; persisted when the caller commits).
    """
    if not token:
        return None
    row = (
        await session.exec(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)  # type: ignore[arg-type]
            .where(
                UserSession.token_hash == hash_token(token),
                UserSession.revoked_at.is_(None),  # type: ignore[union-attr]
                UserSession.expires_at > utcnow(),  # type: ignore[arg-type,operator]
            )
        )
    ).first()
    if row is None:
        return None
    user_session, user = row
    now = utcnow()
    if user_session.last_seen_at is None or now - user_session.last_seen_at >= LAST_SEEN_RESOLUTION:
        user_session.last_seen_at = now
        session.add(user_session)
    return user_session, user


async def revoke_session(session: AsyncSession, token: str | None) -> None:
    if not token:
        return
    await session.exec(  # type: ignore[call-overload]
        update(UserSession)
        .where(UserSession.token_hash == hash_token(token), UserSession.revoked_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(revoked_at=utcnow())
    )


async def revoke_all_sessions(session: AsyncSession, user_id: str) -> None:
    await session.exec(  # type: ignore[call-overload]
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(revoked_at=utcnow())
    )


async def revoke_clerk_session(session: AsyncSession, clerk_session_id: str) -> int:
    """End our sessions opened for one Clerk session (it ended or was revoked at Clerk)."""
    result = await session.exec(  # type: ignore[call-overload]
        update(UserSession)
        .where(UserSession.clerk_session_id == clerk_session_id, UserSession.revoked_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)


async def select_organization(session: AsyncSession, user_session: UserSession, organization_id: str) -> Organization:
    """Make an organization the session's active one; NotFound unless the user belongs to it."""
    found = await organizations.membership_of(session, organization_id, user_session.user_id)
    if found is None:
        raise NotFound()
    user_session.active_organization_id = organization_id
    session.add(user_session)
    await session.flush()
    return found.organization


async def active_membership(session: AsyncSession, user_session: UserSession) -> organizations.OrgMembership | None:
    """The session's organization, checked against current memberships.

    With none chosen yet and exactly one membership, that one becomes active; with several the
    user picks (organization selection page).
    """
    if user_session.active_organization_id:
        found = await organizations.membership_of(session, user_session.active_organization_id, user_session.user_id)
        if found is not None:
            return found
    memberships = await organizations.organizations_of(session, user_session.user_id)
    if len(memberships) != 1:
        return None
    user_session.active_organization_id = memberships[0].organization.id
    session.add(user_session)
    await session.flush()
    return memberships[0]


# --- password reset ---------------------------------------------------------------------------


def _link(path: str, token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}{path}?token={token}"


async def count_sign_up(ip: str | None) -> None:
    """Count one sign-up attempt from this client, or TooManyAttempts."""
    if ip and not await _limiter().hit(SIGN_UP_PER_IP, "sign-up-ip", ip):
        raise TooManyAttempts("too_many_sign_ups")


async def count_password_reset(email_address: str, ip: str | None) -> None:
    """Count one reset request for this address and this client, or TooManyAttempts.

    Called before anything looks the address up, so the answer never depends on whether it exists.
    """
    require_local_accounts()
    limiter = _limiter()
    if not await limiter.hit(RESET_PER_EMAIL, "reset-email", email_address.strip().lower()):
        raise TooManyAttempts()
    if ip and not await limiter.hit(RESET_PER_IP, "reset-ip", ip):
        raise TooManyAttempts()


async def request_password_reset(session: AsyncSession, email_address: str) -> None:
    """Email a reset link if a local account has this address. Says nothing either way; the
    costly part (token, hash, the email composed) is done either way, and the caller answers
    before this runs, so neither the answer nor its timing tells whether the account exists.
    Accounts that sign in with Clerk get nothing: their password is Clerk's."""
    require_local_accounts()
    user = await users.get_user_by_email(session, email_address)
    token = new_token("", 32)
    row = AuthToken(id=new_id("atk"), user_id=user.id if user else "", purpose=TokenPurpose.PASSWORD_RESET,
                    token_hash=hash_token(token), expires_at=utcnow() + RESET_LIFETIME)
    mail = email.compose_translated(email_address, "password_reset", user.locale if user else DEFAULT_LANGUAGE,
                                    link=_link("/reset-password", token))
    if user is None or user.clerk_user_id:
        return
    session.add(row)
    await session.flush()
    await email.queue(session, mail)


async def reset_password(session: AsyncSession, token: str, new_password: str) -> User:
    """Set a new password with a reset token. Every session of that user ends, and so do their
    other reset links and sign-in tickets."""
    require_local_accounts()
    password_hash = users.hash_password(new_password)  # validate before spending the token
    used = await _consume_token(session, token, TokenPurpose.PASSWORD_RESET)
    if used is None:
        raise InvalidInput("invalid_reset_token")
    user = await session.get(User, used.user_id)
    if user is None or user.clerk_user_id:  # linked to Clerk since the link was sent
        raise InvalidInput("invalid_reset_token")
    user.password_hash = password_hash
    session.add(user)
    await revoke_all_sessions(session, user.id)
    await _spend_tokens(session, user.id, TokenPurpose.PASSWORD_RESET, SIGN_IN_TICKET)
    await session.flush()
    return user


async def end_local_access(session: AsyncSession, user: User) -> None:
    """Before a Clerk identity takes over this account: no password, no session, no pending token
    made by whoever held the account until now."""
    user.password_hash = None
    session.add(user)
    await revoke_all_sessions(session, user.id)
    await _spend_tokens(session, user.id, TokenPurpose.PASSWORD_RESET, TokenPurpose.EMAIL_VERIFICATION, SIGN_IN_TICKET)
    await session.flush()

