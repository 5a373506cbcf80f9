from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from livchat.core import crypto
from livchat.core.ids import new_id
from livchat.models import Instance, Message
from livchat.services.accounts import users


async def test_timestamps_come_back_timezone_aware(session) -> None:  # type: ignore[no-untyped-def]
    org = await users.create_organization(session, "Acme")
    await session.commit()
    session.expunge_all()
    loaded = (await session.exec(select(type(org)).where(type(org).id == org.id))).one()
    assert loaded.created_at.tzinfo is not None
    assert abs((loaded.created_at - datetime.now(UTC)).total_seconds()) < 60


async def test_naive_datetimes_are_refused(session) -> None:  # type: ignore[no-untyped-def]
    org = await users.create_organization(session, "Acme")
    org.updated_at = datetime.now()
    session.add(org)
    with pytest.raises(Exception, match="naive datetime"):
        await session.flush()


async def test_instance_secrets_are_stored_encrypted(session) -> None:  # type: ignore[no-untyped-def]
    org = await users.create_organization(session, "Acme")
    token = crypto.new_token(nbytes=24)
    instance = Instance(
        id=new_id("ins"),
        organization_id=org.id,
        name="Sales",
        wuzapi_token_encrypted=crypto.encrypt(token),
        hmac_key_encrypted=crypto.encrypt("k" * 32),
    )
    session.add(instance)
    await session.commit()
    raw = (await session.exec(select(Instance.wuzapi_token_encrypted).where(Instance.id == instance.id))).one()
    assert token not in raw
    assert crypto.decrypt(raw) == token


async def test_inbound_messages_are_unique_per_whatsapp_id(session) -> None:  # type: ignore[no-untyped-def]
    org = await users.create_organization(session, "Acme")
    instance = Instance(
        id=new_id("ins"), organization_id=org.id, name="A",
        wuzapi_token_encrypted=crypto.encrypt("t"), hmac_key_encrypted=crypto.encrypt("h"),
    )
    session.add(instance)
    await session.flush()

    def message() -> Message:
        return Message(
            id=new_id("msg"), organization_id=org.id, instance_id=instance.id, direction="inbound",
            chat_jid="5511999999999@s.whatsapp.net", type="text", text="hi", whatsapp_message_id="3EB0ABC",
        )

    session.add(message())
    await session.commit()
    session.add(message())
    with pytest.raises(IntegrityError):
        await session.commit()
    await session.rollback()
