"""The widget's look and reach, per organization: greeting, up to 3 suggested questions, colours,
logo, position, default language and the sites allowed to embed it.

- `public_settings(organization_id, language)`: what any embedding page may know (GET
  /api/widget/settings); the default greeting in the visitor's language when given.
- `get_settings(actor)` / `update_settings(actor, changes)` / `upload_logo` / `remove_logo`: the
  customization page (changes need `manage_widget`: admins and owners).
- `open_logo(organization_id)`: the uploaded logo, served publicly (the widget shows it). PNG,
  JPEG or WebP only: an SVG can carry script, so it is refused.
- `frame_ancestors(...)`: the CSP source list for /widget from the allowed sites.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from livchat.core.db import utcnow
from livchat.core.ids import new_id
from livchat.core.settings import get_settings as app_settings
from livchat.core.storage import BadKey, Served, Storage
from livchat.core.text import is_valid_unicode
from livchat.i18n import LANGUAGES, translate
from livchat.models import Organization, WidgetSettings
from livchat.models.enums import WidgetPosition
from livchat.services import storage
from livchat.services.actors import Actor
from livchat.services.errors import InvalidInput, NotFound, ServiceError
from livchat.services.widget.schemas import (
    PublicSettings,
    WidgetSettingsOut,
    WidgetSettingsUpdate,
)
from livchat.services.widget.sessions import organization_widget

MAX_GREETING = 500
MAX_SUGGESTIONS = 3
MAX_SUGGESTION = 120
MAX_ALLOWED_ORIGINS = 50
MAX_LOGO_BYTES = 1024 * 1024
DEFAULT_GREETING = "support.widget.default_greeting"
_COLOR = re.compile(r"^#(?:[0-9a-f]{3}|[0-9a-f]{6})$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class LogoTooLarge(ServiceError):
    code = "logo_too_large"
    status = 413


class UnsupportedLogoType(ServiceError):
    code = "unsupported_logo_type"
    status = 415


# --- checks -----------------------------------------------------------------------------------


def _plain(value: Any, limit: int, code: str, *, lines: bool = False) -> str:
    if not isinstance(value, str) or "\x00" in value or not is_valid_unicode(value):
        raise InvalidInput(code)
    keep = "\n" if lines else ""
    text = "".join(c for c in value if c in keep or unicodedata.category(c) != "Cc").strip()
    if len(text) > limit:
        raise InvalidInput(code)
    return text


def checked_color(value: Any) -> str:
    color = value.strip().lower() if isinstance(value, str) else ""
    if not _COLOR.match(color):
        raise InvalidInput("invalid_color")
    return color if len(color) == 7 else "#" + "".join(c * 2 for c in color[1:])


def checked_suggestions(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise InvalidInput("invalid_suggestion")
    suggestions = [_plain(s, MAX_SUGGESTION, "invalid_suggestion") for s in value]
    suggestions = [" ".join(s.split()) for s in suggestions if s]
    if len(suggestions) > MAX_SUGGESTIONS:
        raise InvalidInput("too_many_suggestions")
    return suggestions


def _host(host: str) -> str:
    wildcard = host.startswith("*.")
    bare = host[2:] if wildcard else host
    try:
        ascii_host = bare.encode("idna").decode("ascii") if not bare.isascii() else bare
    except UnicodeError:
        raise InvalidInput("invalid_allowed_origin") from None
    labels = ascii_host.split(".")
    if not ascii_host or len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidInput("invalid_allowed_origin")
    if wildcard and len(labels) < 2:
        raise InvalidInput("invalid_allowed_origin")  # "*.com" would let every site in
    return ("*." if wildcard else "") + ascii_host


def checked_origin(value: Any) -> str:
    """A CSP host source: `https://shop.example`, `shop.example`, `*.example.com`, with an
    optional port. Paths, credentials, quotes, spaces and `;` (CSP injection) are refused."""
    text = value.strip().lower().rstrip("/") if isinstance(value, str) else ""
    if not text or len(text) > 300 or not text.isprintable() or any(c in text for c in " ;,'\"\\?#@"):
        raise InvalidInput("invalid_allowed_origin")
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    elif scheme not in ("http", "https"):
        raise InvalidInput("invalid_allowed_origin")
    if "/" in rest:
        raise InvalidInput("invalid_allowed_origin")
    host, colon, port = rest.rpartition(":") if rest.count(":") == 1 else (rest, "", "")
    if colon and (not port.isdigit() or not 0 < int(port) <= 65535):
        raise InvalidInput("invalid_allowed_origin")
    source = _host(host) + (f":{int(port)}" if colon else "")
    return f"{scheme}://{source}" if scheme else source


def checked_origins(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_ALLOWED_ORIGINS:
        raise InvalidInput("too_many_allowed_origins" if isinstance(value, list) else "invalid_allowed_origin")
    origins: list[str] = []
    for item in value:
        if isinstance(item, str) and not item.strip():
            continue
        origin = checked_origin(item)
        if origin not in origins:
            origins.append(origin)
    return origins


def checked_locale(value: Any) -> str:
    if value not in LANGUAGES:
        raise InvalidInput("invalid_locale")
    return str(value)


def checked_position(value: Any) -> str:
    if value not in tuple(WidgetPosition):
        raise InvalidInput("invalid_position")
    return str(value)


# --- reading ------------------------------------------------------------------------------------


def _logo_url(row: WidgetSettings | None) -> str | None:
    if row is None or not row.logo_url:
        return None
    return app_settings().public_url.rstrip("/") + row.logo_url


def _public(organization: Organization, row: WidgetSettings | None, language: str | None = None) -> dict[str, Any]:
    locale = row.locale if row else "en"
    return {
        "organization_name": organization.name,
        "greeting": (row.greet_message if row else "") or translate(DEFAULT_GREETING, language or locale),
        "suggestions": list(row.suggestions) if row else [],
        "primary_color": row.primary_color if row else WidgetSettings.model_fields["primary_color"].default,
        "accent_color": row.accent_color if row else WidgetSettings.model_fields["accent_color"].default,
        "logo_url": _logo_url(row),
        "position": row.position if row else WidgetPosition.BOTTOM_RIGHT,
        "locale": locale,
    }


async def public_settings(session: AsyncSession, organization_id: Any, language: str | None = None) -> PublicSettings:
    """NotFound for an unknown or malformed organization id. `language`: the visitor's (en | pt-BR),
    when known: the default greeting is written in it rather than in the widget's default language
    (a greeting the organization wrote is shown as written)."""
    organization, row = await organization_widget(session, organization_id)
    return PublicSettings(**_public(organization, row, language))


def _admin(organization: Organization, row: WidgetSettings | None) -> WidgetSettingsOut:
    return WidgetSettingsOut(**_public(organization, row), greet_message=row.greet_message if row else "",
                             allowed_origins=list(row.allowed_origins) if row else [])


async def get_settings(session: AsyncSession, actor: Actor) -> WidgetSettingsOut:
    actor.require("read")
    organization, row = await organization_widget(session, actor.organization_id)
    return _admin(organization, row)


async def _row_for_update(session: AsyncSession, actor: Actor) -> tuple[Organization, WidgetSettings]:
    organization, row = await organization_widget(session, actor.organization_id)
    if row is None:
        row = WidgetSettings(id=new_id("wgs"), organization_id=organization.id)
        session.add(row)
    return organization, row


async def update_settings(session: AsyncSession, actor: Actor, changes: WidgetSettingsUpdate) -> WidgetSettingsOut:
    """Every given field is checked before any is saved."""
    actor.require("manage_widget")
    checked: dict[str, Any] = {}
    if changes.greet_message is not None:
        checked["greet_message"] = _plain(changes.greet_message, MAX_GREETING, "invalid_greeting", lines=True)
    if changes.suggestions is not None:
        checked["suggestions"] = checked_suggestions(changes.suggestions)
    if changes.primary_color is not None:
        checked["primary_color"] = checked_color(changes.primary_color)
    if changes.accent_color is not None:
        checked["accent_color"] = checked_color(changes.accent_color)
    if changes.position is not None:
        checked["position"] = checked_position(changes.position)
    if changes.locale is not None:
        checked["locale"] = checked_locale(changes.locale)
    if changes.allowed_origins is not None:
        checked["allowed_origins"] = checked_origins(changes.allowed_origins)
    organization, row = await _row_for_update(session, actor)
    for field, value in checked.items():
        setattr(row, field, value)
    row.updated_at = utcnow()
    session.add(row)
    await session.commit()
    _forget_ancestors(organization.id)
    return _admin(organization, row)


# --- the logo -----------------------------------------------------------------------------------

LOGO_TYPES = {"image/png", "image/jpeg", "image/webp"}


def sniff_logo(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _logos() -> Storage:
    return storage.storage_for(storage.LOGOS)


async def _forget_logo(key: str) -> None:
    with contextlib.suppress(Exception):  # an orphan file is harmless; the row is what counts
        await _logos().delete(key)


async def upload_logo(session: AsyncSession, actor: Actor, data: bytes) -> WidgetSettingsOut:
    """PNG, JPEG or WebP up to 1 MB (sniffed from the bytes); replaces the previous logo."""
    actor.require("manage_widget")
    if len(data) > MAX_LOGO_BYTES:
        raise LogoTooLarge()
    content_type = sniff_logo(data)
    if content_type is None:
        raise UnsupportedLogoType()
    digest = hashlib.sha256(data).hexdigest()
    organization, row = await _row_for_update(session, actor)
    key = f"{organization.id}/{digest}"
    await _logos().put(key, data, content_type)
    previous = row.logo_storage_key
    row.logo_storage_key, row.logo_content_type = key, content_type
    row.logo_url = f"/api/widget/logo/{organization.id}?v={digest[:12]}"
    row.updated_at = utcnow()
    session.add(row)
    try:
        await session.commit()
    except BaseException:
        if key != previous:
            await _forget_logo(key)
        raise
    if previous and previous != key:
        await _forget_logo(previous)
    return _admin(organization, row)


async def remove_logo(session: AsyncSession, actor: Actor) -> WidgetSettingsOut:
    actor.require("manage_widget")
    organization, row = await _row_for_update(session, actor)
    previous = row.logo_storage_key
    row.logo_storage_key = row.logo_content_type = row.logo_url = None
    session.add(row)
    await session.commit()
    if previous:
        await _forget_logo(previous)
    return _admin(organization, row)


@dataclass(frozen=True)
class LogoFile:
    served: Served
    content_type: str
    etag: str


async def open_logo(session: AsyncSession, organization_id: Any) -> LogoFile:
    _, row = await organization_widget(session, organization_id)
    if row is None or not row.logo_storage_key or not row.logo_content_type:
        raise NotFound("logo_not_found")
    try:
        served = await _logos().serve(row.logo_storage_key, content_type=row.logo_content_type)
    except (FileNotFoundError, BadKey):
        raise NotFound("logo_not_found") from None
    return LogoFile(served=served, content_type=row.logo_content_type, etag=row.logo_storage_key.rsplit("/", 1)[-1])


# --- framing --------------------------------------------------------------------------------------


def frame_ancestors(allowed_origins: list[str]) -> str:
    """CSP `frame-ancestors` sources: any site when none is listed; else those sites and our own
    pages (the customization page's live preview)."""
    if not allowed_origins:
        return "*"
    return " ".join(["'self'", *allowed_origins])


_ANCESTORS_TTL = 30.0
_ancestors: dict[str, tuple[float, str]] = {}


def _forget_ancestors(organization_id: str) -> None:
    _ancestors.pop(organization_id, None)


async def frame_ancestors_for(session: AsyncSession, organization_id: Any) -> str:
    """The /widget page's `frame-ancestors` for an organization (cached 30 s per process: every
    widget load asks). An unknown or malformed id gets `*` (the page then shows its own
    not-found message)."""
    key = organization_id if isinstance(organization_id, str) else ""
    cached = _ancestors.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    try:
        _, row = await organization_widget(session, organization_id)
        sources = frame_ancestors(list(row.allowed_origins) if row else [])
    except NotFound:
        sources = "*"
    if len(_ancestors) > 10_000:
        _ancestors.clear()
    _ancestors[key] = (time.monotonic() + _ANCESTORS_TTL, sources)
    return sources


def embed_snippet(organization_id: str, position: str = WidgetPosition.BOTTOM_RIGHT, locale: str = "",
                  color: str = "") -> str:
    """The copy-ready `<script>` tag for the customization page."""
    base = app_settings().public_url.rstrip("/")
    attributes = [f'src="{base}/embed.js"', f'data-organization-id="{organization_id}"', f'data-position="{position}"']
    if locale:
        attributes.append(f'data-locale="{locale}"')
    if color:
        attributes.append(f'data-color="{color}"')
    return f"<script async {' '.join(attributes)}></script>"
