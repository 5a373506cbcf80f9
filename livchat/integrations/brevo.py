"""Brevo's transactional email API (`POST {BREVO_API_URL}/v3/smtp/email`, `api-key` header),
over httpx, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

import httpx

TIMEOUT_SECONDS = 20.0


class BrevoError(Exception):
    """Brevo did not accept the email (refused, failed, or could not be reached)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class BrevoConfig:
    api_key: str
    base_url: str = "https://api.brevo.com"
    sender: str = "LivChat <no-reply@livchat.local>"  # "Name <address>", as EMAIL_FROM


async def send_email(config: BrevoConfig, *, to: str, subject: str, text: str, html: str,
                     tags: list[str] | None = None, client: httpx.AsyncClient | None = None) -> str:
    """Send one email; Brevo's messageId once it is accepted (201), BrevoError otherwise."""
    name, address = parseaddr(config.sender)
    payload = {"sender": {"name": name or "LivChat", "email": address}, "to": [{"email": to}],
               "subject": subject, "htmlContent": html, "textContent": text}
    if tags:
        payload["tags"] = tags
    url = f"{config.base_url.rstrip('/')}/v3/smtp/email"
    headers = {"api-key": config.api_key, "accept": "application/json"}
    try:
        if client is None:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as own:
                response = await own.post(url, json=payload, headers=headers)
        else:
            response = await client.post(url, json=payload, headers=headers)
    except httpx.HTTPError as exc:
        raise BrevoError(f"Brevo unreachable: {type(exc).__name__}: {exc}") from exc
    if response.status_code not in (200, 201, 202):
        try:
            detail = response.json().get("message") or response.text
        except ValueError:
            detail = response.text
        raise BrevoError(f"Brevo answered {response.status_code}: {str(detail)[:300]}", response.status_code)
    try:
        return str(response.json().get("messageId") or "")
    except ValueError:
        return ""
