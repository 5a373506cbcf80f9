"""An organization's Vapi connection: its keys (encrypted at rest), its assistants and phone numbers,
the assistant the widget's call button uses, and disconnecting.

The keys are the organization's own Vapi keys: the private key (server side only: listing, reading
calls) and the public key (what the browser's `@vapi-ai/web` starts a web call with). Both are kept
in `plugins` (service "vapi") as one encrypted JSON value; `config` holds only their last 4
characters and the chosen assistant. Connecting checks the private key with Vapi (GET /assistant):
a refused key stores nothing.

Every member may look (`read`); connecting, choosing and disconnecting need `manage_settings`
(admins and owners).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.crypto import decrypt, encrypt
from livchat.core.ids import new_id
from livchat.core.settings import get_settings
from livchat.integrations import vapi
from livchat.models import Plugin
from livchat.services.actors import Actor
from livchat.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from livchat.services.voice.schemas import AssistantOut, PhoneNumberOut, VoiceSettingsOut, WidgetVoice

SERVICE = "vapi"
MAX_KEY_LENGTH = 200
MANAGE = "manage_settings"


class VoiceKeyRefused(ServiceError):
    """Vapi refused the private key (401): nothing was stored."""

    code = "vapi_key_refused"
    status = 422


class VoiceUnavailable(ServiceError):
    """Vapi could not be reached in time, or failed (5xx)."""

    code = "vapi_unavailable"
    status = 502


class VoiceNotConnected(Conflict):
    code = "vapi_not_connected"


@dataclass(frozen=True)
class Keys:
    private_key: str
    public_key: str


def api_url() -> str:
    return get_settings().vapi_api_url.rstrip("/")


def config_for(private_key: str) -> vapi.VapiConfig:
    settings = get_settings()
    return vapi.VapiConfig(private_key=private_key, base_url=api_url(), timeout_seconds=settings.vapi_timeout_seconds)


async def call_vapi(call: Any) -> Any:
    """A Vapi call, its failures as service errors (the English detail for logs and API callers)."""
    try:
        return await call
    except vapi.VapiUnauthorized as exc:
        raise VoiceKeyRefused(str(exc)[:300]) from exc
    except vapi.VapiNotFound as exc:
        raise NotFound("vapi_not_found") from exc
    except vapi.VapiUnavailable as exc:
        raise VoiceUnavailable(str(exc)[:300]) from exc


def checked_key(value: Any, code: str) -> str:
    key = value.strip() if isinstance(value, str) else ""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or any(c.isspace() for c in key):
        raise InvalidInput(code)
    return key


def _last4(key: str) -> str:
    return key[-4:]


async def _row(session: AsyncSession, organization_id: str) -> Plugin | None:
    return (await session.exec(select(Plugin).where(Plugin.organization_id == organization_id,
                                                    Plugin.service == SERVICE))).first()


def keys_of(row: Plugin) -> Keys:
    stored = json.loads(decrypt(row.secret_encrypted or ""))
    return Keys(private_key=str(stored["privateKey"]), public_key=str(stored["publicKey"]))


async def connected_keys(session: AsyncSession, organization_id: str) -> tuple[Plugin, Keys]:
    row = await _row(session, organization_id)
    if row is None or not row.secret_encrypted:
        raise VoiceNotConnected("vapi_not_connected")
    return row, keys_of(row)


def _out(row: Plugin | None) -> VoiceSettingsOut:
    if row is None or not row.secret_encrypted:
        return VoiceSettingsOut(connected=False)
    config = row.config or {}
    return VoiceSettingsOut(connected=True, private_key_last4=str(config.get("privateKeyLast4") or ""),
                            public_key_last4=str(config.get("publicKeyLast4") or ""),
                            assistant_id=str(config.get("assistantId") or ""),
                            assistant_name=str(config.get("assistantName") or ""), connected_at=row.created_at)


async def settings_of(session: AsyncSession, actor: Actor) -> VoiceSettingsOut:
    actor.require("read")
    return _out(await _row(session, actor.organization_id))


async def connect(session: AsyncSession, actor: Actor, private_key: Any, public_key: Any) -> VoiceSettingsOut:
    """Check the private key with Vapi, then store both keys encrypted (replacing earlier ones).
    The chosen assistant is kept when the new keys still list it. Commits."""
    actor.require(MANAGE)
    private, public = checked_key(private_key, "vapi_private_key_required"), checked_key(public_key,
                                                                                       "vapi_public_key_required")
    if private == public:
        raise InvalidInput("vapi_keys_identical")  # the public key goes to every visitor's browser
    assistants = await call_vapi(vapi.list_assistants(config_for(private)))
    row = await _row(session, actor.organization_id)
    if row is None:
        row = Plugin(id=new_id("plg"), organization_id=actor.organization_id, service=SERVICE)
    previous = dict(row.config or {})
    config: dict[str, Any] = {"privateKeyLast4": _last4(private), "publicKeyLast4": _last4(public)}
    kept = next((a for a in assistants if a.id == previous.get("assistantId")), None)
    if kept is not None:
        config.update(assistantId=kept.id, assistantName=kept.name)
    row.secret_encrypted = encrypt(json.dumps({"privateKey": private, "publicKey": public}))
    row.config, row.enabled = config, True
    session.add(row)
    await session.commit()
    return _out(row)


async def assistants(session: AsyncSession, actor: Actor) -> list[AssistantOut]:
    actor.require("read")
    _, keys = await connected_keys(session, actor.organization_id)
    await session.commit()  # nothing held open while Vapi answers
    return [AssistantOut(id=a.id, name=a.name) for a in await call_vapi(vapi.list_assistants(config_for(keys.private_key)))]


async def phone_numbers(session: AsyncSession, actor: Actor,
                        known: list[AssistantOut] | None = None) -> list[PhoneNumberOut]:
    """The numbers, each with the name of the assistant answering it (from `known` when given)."""
    actor.require("read")
    _, keys = await connected_keys(session, actor.organization_id)
    await session.commit()
    config = config_for(keys.private_key)
    numbers = await call_vapi(vapi.list_phone_numbers(config))
    names = {a.id: a.name for a in (known if known is not None else
                                    [AssistantOut(id=a.id, name=a.name)
                                     for a in await call_vapi(vapi.list_assistants(config))])}
    return [PhoneNumberOut(id=n.id, number=n.number, name=n.name, assistant_id=n.assistant_id,
                           assistant_name=names.get(n.assistant_id, "")) for n in numbers]


async def choose_assistant(session: AsyncSession, actor: Actor, assistant_id: Any) -> VoiceSettingsOut:
    """The assistant the widget's call button talks to: one Vapi lists for these keys ("" turns the
    button off). NotFound for any other id. Commits."""
    actor.require(MANAGE)
    row, keys = await connected_keys(session, actor.organization_id)
    wanted = assistant_id.strip() if isinstance(assistant_id, str) else None
    if wanted is None or len(wanted) > 100:
        raise NotFound("assistant_not_found")
    config = {k: v for k, v in (row.config or {}).items() if k not in ("assistantId", "assistantName")}
    if wanted:
        await session.commit()
        listed = await call_vapi(vapi.list_assistants(config_for(keys.private_key)))
        found = next((a for a in listed if a.id == wanted), None)
        if found is None:
            raise NotFound("assistant_not_found")
        again = await _row(session, actor.organization_id)  # re-read: Vapi was called outside the transaction
        if again is None:
            raise VoiceNotConnected("vapi_not_connected")
        row = again
        config = {k: v for k, v in (row.config or {}).items() if k not in ("assistantId", "assistantName")}
        config.update(assistantId=found.id, assistantName=found.name)
    row.config = config
    session.add(row)
    await session.commit()
    return _out(row)


async def disconnect(session: AsyncSession, actor: Actor) -> VoiceSettingsOut:
    """Delete the keys and the assistant choice (recorded calls stay in their conversations). Commits."""
    actor.require(MANAGE)
    row = await _row(session, actor.organization_id)
    if row is not None:
        await session.delete(row)
        await session.commit()
    return VoiceSettingsOut(connected=False)


async def widget_voice(session: AsyncSession, organization_id: str) -> WidgetVoice | None:
    """What the widget needs for its call button, or None (not connected, or no assistant chosen).
    Never the private key."""
    row = await _row(session, organization_id)
    if row is None or not row.secret_encrypted or not row.enabled or not (row.config or {}).get("assistantId"):
        return None
    return WidgetVoice(public_key=keys_of(row).public_key, assistant_id=str(row.config["assistantId"]),
                       api_url=api_url())
