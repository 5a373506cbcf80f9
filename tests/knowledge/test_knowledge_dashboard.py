"""The dashboard's knowledge base: the cookie upload route (role checked before the body is read,
refusals that say why in the reader's language and store nothing), the page's state (live list,
search, delete, re-index, import), the agent tab (settings, playground) and the instance page's
"AI answers this number" switch — each as an admin and as a member."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import uuid4

import httpx
import pytest

# Every state registered now, in the main context, like the served app (see tests/accounts/conftest.py).
import livchat.livchat  # noqa: F401
from livchat.core.db import db
from livchat.i18n import translate
from livchat.models import Instance, Organization
from livchat.models.enums import Role
from livchat.services.accounts import auth, users
from livchat.services.knowledge import ingestion, store
from livchat.services.knowledge.events import KnowledgeFileChanged
from livchat.state.agent_settings import AgentState
from livchat.state.instance_detail import InstanceDetailState
from livchat.state.knowledge import KnowledgeState
from livchat.state.knowledge_feed import knowledge_token
from tests.accounts.accounts_support import tab_with_cookie
from tests.factories import make_instance, signed_in_owner
from tests.knowledge.conftest import Environment
from tests.knowledge.knowledge_support import PNG, file_rows, nothing_stored

GUIDE = "# Guia\n\n## Devolução\n\nDevolva em até 7 dias corridos.\n\n## Entrega\n\nEntregamos em 3 dias úteis.\n"
ROUTE = "/api/knowledge/files"


@dataclass
class Team:
    organization_id: str
    cookies: dict[str, str]  # role -> Cookie header


async def _team() -> Team:
    """An organization with a signed-in owner, admin and member."""
    organization_id, owner = await signed_in_owner(f"owner-{uuid4().hex[:8]}@example.com")
    cookies = {Role.OWNER: owner}
    async with db.session() as session:
        organization = await session.get(Organization, organization_id)
        for role in (Role.ADMIN, Role.MEMBER):
            user = await users.create_user(session, f"{role}-{uuid4().hex[:8]}@example.com", None)
            await users.add_member(session, organization, user, role)
            _, token = await auth.create_session(session, user.id)
            cookies[role] = f"{auth.SESSION_COOKIE}={token}"
        await session.commit()
    return Team(organization_id, cookies)


def _browser(cookie: str) -> dict[str, str]:
    """A signed-in member's browser on one of our pages."""
    return {"Cookie": cookie, "Sec-Fetch-Site": "same-origin"}


async def _upload(api: httpx.AsyncClient, cookie: str, name: str, data: bytes) -> httpx.Response:
    return await api.post(ROUTE, headers=_browser(cookie), files={"file": (name, data, "application/octet-stream")})


def _page(cookie: str) -> KnowledgeState:
    return tab_with_cookie(KnowledgeState, cookie, "/dashboard/knowledge")  # type: ignore[return-value]


def _agent(cookie: str) -> AgentState:
    return tab_with_cookie(AgentState, cookie, "/dashboard/knowledge")  # type: ignore[return-value]


@pytest.fixture
def progress() -> AsyncIterator[list[KnowledgeFileChanged]]:
    from livchat.core.events import bus

    seen: list[KnowledgeFileChanged] = []

    async def record(event: KnowledgeFileChanged) -> None:
        seen.append(event)

    unsubscribe = bus.subscribe(KnowledgeFileChanged, record)
    yield seen  # type: ignore[misc]
    unsubscribe()


# --- the upload route ------------------------------------------------------------------------------

async def test_an_admin_uploads_and_the_page_follows_the_file_to_ready(api: httpx.AsyncClient,
                                                                       progress: list[KnowledgeFileChanged]) -> None:
    team = await _team()
    accepted = await _upload(api, team.cookies[Role.ADMIN], "guia.md", GUIDE.encode())
    assert accepted.status_code == 202, accepted.text
    file_id = accepted.json()["id"]

    page = _page(team.cookies[Role.MEMBER])  # a member sees the list, not the controls
    await KnowledgeState.load.fn(page)
    assert page.can_manage is False
    assert [(f["id"], f["name"], f["status"], f["stage"], f["kind"]) for f in page.files] == \
        [(file_id, "guia.md", "processing", "queued", "Markdown")]

    await ingestion.run_until_idle()
    # The feed's events carried the file through its stages to ready (the page reloads on each).
    stages = [e.file["stage"] for e in progress if e.file_id == file_id and e.file]
    assert stages[0] == "queued" and stages[-1] == "done" and "embed" in stages
    percents = [e.file["progress"] for e in progress if e.file_id == file_id and e.file]
    assert percents == sorted(percents) and percents[-1] == 100
    await KnowledgeState.refresh.fn(page)
    assert [(f["status"], f["progress"], f["chunks"]) for f in page.files] == [("ready", "100", "2")]
    assert knowledge_token(team.organization_id).startswith("kb-") and "_" not in knowledge_token(team.organization_id)


@pytest.mark.parametrize(("name", "data", "status", "reason"), [
    ("photo.png", PNG, 415, "unsupported_type"),
    ("broken.docx", b"PK\x03\x04 this is not really a zip", 422, "corrupt"),
    ("big.txt", b"a " * (600 * 1024), 413, "too_large"),
])
async def test_a_refused_file_says_why_in_the_readers_language_and_leaves_nothing(
        api: httpx.AsyncClient, env: Environment, name: str, data: bytes, status: int, reason: str) -> None:
    env.set(LIVCHAT_KNOWLEDGE_MAX_FILE_MB="1")
    team = await _team()
    refused = await _upload(api, team.cookies[Role.ADMIN], name, data)
    assert refused.status_code == status, refused.text
    assert refused.json()["reason"] == reason
    assert await nothing_stored(team.organization_id)

    page = _page(team.cookies[Role.ADMIN])
    await KnowledgeState.load.fn(page)
    await KnowledgeState.upload_finished.fn(page, {"status": refused.status_code, **refused.json()})
    params = {"limit_mb": "1"} if reason == "too_large" else {}
    assert page.error == f"knowledge.reasons.{reason}"
    assert page.error_pt == translate(f"knowledge.reasons.{reason}", "pt-BR", **params)
    assert page.error_en == translate(f"knowledge.reasons.{reason}", "en", **params)
    if reason == "too_large":
        assert "1 MB" in page.error_pt


async def test_a_member_is_refused_before_the_body_is_read(api: httpx.AsyncClient) -> None:
    team = await _team()
    read = 0
    boundary = "kb-test-boundary"

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        read += 1
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
               f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n").encode()

    refused = await api.post(ROUTE, content=body(), headers={
        **_browser(team.cookies[Role.MEMBER]), "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_role"
    assert read == 0, "the member's upload was read"
    assert await nothing_stored(team.organization_id)

    signed_out = await api.post(ROUTE, files={"file": ("a.txt", b"hi", "text/plain")},
                                headers={"Sec-Fetch-Site": "same-origin"})
    assert signed_out.status_code == 401
    other_site = await api.post(ROUTE, files={"file": ("a.txt", b"hi", "text/plain")},
                                headers={"Cookie": team.cookies[Role.ADMIN], "Sec-Fetch-Site": "cross-site"})
    assert other_site.status_code == 403 and other_site.json()["code"] == "cross_site_request"
    no_file = await api.post(ROUTE, data={"text": "x"}, headers=_browser(team.cookies[Role.ADMIN]))
    assert no_file.status_code == 422 and no_file.json()["code"] == "file_required"
    assert await nothing_stored(team.organization_id)


# --- the page: search, delete, re-index, import ------------------------------------------------------

async def test_members_search_while_only_admins_delete_and_reindex(api: httpx.AsyncClient) -> None:
    team = await _team()
    file_id = (await _upload(api, team.cookies[Role.ADMIN], "guia.md", GUIDE.encode())).json()["id"]
    await ingestion.run_until_idle()

    member = _page(team.cookies[Role.MEMBER])
    await KnowledgeState.load.fn(member)
    await KnowledgeState.search.fn(member, {"query": "devolucao"})
    assert member.searched and member.error == ""
    assert member.results[0]["file"] == "guia.md" and "7 dias" in member.results[0]["text"]
    assert float(member.results[0]["score"]) > 0 and member.results[0]["heading"] == "Guia > Devolução"
    await KnowledgeState.search.fn(member, {"query": "   "})
    assert member.error == "knowledge.errors.invalid_query" and member.results == []

    await KnowledgeState.delete.fn(member, file_id)
    assert member.error == "accounts.errors.insufficient_role"
    assert member.error_pt == translate("accounts.errors.insufficient_role", "pt-BR")
    await KnowledgeState.reindex.fn(member)
    assert member.error == "accounts.errors.insufficient_role"
    assert [r.id for r in await file_rows(team.organization_id)] == [file_id]

    admin = _page(team.cookies[Role.ADMIN])
    await KnowledgeState.load.fn(admin)
    assert admin.can_manage is True
    await KnowledgeState.reindex.fn(admin)
    assert (admin.error, admin.notice) == ("", "knowledge_page.notice.reindexing")
    assert [(f["status"], f["stage"]) for f in admin.files] == [("processing", "queued")]
    await ingestion.run_until_idle()
    await KnowledgeState.delete.fn(admin, file_id)
    assert (admin.error, admin.notice, admin.files) == ("", "knowledge_page.notice.deleted", [])
    assert await file_rows(team.organization_id) == [] and await store.count(team.organization_id) == 0


async def test_another_organizations_file_is_not_found(api: httpx.AsyncClient) -> None:
    ours, theirs = await _team(), await _team()
    file_id = (await _upload(api, theirs.cookies[Role.ADMIN], "guia.md", GUIDE.encode())).json()["id"]
    await ingestion.run_until_idle()
    page = _page(ours.cookies[Role.OWNER])
    await KnowledgeState.load.fn(page)
    await KnowledgeState.delete.fn(page, file_id)
    assert page.error == "accounts.errors.not_found"  # exactly what a missing file gets
    await KnowledgeState.search.fn(page, {"query": "devolucao"})
    assert page.results == []  # their passages are never ours
    assert len(await file_rows(theirs.organization_id)) == 1


async def test_importing_a_private_address_is_refused_and_stores_nothing() -> None:
    team = await _team()
    page = _page(team.cookies[Role.ADMIN])
    await KnowledgeState.load.fn(page)
    await KnowledgeState.import_url.fn(page, {"url": "http://127.0.0.1:9/help"})
    assert page.error == "knowledge.reasons.unsafe_url" and page.busy == ""
    assert page.error_pt == translate("knowledge.reasons.unsafe_url", "pt-BR")
    assert await nothing_stored(team.organization_id)


# --- the agent tab ---------------------------------------------------------------------------------

async def test_agent_settings_change_for_admins_only(database: str) -> None:
    team = await _team()
    member = _agent(team.cookies[Role.MEMBER])
    await AgentState.load.fn(member)
    assert (member.kind, member.enabled, member.tone, member.can_manage) == ("extractive", True, "friendly", False)
    AgentState.set_tone.fn(member, "formal")
    await AgentState.save.fn(member)
    assert member.error == "accounts.errors.insufficient_role"

    admin = _agent(team.cookies[Role.ADMIN])
    await AgentState.load.fn(admin)
    AgentState.set_enabled.fn(admin, False)
    AgentState.set_tone.fn(admin, "concise")
    AgentState.set_tone.fn(admin, "rude")  # not a tone: ignored
    AgentState.set_instructions.fn(admin, "Somos a Loja Aurora.")
    await AgentState.save.fn(admin)
    assert (admin.error, admin.notice) == ("", "knowledge_page.notice.agent_saved")
    again = _agent(team.cookies[Role.MEMBER])
    await AgentState.load.fn(again)
    assert (again.enabled, again.tone, again.instructions) == (False, "concise", "Somos a Loja Aurora.")

    AgentState.set_instructions.fn(admin, "x" * 5000)
    await AgentState.save.fn(admin)
    assert admin.error == "agent.errors.instructions_too_long"


async def test_the_playground_answers_with_sources_passages_and_tools(api: httpx.AsyncClient) -> None:
    team = await _team()
    await _upload(api, team.cookies[Role.ADMIN], "guia.md", GUIDE.encode())
    await ingestion.run_until_idle()
    member = _agent(team.cookies[Role.MEMBER])  # any member may try it
    await AgentState.load.fn(member)

    await AgentState.ask.fn(member, {"question": "Em quantos dias posso fazer a devolução?"})
    assert member.error == "" and member.asking is False
    assert member.answer["action"] == "answer" and "7 dias" in member.answer["text"]
    assert [s["file"] for s in member.sources] == ["guia.md"]
    assert member.passages and float(member.passages[0]["score"]) > 0 and member.passages[0]["file"] == "guia.md"
    assert member.trace[0]["tool"] == "search_knowledge_base"

    await AgentState.ask.fn(member, {"question": "Quero falar com um atendente"})
    assert member.answer["action"] == "escalate" and member.answer["reason"] == "human_requested"
    await AgentState.ask.fn(member, {"question": "  "})
    assert member.error == "agent.errors.question_empty" and member.answer == {}


# --- the instance page's switch ----------------------------------------------------------------------

async def test_ai_answers_this_number_is_switched_by_admins(database: str) -> None:
    team = await _team()
    async with db.session() as session:
        instance = make_instance(team.organization_id)
        session.add(instance)
        await session.commit()
        instance_id = instance.id

    def tab(role: str) -> InstanceDetailState:
        return tab_with_cookie(InstanceDetailState, team.cookies[role], f"/dashboard/instances/{instance_id}",
                               params={"instance_key": instance_id})  # type: ignore[return-value]

    member = tab(Role.MEMBER)
    await InstanceDetailState.load.fn(member)
    assert (member.ai_answers, member.can_manage) == (False, False)
    await InstanceDetailState.set_ai_answers.fn(member, True)
    assert member.error == "accounts.errors.insufficient_role" and member.ai_answers is False

    admin = tab(Role.ADMIN)
    await InstanceDetailState.load.fn(admin)
    await InstanceDetailState.set_ai_answers.fn(admin, True)
    assert (admin.error, admin.ai_answers) == ("", True)
    async with db.session() as session:
        assert (await session.get(Instance, instance_id)).agent_enabled is True
    await InstanceDetailState.set_ai_answers.fn(admin, "yes")  # only a real true switches it on
    assert admin.ai_answers is False
