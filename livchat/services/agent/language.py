"""The language the agent answers in.

The conversation's language (the visitor's browser for the widget; detected from the first message
for WhatsApp) is the default; a message that is clearly in the other language wins for that answer,
so a visitor who switches language gets answers in the language they write.
"""

from __future__ import annotations

from livchat.i18n import normalize_language
from livchat.i18n.detect import detect

LANGUAGE_NAMES = {"en": "English", "pt-BR": "Brazilian Portuguese (português do Brasil)"}


def answer_language(text: str, conversation_language: str) -> str:
    """The language to answer `text` in: its own when clear, else the conversation's."""
    return detect(text) or normalize_language(conversation_language)
