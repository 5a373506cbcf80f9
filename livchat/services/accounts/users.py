"""Users, organizations and memberships."""

from __future__ import annotations

import re
import unicodedata

from pwdlib import PasswordHash
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.ids import new_id
from livchat.core.text import has_control_characters, without_control_characters
from livchat.i18n import DEFAULT_LANGUAGE, normalize_language
from livchat.models import Membership, Organization, Subscription, User
from livchat.models.enums import Plan, Role
from livchat.services.errors import Conflict, InvalidInput

_password_hash = PasswordHash.recommended()  # argon2id
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8


def normalize_email(email: str) -> str:
    email = email.strip().lower() if isinstance(email, str) else ""
    # No control or invisible format characters: they end up in headers and in the outbox listing.
    if (not _EMAIL_RE.match(email) or len(email) > 320
            or any(unicodedata.category(c) in ("Cc", "Cf") for c in email)):
        raise InvalidInput("invalid_email")
    return email


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password_too_short")
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        # Same cost as a real check so timing does not reveal which emails exist.
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    return _password_hash.verify(password, password_hash)


_DUMMY_HASH = _password_hash.hash("not-a-real-password")


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60] or "org"


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.exec(select(User).where(User.email == email.strip().lower()))).first()


async def create_user(
    session: AsyncSession, email: str, password: str | None, name: str = "", locale: str = DEFAULT_LANGUAGE
) -> User:
    """A user; `locale` is the language their emails are written in."""
    email = normalize_email(email)
    if await get_user_by_email(session, email):
        raise Conflict("email_taken")
    user = User(
        id=new_id("usr"),
        email=email,
        name=without_control_characters(name.strip())[:120],  # a display name
        password_hash=hash_password(password) if password is not None else None,
        locale=normalize_language(locale),
    )
    session.add(user)
    await session.flush()
    return user


async def get_organization_by_name(session: AsyncSession, name: str) -> Organization | None:
    return (await session.exec(select(Organization).where(Organization.name == name.strip()))).first()


async def create_organization(session: AsyncSession, name: str, owner: User | None = None) -> Organization:
    name = name.strip()
    if not name or len(name) > 120 or has_control_characters(name):
        raise InvalidInput("invalid_organization_name")
    base = slugify(name)
    slug = base
    suffix = 1
    while (await session.exec(select(Organization.id).where(Organization.slug == slug))).first():
        suffix += 1
        slug = f"{base}-{suffix}"
    org = Organization(id=new_id("org"), name=name, slug=slug, plan=Plan.FREE)
    session.add(org)
    await session.flush()  # no ORM relationships: parents are flushed before their children
    session.add(Subscription(id=new_id("sub"), organization_id=org.id, plan=Plan.FREE))
    if owner is not None:
        session.add(Membership(id=new_id("mem"), organization_id=org.id, user_id=owner.id, role=Role.OWNER))
    await session.flush()
    return org


async def add_member(session: AsyncSession, org: Organization, user: User, role: Role) -> Membership:
    existing = (
        await session.exec(
            select(Membership).where(Membership.organization_id == org.id, Membership.user_id == user.id)
        )
    ).first()
    if existing:
        return existing
    membership = Membership(id=new_id("mem"), organization_id=org.id, user_id=user.id, role=role)
    session.add(membership)
    await session.flush()
    return membership
