"""Domain errors. Routers map them to problem+json; Reflex states map them to translated messages."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class. `code` is stable and doubles as the i18n key `errors.<code>`."""

    code = "error"
    status = 400

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.code)
        self.detail = detail or self.code


class NotFound(ServiceError):
    """Also what another organization's id gets: it must look exactly like a missing row."""

    code = "not_found"
    status = 404


class Conflict(ServiceError):
    code = "conflict"
    status = 409


class InvalidInput(ServiceError):
    code = "validation_error"
    status = 422


class PermissionDenied(ServiceError):
    code = "forbidden"
    status = 403


# --- WhatsApp gateway (instances, messaging, event ingest) ---------------------------------

class PayloadTooLarge(ServiceError):
    code = "payload_too_large"
    status = 413


class InstanceNotConnected(ServiceError):
    """The WhatsApp session is not up or not paired: connect (and link) it first."""

    code = "instance_not_connected"
    status = 409


class InstanceAlreadyConnected(ServiceError):
    """QR or pairing code asked for a session that is already linked."""

    code = "already_connected"
    status = 409


class GatewayUnavailable(ServiceError):
    """WuzAPI is unreachable or answered something we cannot use."""

    code = "gateway_unavailable"
    status = 502


class GatewayTimeout(ServiceError):
    """WuzAPI did not answer in time; for a send the outcome is unknown (never retried blindly)."""

    code = "gateway_timeout"
    status = 504


class MessageRejected(InvalidInput):
    """WuzAPI refused a send as invalid (a 4xx); nothing was sent. `detail` carries its reason."""

    code = "message_rejected"


class MediaUnreachable(MessageRejected):
    """WuzAPI could not fetch the media given by URL (404, too large, refused address, …)."""

    code = "media_unreachable"


class MediaTooLarge(InvalidInput):
    """Media given by URL is over its type's size (base64 that is too big is a 413 instead)."""

    code = "media_too_large"


class UnsupportedMediaType(InvalidInput):
    code = "unsupported_media_type"


class LocationOnZeroAxis(InvalidInput):
    """WuzAPI rejects a latitude or a longitude of exactly 0 (it reads 0 as "missing")."""

    code = "location_zero_coordinate"


class MalformedEvent(ServiceError):
    """An inbound WuzAPI event we cannot parse; nothing of it is stored."""

    code = "malformed_event"
    status = 400
