"""Local accounts: sign-up, sign-in with throttling, browser sessions, one-time tokens, password reset.

A browser session is a random token in an HttpOnly cookie; only its SHA-256 is stored. Signing in
from the Reflex UI goes through a one-time ticket: the websocket handler checks the password and
issues a short-lived ticket, and the browser trades it at an HTTP route that sets the cookie
(a websocket cannot set an HttpOnly cookie).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from sqlmodel import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import hash_token, new_token
from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.core.settings import get_settings
from livchat.models import AuthToken, Organization, User, UserSession
from livchat.models.enums import TokenPurpose
from livchat.services import accounts, organizations
from livchat.services.email import send_email
from livchat.services.errors import InvalidInput, NotFound, ServiceError

SESSION_COOKIE = "livchat_session"
SESSION_LIFETIME = timedelta(days=30)
TICKET_LIFETIME = timedelta(minutes=2)
RESET_LIFETIME = timedelta(hours=1)
SIGN_IN_TICKET = "sign_in_ticket"  # AuthToken.purpose alongside TokenPurpose's values

# Failed sign-ins allowed before a pause: per account (guessing one password) and per IP
# (trying many accounts). A success does not reset the IP budget.
ACCOUNT_FAILURES = parse("5/15 minutes")
IP_FAILURES = parse("30/15 minutes")


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


@lru_cache
def _limiter() -> MovingWindowRateLimiter:
    redis_url = get_settings().redis_url
    uri = f"async+{redis_url}" if redis_url else "async+memory://"
    options = {"implementation": "redispy"} if redis_url else {}
    return MovingWindowRateLimiter(storage_from_string(uri, **options))


def reset_throttle() -> None:
    """Forget the limiter (tests, or after REDIS_URL changes)."""
    _limiter.cache_clear()


async def _throttled(email: str, ip: str | None) -> bool:
    limiter = _limiter()
    if not await limiter.test(ACCOUNT_FAILURES, "sign-in-account", email):
        return True
    return bool(ip) and not await limiter.test(IP_FAILURES, "sign-in-ip", ip or "")


async def _record_failure(email: str, ip: str | None) -> None:
    limiter = _limiter()
    await limiter.hit(ACCOUNT_FAILURES, "sign-in-account", email)
    if ip:
        await limiter.hit(IP_FAILURES, "sign-in-ip", ip)


@dataclass(frozen=True)
class SignedUp:
    user: User
    organization: Organization


async def sign_up(
    session: AsyncSession, email: str, password: str, name: str = "", organization_name: str = ""
) -> SignedUp:
    """A new user and their first organization, which they own."""
    user = await accounts.create_user(session, email, password, name=name)
    org_name = organization_name.strip() or (name.strip() or user.email.split("@")[0])
    org = await organizations.create_for(session, user, org_name)
    return SignedUp(user, org)


async def check_password(session: AsyncSession, email: str, password: str, ip: str | None = None) -> User:
    """The user these credentials belong to, or InvalidCredentials / TooManyAttempts."""
    key = email.strip().lower()
    if await _throttled(key, ip):
        raise TooManyAttempts()
    user = await accounts.get_user_by_email(session, key) if key else None
    if not accounts.verify_password(password, user.password_hash if user else None) or user is None:
        await _record_failure(key, ip)
        raise InvalidCredentials()
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


async def issue_sign_in_ticket(session: AsyncSession, user_id: str) -> str:
    return await _issue_token(session, user_id, SIGN_IN_TICKET, TICKET_LIFETIME)


async def redeem_sign_in_ticket(
    session: AsyncSession, ticket: str, ip: str | None = None, user_agent: str | None = None
) -> str | None:
    """A new session token for a valid ticket, or None."""
    used = await _consume_token(session, ticket, SIGN_IN_TICKET)
    if used is None:
        return None
    _, token = await create_session(session, used.user_id, ip=ip, user_agent=user_agent)
    return token


# --- browser sessions -------------------------------------------------------------------------


async def create_session(
    session: AsyncSession, user_id: str, ip: str | None = None, user_agent: str | None = None
) -> tuple[UserSession, str]:
    token = new_token("", 32)
    row = UserSession(
        id=new_id("ses"),
        user_id=user_id,
        token_hash=hash_token(token),
        ip_address=(ip or None) and ip[:64],
        user_agent=(user_agent or None) and user_agent[:500],
        expires_at=utcnow() + SESSION_LIFETIME,
        last_seen_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row, token


async def resolve_session(session: AsyncSession, token: str | None) -> tuple[UserSession, User] | None:
    """The live session and its user for a cookie token; None if unknown, expired or revoked."""
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
    return (row[0], row[1]) if row else None


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


async def request_password_reset(session: AsyncSession, email: str) -> None:
    """Email a reset link if the account exists. Says nothing either way (no account probing)."""
    user = await accounts.get_user_by_email(session, email)
    if user is None:
        return
    token = await _issue_token(session, user.id, TokenPurpose.PASSWORD_RESET, RESET_LIFETIME)
    await send_email(
        session,
        user.email,
        "Reset your LivChat password / Redefina sua senha do LivChat",
        "Open this link within one hour to choose a new password:\n"
        "Abra este link em até uma hora para escolher uma nova senha:\n\n"
        f"{_link('/reset-password', token)}\n\n"
        "If you did not ask for this, ignore this email. / Se não foi você, ignore este email.",
        template="password_reset",
    )


async def reset_password(session: AsyncSession, token: str, new_password: str) -> User:
    """Set a new password with a reset token; every existing session of that user ends."""
    password_hash = accounts.hash_password(new_password)  # validate before spending the token
    used = await _consume_token(session, token, TokenPurpose.PASSWORD_RESET)
    if used is None:
        raise InvalidInput("invalid_reset_token")
    user = await session.get(User, used.user_id)
    if user is None:
        raise InvalidInput("invalid_reset_token")
    user.password_hash = password_hash
    session.add(user)
    await revoke_all_sessions(session, user.id)
    await session.flush()
    return user
