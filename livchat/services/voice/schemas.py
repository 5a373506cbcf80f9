"""Wire shapes of the voice plugin (camelCase): the organization's Vapi connection as the dashboard
shows it (keys never: only their last 4 characters), its assistants and phone numbers, what the
widget needs for a web call, and a recorded call."""

from __future__ import annotations

from pydantic import Field

from livchat.services.schemas import CamelModel, Timestamp


class VoiceSettingsOut(CamelModel):
    connected: bool
    private_key_last4: str = Field(default="", description="The private key's last 4 characters (never the key).")
    public_key_last4: str = Field(default="", description="The public key's last 4 characters.")
    assistant_id: str = Field(default="", description="The assistant the widget's call button talks to (\"\": none).")
    assistant_name: str = ""
    connected_at: Timestamp | None = None


class AssistantOut(CamelModel):
    id: str
    name: str


class PhoneNumberOut(CamelModel):
    id: str
    number: str
    name: str
    assistant_id: str = Field(default="", description="The assistant answering this number in Vapi (\"\": none).")
    assistant_name: str = ""


class WidgetVoice(CamelModel):
    """All the widget ever learns: Vapi's public key, the chosen assistant and the API's address."""

    public_key: str
    assistant_id: str
    api_url: str


class VoiceCallOut(CamelModel):
    id: str
    vapi_call_id: str
    conversation_id: str | None
    status: str
    ended_reason: str
    duration_seconds: int | None
    cost: float | None
    summary: str
    transcript: str
    recording_url: str
    started_at: Timestamp | None
    ended_at: Timestamp | None
    recorded: bool = Field(description="The call ended and its record is in the conversation.")
