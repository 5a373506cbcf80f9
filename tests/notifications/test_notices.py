"""Dashboard notices: written in the emitter's transaction, shown in the reader's language,
announced live after the commit, dismissed only by their own organization."""

from __future__ import annotations

from livchat.core.db import db
from livchat.core.events import bus
from livchat.services.accounts import auth
from livchat.services.errors import NotFound
from livchat.services.notifications import notices
from livchat.state.notices import NoticesState
from tests.accounts.accounts_support import tab_with_cookie
from tests.factories import actor_of, signed_in_owner


async def paused_notice(organization_id: str) -> str:
    async with db.session() as session:
        notice = await notices.notify(session, organization_id, "webhook_paused",
                                            url="https://hooks.example.com/in", instance="Shop")
        await bus.commit_and_publish(session)
    return notice.id


async def test_a_notice_is_in_both_languages_and_announced_after_commit(database: str) -> None:
    org, _ = await signed_in_owner("ana@example.com")
    seen: list[notices.NotificationCreated] = []

    async def on_created(event: notices.NotificationCreated) -> None:
        seen.append(event)

    unsubscribe = bus.subscribe(notices.NotificationCreated, on_created)
    try:
        async with db.session() as session:  # rolled back: never happened, never announced
            await notices.notify(session, org, "webhook_paused", url="https://x.example", instance="Shop")
            await session.rollback()
            bus.discard_pending(session)
        assert seen == []
        await paused_notice(org)
    finally:
        unsubscribe()
    assert [(e.organization_id, e.kind) for e in seen] == [(org, "webhook_paused")]

    async with db.session() as session:
        [view] = await notices.unread(session, org)
    assert view.text["en"].title == "Your LivChat webhook was paused"
    assert view.text["pt-BR"].title == "Seu webhook do LivChat foi pausado"
    assert "https://hooks.example.com/in" in view.text["pt-BR"].body and "Shop" in view.text["en"].body


async def test_dismiss_is_scoped_to_the_organization(database: str) -> None:
    org_a, _ = await signed_in_owner("ana@example.com")
    org_b, _ = await signed_in_owner("bob@example.com")
    notice = await paused_notice(org_a)
    async with db.session() as session:
        try:
            await notices.dismiss(session, actor_of(org_b), notice)
            raise AssertionError("another organization dismissed the notice")
        except NotFound:
            pass
        assert [v.id for v in await notices.unread(session, org_a)] == [notice]
        await notices.dismiss(session, actor_of(org_a), notice)
        assert await notices.unread(session, org_a) == []


async def test_the_shell_lists_and_dismisses_its_own_notices_only(database: str) -> None:
    org_a, cookie_a = await signed_in_owner("ana@example.com")
    _, cookie_b = await signed_in_owner("bob@example.com")
    notice = await paused_notice(org_a)

    page_b = tab_with_cookie(NoticesState, cookie_b, url="/dashboard")
    await NoticesState.load.fn(page_b)
    assert page_b.items == []
    await NoticesState.dismiss.fn(page_b, notice)  # someone else's id: nothing changes

    page_a = tab_with_cookie(NoticesState, cookie_a, url="/dashboard")
    await NoticesState.load.fn(page_a)
    assert [(i["id"], i["title_pt"]) for i in page_a.items] == [(notice, "Seu webhook do LivChat foi pausado")]
    await NoticesState.dismiss.fn(page_a, notice)
    assert page_a.items == []


async def test_a_live_refresh_keeps_the_tab_on_the_organization_it_loaded(database: str) -> None:
    """Another tab switched the organization: the notices' live refresh must not quietly follow
    (the tab would then act on the other organization); it reloads the tab instead."""
    from livchat.services.accounts import organizations
    from livchat.state.shell import ShellState
    from tests.accounts.accounts_support import event_text

    org_a, cookie = await signed_in_owner("ana@example.com")
    async with db.session() as session:
        user = (await auth.resolve_session(session, cookie.split("=", 1)[1]))[1]
        org_b = (await organizations.create_for(session, user, "Second")).id
        await session.commit()
    shell = tab_with_cookie(ShellState, cookie, url="/dashboard")
    await ShellState.switch_organization.fn(shell, org_a)
    notices = await shell.get_state(NoticesState)
    await NoticesState.load.fn(notices)
    other_tab = tab_with_cookie(ShellState, cookie, url="/dashboard")
    await ShellState.switch_organization.fn(other_tab, org_b)
    await paused_notice(org_b)
    assert event_text(await NoticesState.refresh.fn(notices)) == "window.location.reload()"
    assert notices.items == []  # nothing of the other organization was shown


def test_feed_watchers_refuse_a_page_load_handler() -> None:
    import pytest

    from livchat.state.feeds import feed_watcher

    with pytest.raises(ValueError, match="refresh handler"):
        feed_watcher(NoticesState.load)
