"""Contacts: who an organization talks to. A widget contact is made by its first contact session
and carried on by the same browser's later sessions (the loader presents the previous token);
typing someone's email in the form links nothing. A WhatsApp contact is keyed by its number."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.models import Contact


async def create_contact(session: AsyncSession, organization_id: str, *, name: str = "", email: str = "",
                         phone: str | None = None, metadata: dict[str, Any] | None = None) -> Contact:
    contact = Contact(id=new_id("cnt"), organization_id=organization_id, name=name, email=email, phone=phone,
                      metadata_=metadata or {})
    session.add(contact)
    await session.flush()
    return contact


async def refresh_contact(session: AsyncSession, contact: Contact, *, name: str, email: str,
                          metadata: dict[str, Any]) -> Contact:
    """What the visitor says about themselves now (a later session of the same browser)."""
    contact.name, contact.email, contact.metadata_, contact.updated_at = name, email, metadata, utcnow()
    session.add(contact)
    await session.flush()
    return contact


async def contact_for_phone(session: AsyncSession, organization_id: str, phone: str, name: str = "") -> Contact:
    """The organization's contact of a WhatsApp number (E.164 digits), made on first sight."""
    found = (await session.exec(select(Contact).where(Contact.organization_id == organization_id,
                                                      Contact.phone == phone))).first()
    if found is not None:
        if name and not found.name:
            found.name = name[:120]
            session.add(found)
        return found
    return await create_contact(session, organization_id, name=name[:120], phone=phone)
