"""Rows and people for tests, made the way the services would leave them, and the id factories
the tenant-isolation probe (tests/accounts/test_tenant_isolation.py) uses.

An id-like input of a route or Reflex handler (a name ending in `_id`/`Id`/`_key`, or `id`/`key`)
needs a factory here: `async (session, organization_id) -> id`, making a fresh row of that
organization. A handler input that is not an organization's row is declared in PUBLIC_INPUTS
(`"State.handler(param)": reason`), a whole state in PUBLIC_STATES.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import encrypt, new_token
from livchat.core.db import db, utcnow
from livchat.core.ids import new_id
from livchat.models import (
    Instance,
    KnowledgeFile,
    Message,
    Organization,
    WebhookEndpoint,
)
from livchat.models.enums import (
    FileStatus,
    InstanceStatus,
    MessageDirection,
    MessageStatus,
    Plan,
    Role,
)
from livchat.services.accounts import api_keys, auth, invitations, organizations, users
from livchat.services.actors import Actor
from livchat.services.notifications import notices
from livchat.services.webhooks.outbox import add_delivery, event_payload, new_delivery

PASSWORD = "correct horse battery"


async def make_org(session: AsyncSession, name: str = "Acme", *, plan: str = Plan.FREE) -> str:
    """An organization row (nobody in it yet), committed; its id."""
    org = Organization(id=new_id("org"), name=name, slug=new_id("slug"), plan=plan)
    session.add(org)
    await session.commit()
    return org.id


async def signed_in_owner(email: str, *, plan: str | None = None) -> tuple[str, str]:
    """(organization id, Cookie header) of a fresh owner, signed up as the sign-up page does, in a
    browser of their own; the organization on `plan` when given."""
    async with db.session() as session:
        signed = await auth.sign_up(session, email, PASSWORD, organization_name=email.split("@")[0])
        if plan:
            signed.organization.plan = plan
        _, token = await auth.create_session(session, signed.user.id)
        await session.commit()
    return signed.organization.id, f"{auth.SESSION_COOKIE}={token}"


def make_instance(organization_id: str | None, *, name: str = "Shop", wuzapi_token: str | None = None,
                  hmac_key: str | None = None, status: str = InstanceStatus.DISCONNECTED, **fields: Any) -> Instance:
    """An instance row as `instances.create_instance` stores it (encrypted token and HMAC key),
    without a WuzAPI user unless `wuzapi_user_id=` is given. Add it to a session yourself."""
    return Instance(id=fields.pop("id", None) or new_id("inst"), organization_id=organization_id, name=name,
                    wuzapi_token_encrypted=encrypt(wuzapi_token or new_token()),
                    hmac_key_encrypted=encrypt(hmac_key or new_token()), status=status, **fields)


def sent_message(instance: Instance, whatsapp_message_id: str, *, text: str = "hi",
                 status: str = MessageStatus.SENT, **fields: Any) -> Message:
    """An outbound text row as a send to 5511912345678 leaves it, WhatsApp's id on it. Add it to a
    session yourself."""
    return Message(id=new_id("msg"), organization_id=instance.organization_id, instance_id=instance.id,
                   direction=MessageDirection.OUTBOUND, chat_jid="5511912345678@s.whatsapp.net",
                   phone="5511912345678", type="text", text=text, whatsapp_message_id=whatsapp_message_id,
                   status=status, **fields)


def actor_of(organization_id: str, role: str = Role.ADMIN, user_id: str | None = None) -> Actor:
    """Who acts in a service call of a test: a member of `role` of the organization (the person
    `user_id` when the call needs one: leaving, handing over ownership, inviting)."""
    return Actor(organization_id=organization_id, role=role, user_id=user_id)


# --- the tenant-isolation probe's registry ----------------------------------------------------

IdFactory = Callable[[AsyncSession, str], Awaitable[str]]
ID_FACTORIES: dict[str, IdFactory] = {}
# `param` names the same kind of row as another (a page's route parameter, say).
ID_ALIASES: dict[str, str] = {"instance_key": "instance_id"}
PUBLIC_STATES: dict[str, str] = {}
PUBLIC_INPUTS: dict[str, str] = {
    "VoiceState.choose(assistant_id)": "a Vapi assistant's id, not a LivChat row: the service accepts only one that "
                                       "the organization's own Vapi account lists (GET /assistant with its key)",
    "WidgetState.voice_started(call_id)": "a Vapi call's id, not a LivChat row: read from Vapi with the page "
                                          "organization's key, and owned by the first contact session naming it",
    "WidgetState.voice_ended(call_id)": "a Vapi call's id, not a LivChat row: read from Vapi with the page "
                                        "organization's key, and owned by the first contact session naming it",
}


def id_factory(param: str) -> Callable[[IdFactory], IdFactory]:
    def register(factory: IdFactory) -> IdFactory:
        ID_FACTORIES[param] = factory
        return factory

    return register


def factory_for(param: str) -> IdFactory | None:
    return ID_FACTORIES.get(param) or ID_FACTORIES.get(ID_ALIASES.get(param, ""))


@id_factory("organization_id")
async def _the_organization(session: AsyncSession, organization_id: str) -> str:
    return organization_id


@id_factory("instance_id")
async def _instance_in(session: AsyncSession, organization_id: str) -> str:
    """Rows only (no WuzAPI user): an instance with a webhook endpoint, so every route under
    /instances/{id} has something its owner reaches and another organization must not."""
    instance = make_instance(organization_id, name="probe")
    session.add(instance)
    await session.flush()
    session.add(WebhookEndpoint(id=new_id("whe"), organization_id=organization_id, instance_id=instance.id,
                                url="https://example.com/hook", events=["message.received"],
                                secret_encrypted=encrypt("whsec_cHJvYmU="), secret_prefix="whsec_cHJv"))
    await session.flush()
    return instance.id


@id_factory("message_id")
async def _message_in(session: AsyncSession, organization_id: str) -> str:
    instance = make_instance(organization_id, name="probe")
    session.add(instance)
    await session.flush()
    message = Message(id=new_id("msg"), organization_id=organization_id, instance_id=instance.id,
                      direction=MessageDirection.INBOUND, chat_jid="5511912345678@s.whatsapp.net",
                      phone="5511912345678", type="text", text="probe", status=MessageStatus.RECEIVED)
    session.add(message)
    await session.flush()
    return message.id


@id_factory("delivery_id")
async def _delivery_in(session: AsyncSession, organization_id: str) -> str:
    instance_id = await _instance_in(session, organization_id)
    endpoint = (await session.exec(select(WebhookEndpoint).where(WebhookEndpoint.instance_id == instance_id))).one()
    event_id = new_id("evt")
    values = new_delivery(organization_id=organization_id, endpoint_id=endpoint.id, instance_id=instance_id,
                          event_id=event_id, event_type="message.received",
                          payload=event_payload(event_id, "message.received", instance_id, utcnow(), {}),
                          max_attempts=3, now=utcnow())
    await add_delivery(session, values)
    return str(values["id"])


@id_factory("key_id")
async def _key_in(session: AsyncSession, organization_id: str) -> str:
    return (await api_keys.create_api_key(session, actor_of(organization_id), "probe")).key.id


@id_factory("membership_id")
async def _membership_in(session: AsyncSession, organization_id: str) -> str:
    user = await users.create_user(session, f"{new_id('probe').lower()}@example.com", None)
    organization = await session.get(Organization, organization_id)
    assert organization is not None
    return (await users.add_member(session, organization, user, Role.MEMBER)).id


@id_factory("invitation_id")
async def _invitation_in(session: AsyncSession, organization_id: str) -> str:
    owner = next(m for m in await organizations.list_members(session, organization_id)
                 if m.membership.role == Role.OWNER)
    invitation, _ = await invitations.invite(session, actor_of(organization_id, Role.OWNER, owner.user.id),
                                             f"{new_id('probe').lower()}@example.com")
    return invitation.id


@id_factory("notification_id")
async def _notification_in(session: AsyncSession, organization_id: str) -> str:
    notice = await notices.notify(session, organization_id, "webhook_paused", url="https://example.com/hook",
                                  instance="probe")
    await session.flush()
    return notice.id


# --- the support desk -----------------------------------------------------------------------------

# The contact token that reaches a row made below (its conversation's visitor): the contact
# probe's positive control calls the widget routes with it.
CONTACT_TOKENS: dict[str, str] = {}
_LAST_CONVERSATION: dict[str, str] = {}
_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                     "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")


async def _visitor_conversation(session: AsyncSession, organization_id: str) -> tuple[str, str]:
    from livchat.services.widget import sessions, visitor

    created = await sessions.create_session(session, organization_id, "Probe Visitor",
                                            f"{new_id('probe').lower()}@example.com", {"language": "en"})
    posted = await visitor.send_message(session, created.visitor, "probe question")
    CONTACT_TOKENS[posted.conversation_id] = created.token
    _LAST_CONVERSATION[organization_id] = posted.conversation_id
    return posted.conversation_id, created.token


@id_factory("conversation_id")
async def _conversation_in(session: AsyncSession, organization_id: str) -> str:
    """A widget conversation with one contact message (its visitor's token in CONTACT_TOKENS)."""
    return (await _visitor_conversation(session, organization_id))[0]


@id_factory("attachment_id")
async def _attachment_in(session: AsyncSession, organization_id: str) -> str:
    """An image the visitor sent, in the organization's conversation made last by the factory above
    (so a route naming both ids names a matching pair), else in a new one."""
    from livchat.services.support import attachments
    from livchat.services.widget import sessions, visitor

    conversation_id = _LAST_CONVERSATION.get(organization_id)
    if conversation_id is None:
        conversation_id, _ = await _visitor_conversation(session, organization_id)
    token = CONTACT_TOKENS[conversation_id]
    posted = await visitor.send_attachment(session, await sessions.resolve(session, token),
                                           attachments.check("probe.png", _PNG), "probe file")
    assert posted.attachment_id is not None
    CONTACT_TOKENS[posted.attachment_id] = token
    return posted.attachment_id


@id_factory("saved_reply_id")
async def _saved_reply_in(session: AsyncSession, organization_id: str) -> str:
    from livchat.services.actors import Actor
    from livchat.services.support import saved_replies

    actor = Actor(organization_id=organization_id, role=Role.ADMIN)
    return (await saved_replies.create_saved_reply(session, actor, new_id("probe")[-20:].lower(), "probe reply")).id


# --- the knowledge base ----------------------------------------------------------------------------

@id_factory("file_id")
async def _knowledge_file_in(session: AsyncSession, organization_id: str) -> str:
    """A knowledge-base file as ingestion leaves it (ready; its chunks are not needed by the probe)."""
    file_id = new_id("kf")
    session.add(KnowledgeFile(id=file_id, organization_id=organization_id, filename="probe.md",
                              content_type="text/markdown", size_bytes=5, sha256="0" * 64,
                              storage_key=f"{organization_id}/{file_id}", status=FileStatus.READY, stage="done",
                              progress=100, chunk_count=1, embedder="hashed-v1-384"))
    await session.flush()
    return file_id
