"""Contact sessions: the widget visitor's credential. Created by the contact form (name, email
and what the browser tells: user agent, language, time zone, referrer page, IP), valid 24 h.
The token (`lc_ct_…`) is returned once and stored hashed; `resolve` turns it back into the
`Visitor` every visitor-side call acts as. A visitor only ever sees their own session's
conversation.
"""

from __future__ import annotations

import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import hash_token, new_token
from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.core.text import has_control_characters, is_valid_unicode
from livchat.i18n import normalize_language
from livchat.models import Contact, ContactSession, Organization, WidgetSettings
from livchat.services.accounts.users import normalize_email
from livchat.services.errors import InvalidInput, NotFound, ServiceError
from livchat.services.support import contacts
from livchat.services.support.conversations import ContactRef
from livchat.services.support.ids import is_id

TOKEN_PREFIX = "lc_ct_"
SESSION_LIFETIME = timedelta(hours=24)
CONTINUE_WITHIN = timedelta(days=90)  # an expired token older than this starts a new contact
MAX_NAME_LENGTH = 120
MAX_METADATA_VALUE = 500
# What a page may tell about its visitor; anything else is dropped.
CLIENT_METADATA = ("language", "languages", "timeZone", "referrer", "pageTitle", "screen")


class ContactTokenInvalid(ServiceError):
    code = "invalid_contact_token"
    status = 401


class ContactSessionExpired(ServiceError):
    code = "contact_session_expired"
    status = 401


@dataclass(frozen=True)
class Visitor:
    """A resolved contact session: who the widget acts as."""

    organization_id: str
    contact_session_id: str
    contact_id: str | None
    name: str
    language: str
    expires_at: datetime

    @property
    def ref(self) -> ContactRef:
        return ContactRef(organization_id=self.organization_id, contact_session_id=self.contact_session_id,
                          contact_id=self.contact_id, language=self.language)


@dataclass(frozen=True)
class CreatedSession:
    row: ContactSession
    token: str
    visitor: Visitor


def checked_name(value: Any) -> str:
    name = " ".join(value.split()) if isinstance(value, str) else ""
    if (not name or len(name) > MAX_NAME_LENGTH or has_control_characters(name) or not is_valid_unicode(name)
            or any(unicodedata.category(c) == "Cf" and c not in "\u200d\u200c" for c in name)):
        raise InvalidInput("invalid_contact_name")
    return name


def checked_email(value: Any) -> str:
    try:
        return normalize_email(value)
    except InvalidInput:
        raise InvalidInput("invalid_contact_email") from None


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _clean_value(value: Any) -> str | None:
    if isinstance(value, list):
        value = ",".join(str(v) for v in value[:10] if isinstance(v, str | int | float))
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    text = str(value)
    if not is_valid_unicode(text):
        return None
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf")).strip()
    return text[:MAX_METADATA_VALUE] or None


def checked_metadata(given: dict[str, Any] | None, *, ip: str | None, user_agent: str | None) -> dict[str, str]:
    """Browser facts, each a short plain string; the user agent and IP from the request itself."""
    metadata: dict[str, str] = {}
    for key in CLIENT_METADATA:
        value = _clean_value((given or {}).get(key))
        if value is not None:
            metadata[key] = value
    if "timeZone" in metadata and metadata["timeZone"] not in _time_zones():
        del metadata["timeZone"]  # the inbox computes the visitor's local time from it
    if "language" in metadata:
        metadata["language"] = metadata["language"][:35]
    for key, value in (("userAgent", user_agent), ("ip", ip)):
        cleaned = _clean_value(value)
        if cleaned:
            metadata[key] = cleaned
    return metadata


def visitor_language(browser: str | None, widget_locale: str | None) -> str:
    """The catalogue to write to the visitor in: the first of their browser's languages we have,
    else the widget's default language."""
    if any(tag.strip().lower().startswith(("pt", "en")) for tag in (browser or "").split(",")):
        return normalize_language(browser)
    return normalize_language(widget_locale)


async def organization_widget(session: AsyncSession,
                              organization_id: Any) -> tuple[Organization, WidgetSettings | None]:
    """The organization (and its widget settings, if saved) an embed names; NotFound for an unknown
    or malformed id, never a database error."""
    if not is_id(organization_id, "org"):
        raise NotFound("organization_not_found")
    query = (select(Organization, WidgetSettings)
             .join(WidgetSettings, col(WidgetSettings.organization_id) == Organization.id, isouter=True)
             .where(Organization.id == organization_id))
    row = (await session.exec(query)).first()
    if row is None:
        raise NotFound("organization_not_found")
    return row[0], row[1]


async def _previous_contact(session: AsyncSession, organization_id: str, token: str | None) -> Contact | None:
    """The contact of this browser's earlier session (its token, even expired, proves the browser)."""
    if not token or not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    previous = (await session.exec(select(ContactSession).where(
        ContactSession.token_hash == hash_token(token), ContactSession.organization_id == organization_id))).first()
    if previous is None or previous.contact_id is None or previous.expires_at < utcnow() - CONTINUE_WITHIN:
        return None
    return await session.get(Contact, previous.contact_id)


async def create_session(session: AsyncSession, organization_id: Any, name: Any, email: Any,
                         metadata: dict[str, Any] | None = None, *, ip: str | None = None,
                         user_agent: str | None = None, previous_token: str | None = None) -> CreatedSession:
    """A contact session of 24 h (and its contact). Checks first, then one commit."""
    clean_name, clean_email = checked_name(name), checked_email(email)
    facts = checked_metadata(metadata if isinstance(metadata, dict) else None, ip=ip, user_agent=user_agent)
    organization, settings = await organization_widget(session, organization_id)
    language = visitor_language(facts.get("languages") or facts.get("language"), settings.locale if settings else None)
    contact = await _previous_contact(session, organization.id, previous_token)
    if contact is None:
        contact = await contacts.create_contact(session, organization.id, name=clean_name, email=clean_email,
                                                metadata=facts)
    else:
        await contacts.refresh_contact(session, contact, name=clean_name, email=clean_email, metadata=facts)
    token = new_token(TOKEN_PREFIX, 32)
    now = utcnow()
    row = ContactSession(id=new_id("cs"), organization_id=organization.id, contact_id=contact.id, name=clean_name,
                         email=clean_email, token_hash=hash_token(token), metadata_={**facts, "locale": language},
                         expires_at=now + SESSION_LIFETIME, last_seen_at=now)
    session.add(row)
    await session.commit()
    return CreatedSession(row=row, token=token, visitor=_visitor(row))


def _visitor(row: ContactSession) -> Visitor:
    return Visitor(organization_id=row.organization_id, contact_session_id=row.id, contact_id=row.contact_id,
                   name=row.name, language=normalize_language(row.metadata_.get("locale")),
                   expires_at=row.expires_at)


async def resolve(session: AsyncSession, token: Any) -> Visitor:
    """The visitor a contact token names: ContactTokenInvalid (401) when unknown or malformed,
    ContactSessionExpired (401) after its 24 h."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise ContactTokenInvalid()
    row = (await session.exec(select(ContactSession).where(ContactSession.token_hash == hash_token(token)))).first()
    if row is None:
        raise ContactTokenInvalid()
    if row.expires_at <= utcnow():
        raise ContactSessionExpired()
    return _visitor(row)
