"""One person cannot multiply the free plan: at most LIVCHAT_FREE_ORGS_PER_USER free organizations
owned; a paid one does not count."""

from __future__ import annotations

import os
from uuid import uuid4

import pytest

from livchat.core.db import db
from livchat.core.settings import reset_settings_cache
from livchat.i18n import EN, PT_BR
from livchat.models import User
from livchat.models.enums import Role
from livchat.services.accounts import auth, organizations
from livchat.services.actors import Actor
from livchat.services.billing import subscriptions
from livchat.state.auth import error_key
from tests.factories import PASSWORD


async def test_a_third_free_organization_is_refused_until_one_is_paid(database: str) -> None:
    async with db.session() as session:
        signed = await auth.sign_up(session, f"cap-{uuid4().hex[:8]}@example.com", PASSWORD, organization_name="First")
        await session.commit()
        user = await session.get(User, signed.user.id)
        assert user is not None
        second = await organizations.create_for(session, user, "Second")
        await session.commit()
        second_id, user_id = second.id, user.id
        with pytest.raises(organizations.FreeOrganizationLimit) as refused:
            await organizations.create_for(session, user, "Third")
        await session.rollback()
        assert (refused.value.status, refused.value.code) == (409, "free_organization_limit")
        key = error_key(refused.value)
        assert key == "accounts.errors.free_organization_limit" and key in EN and key in PT_BR

        # An upgraded organization no longer counts against the cap (development mode: no charge).
        await subscriptions.change_plan(session, Actor.for_member(second_id, user_id, Role.OWNER), "starter", 5)
        user = await session.get(User, user_id)
        assert user is not None
        third = await organizations.create_for(session, user, "Third")
        await session.commit()
        assert third.plan == "free"


async def test_the_cap_is_a_setting(database: str) -> None:
    os.environ["LIVCHAT_FREE_ORGS_PER_USER"] = "1"
    reset_settings_cache()
    try:
        async with db.session() as session:
            signed = await auth.sign_up(session, f"one-{uuid4().hex[:8]}@example.com", PASSWORD)
            await session.commit()
            with pytest.raises(organizations.FreeOrganizationLimit):
                await organizations.create_for(session, signed.user, "Another")
    finally:
        os.environ.pop("LIVCHAT_FREE_ORGS_PER_USER")
        reset_settings_cache()
