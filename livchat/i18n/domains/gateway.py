"""Strings of the WhatsApp gateway's client errors (raised by livchat/services/gateway.py)."""

EN = {
    "whatsapp.errors.message_rejected": "WhatsApp refused this message, so it was not sent. Check its content "
                                        "and media, then try again.",
}

PT_BR = {
    "whatsapp.errors.message_rejected": "O WhatsApp recusou esta mensagem, então ela não foi enviada. Verifique o "
                                        "conteúdo e a mídia e tente novamente.",
}
